"""The A3 poster fits one page for any zone: the plan gives way to a long duty chain."""

from __future__ import annotations

import io

import pypdfium2
import pytest
import time_machine
import zxingcpp
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from fangyi.core.documents import pdf_text
from fangyi.duty.choices import Role
from fangyi.duty.models import Assignment, Staff
from fangyi.places.models import Building, Zone
from fangyi.reports.selectors import zone_duty_chain
from fangyi.reports.tests.conftest import at, login

# The biggest demo any test of the suite builds (core/tests/test_demo.py).
SUITE_MAX_SCALE = 0.01


def _read_back(client, zone) -> tuple[int, str, list[str]]:
    response = client.get(reverse("reports:poster", args=[zone.pk]))
    assert response.status_code == 200
    pages = len(PdfReader(io.BytesIO(response.content)).pages)
    image = pypdfium2.PdfDocument(response.content)[0].render(scale=2).to_pil()
    return pages, pdf_text(response.content), [b.text for b in zxingcpp.read_barcodes(image)]


@pytest.mark.django_db
def test_the_zone_with_the_longest_duty_chain_of_the_demo_prints_on_one_page(client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(at(2026, 3, 10, 15), tick=False):
        call_command(
            "demo", scale=SUITE_MAX_SCALE, seed=2020, activity=False, no_progress=True, verbosity=0
        )
        zones = Zone.objects.select_related("community", "street", "district")
        longest = max(zones, key=lambda z: len(zone_duty_chain(z)))
        assert len(zone_duty_chain(longest)) >= 10
        assert client.login(username="leader", password="fangyi-demo")
        pages, text, codes = _read_back(client, longest)
    assert pages == 1
    assert codes == ["http://testserver" + reverse("reports:zone_map", args=[longest.pk])]
    assert "数据截至 2026-03-10 15:00" in text


def test_an_outsized_chain_and_site_still_print_on_one_page(client, tree):
    """Forty buildings, each with its grid worker, sixty volunteers, thirty guards and a
    dozen gates: names give way to counts, the plan to the text, never the QR code."""
    zone = tree.zones[0]
    User = get_user_model()
    n = 0

    def staff(role, duty="", **place):
        nonlocal n
        n += 1
        user = User.objects.create_user(f"u{n}", password="x")
        person = Staff.objects.create(user=user, name=f"工作人员{n:03d}号", role=role)
        Assignment.objects.create(staff=person, duty=duty, **place)

    for i in range(40):
        b = Building.objects.create(
            zone=zone, community=zone.community, street=zone.street, district=zone.district,
            name=f"第{i + 3}栋综合楼", floors=30,
            polygon=[[40 + (i % 8) * 115, 40 + (i // 8) * 125], [130 + (i % 8) * 115, 40 + (i // 8) * 125],
                     [130 + (i % 8) * 115, 140 + (i // 8) * 125], [40 + (i % 8) * 115, 140 + (i // 8) * 125]],
        )  # fmt: skip
        staff(Role.GRID_WORKER, f"第{i + 1}网格（含周边商铺和临时摊位）", building=b)
    for _ in range(60):
        staff(Role.VOLUNTEER, "志愿服务", zone=zone)
    for _ in range(30):
        staff(Role.GATE_GUARD, "东门 值守（早班、中班、晚班轮换）", zone=zone)
    for _ in range(12):
        staff(Role.CADRE, "驻点干部，负责协调物资调配和重点人员管控", community=zone.community)
    for i in range(12):
        zone.gates.create(name=f"第{i + 2}号出入口")
    login(client, "d_leader")
    pages, text, codes = _read_back(client, zone)
    assert pages == 1
    assert codes == ["http://testserver" + reverse("reports:zone_map", args=[zone.pk])]
    assert "志愿者" in text and "60" in text
