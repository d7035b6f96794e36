"""The person page lists the person's quarantine cases: quarantine adds them through
people.panels (people may not import quarantine, which imports people)."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse

from fangyi.conftest import PASSWORD
from fangyi.quarantine import services
from fangyi.quarantine.tests.conftest import at

pytestmark = pytest.mark.django_db


def test_the_person_page_shows_the_case_with_its_day(client, tree, facilities):
    person = tree.people[0]
    with time_machine.travel(at(2020, 2, 18, 9), tick=False):
        case = services.case_intake(
            by=None, person=person, reason="returned", arrived_at=at(2020, 2, 18, 9),
            facility=facilities["station"], origin="湖北省武汉市",
        )  # fmt: skip
    client.login(username="b_grid", password=PASSWORD)
    with time_machine.travel(at(2020, 2, 20, 10), tick=False):
        page = client.get(reverse("person", args=[person.pk])).content.decode()
    assert reverse("quarantine:case", args=[case.pk]) in page
    assert case.case_no in page
    assert "第 3 天" in page
