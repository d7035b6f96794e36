"""The notice and the certificate carry who issues them, whom to call and room for the seal."""

from __future__ import annotations

import pytest
import time_machine

from fangyi.core.documents import pdf_text
from fangyi.quarantine import documents, services
from fangyi.quarantine.tests.conftest import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(tree, facilities):
    facilities["station"].phone = "0755-28881234"
    facilities["station"].save()
    with time_machine.travel(at(2020, 2, 18, 9), tick=False):
        return services.case_intake(
            by=None,  # as the demo and imports make them: no author
            person=tree.people[0],
            reason="returned",
            arrived_at=at(2020, 2, 18, 9),
            facility=facilities["station"],
            origin="湖北省武汉市",
        )


def test_notice_names_the_issuing_unit_the_phone_and_leaves_room_for_the_seal(case):
    text = pdf_text(documents.notice_pdf(case, "https://fangyi.example/c/abc/"))
    assert "六和社区疫情防控工作站" in text
    assert "0755-28881234" in text
    assert "（盖章）" in text


def test_certificate_names_the_issuing_unit_and_falls_back_to_the_zone_contact(case, tree):
    tree.zones[0].contact_phone = "13800138000"
    tree.zones[0].save()
    case.stages.update(facility=None)
    with time_machine.travel(at(2020, 3, 3, 10), tick=False):
        services.case_release(by=tree.users["zone"], case=case, kind="early", note="核酸阴性")
    case.refresh_from_db()
    text = pdf_text(documents.certificate_pdf(case))
    assert "六和社区疫情防控工作站" in text
    assert "13800138000" in text
    assert "（盖章）" in text
