"""The poster PDF, the daily report xlsx and `fangyi report daily`, read back."""

import datetime as dt

import pypdfium2
import pytest
import time_machine
import zxingcpp
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from fangyi.core.documents import pdf_text
from fangyi.core.spreadsheets import read_xlsx_rows
from fangyi.quarantine import services as quarantine
from fangyi.reports.services import confirmed_case_create
from fangyi.reports.tests.conftest import at, login
from fangyi.reports.tests.test_views import png


@pytest.fixture
def busy(tree):
    with time_machine.travel(at(2020, 2, 10, 9), tick=False):
        quarantine.case_intake(
            by=tree.users["zone"],
            person=tree.people[1],
            reason="close_contact",
            arrived_at=at(2020, 2, 10, 8),
            first_state="home",
        )
        confirmed_case_create(by=None, date=dt.date(2020, 2, 3), zone=tree.zones[0])
        confirmed_case_create(by=None, date=dt.date(2020, 2, 9), zone=tree.zones[0])
    return tree


def test_poster_pdf_has_the_zone_counts_time_and_a_live_qr(client, busy, settings):
    tree = busy
    zone = tree.zones[0]
    login(client, "z_property")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with time_machine.travel(at(2020, 2, 10, 9, 30), tick=False):
        response = client.get(reverse("reports:poster", args=[zone.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert zone.name in text
    assert "Data taken at 2020-02-10 09:30" in text
    assert "in quarantine 1" in text and "floors 1" in text
    assert f"{len(tree.people_in('zone', zone))}" in text
    live = "http://testserver" + reverse("reports:zone_map", args=[zone.pk])
    assert live in text.replace("\n", "")
    image = pypdfium2.PdfDocument(response.content)[0].render(scale=2).to_pil()
    assert [b.text for b in zxingcpp.read_barcodes(image)] == [live]


def test_poster_embeds_the_uploaded_picture(client, busy):
    login(client, "z_property")
    zone = busy.zones[0]
    client.post(reverse("reports:base_image", args=[zone.pk]), {"base_image": png()})
    data = client.get(reverse("reports:poster", args=[zone.pk])).content
    import io

    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO(data)).pages[0].images) == 1


def test_daily_report_xlsx(client, busy):
    login(client, "d_leader")
    with time_machine.travel(at(2020, 2, 10, 12), tick=False), translation.override("en"):
        response = client.get(
            reverse("reports:daily") + f"?place=district:{busy.district.pk}&date=2020-02-09",
            headers={"Accept-Language": "en"},
        )
        rows = read_xlsx_rows(b"".join(response.streaming_content))
    header, first, second = rows[0], rows[1], rows[2]
    assert len(header) == 13
    # Chinese: staff pages follow the language switch (no cookie here), not the browser.
    assert header[7:9] == ["隔离人数", "密切接触者观察中"]
    c1 = busy.communities[0]
    assert first[:3] == [c1.street.name, c1.name, len(busy.people_in("community", c1))]
    # quarantine, close contacts (the one in quarantine is one), fever, new on the day,
    # cumulative, days since the last case
    assert first[7:13] == [1, 1, 0, 1, 2, 0]
    assert second[10:13] == [0, 0, second[12]] and second[12] not in (0, None)
    total = rows[3]
    assert total[2] == len(busy.people)
    assert total[7:9] == [1, 1]


def test_report_daily_command(busy, tmp_path):
    out = tmp_path / "daily.xlsx"
    with time_machine.travel(at(2020, 2, 12, 12), tick=False):
        call_command("report", "daily", "--date", "2020-02-12", "--out", str(out), "--no-progress")
    rows = read_xlsx_rows(out)
    assert rows[0][7:9] == ["隔离人数", "密切接触者观察中"]
    assert [r[1] for r in rows[1:3]] == [c.name for c in busy.communities]
    assert rows[1][10:13] == [0, 2, 3]
