"""The daily reports the worker issued each morning, listed and downloaded from the
district's case statistics page (reports.issued)."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
import time_machine
from django.urls import reverse

from fangyi.reports.issued import daily_report_path, daily_reports_issue, issued_days
from fangyi.reports.tests.conftest import at, login


@pytest.fixture
def issued(tree, settings, tmp_path):
    """Reports issued on two mornings, as the worker writes them."""
    settings.VAR_DIR = tmp_path
    for day in (dt.date(2020, 2, 9), dt.date(2020, 2, 10)):
        with time_machine.travel(at(2020, day.month, day.day, 8), tick=False):
            assert daily_reports_issue(day=day)["districts"] == 1
    return tree


def _stats(client, tree):
    url = reverse("reports:stats") + f"?place=district:{tree.district.pk}"
    with time_machine.travel(at(2020, 2, 10, 9), tick=False):
        return client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")


def test_the_district_leader_lists_and_downloads_the_mornings_reports(client, issued):
    tree = issued
    login(client, "d_leader")
    page = _stats(client, tree).content.decode()
    assert 'data-testid="issued-reports"' in page
    assert "已发布的日报" in page
    # Newest first, each a link to the file as issued.
    first = page.index("2020-02-10</a>")
    assert first < page.index("2020-02-09</a>")
    url = reverse("reports:daily_issued", args=[tree.district.pk, "2020-02-10"])
    assert url in page
    response = client.get(url)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert "20200210.xlsx" in response["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.worksheets[0]
    assert "2020-02-10" in sheet.title
    values = [c for row in sheet.iter_rows(values_only=True) for c in row if c is not None]
    # One line per street of the district, then the total.
    assert {s.name for s in tree.streets} <= set(values)


def test_nobody_below_the_district_gets_its_issued_reports(client, issued):
    tree = issued
    url = reverse("reports:daily_issued", args=[tree.district.pk, "2020-02-10"])
    for username in ("s_cadre", "c_secretary", "z_property", "b_grid", "outsider"):
        client.logout()
        login(client, username)
        assert client.get(url).status_code == 404, username
    # The street cadre's statistics page of their street lists none.
    client.logout()
    login(client, "s_cadre")
    street = reverse("reports:stats") + f"?place=street:{tree.streets[0].pk}"
    with time_machine.travel(at(2020, 2, 10, 9), tick=False):
        assert 'data-testid="issued-reports"' not in client.get(street).content.decode()
    client.logout()
    assert client.get(url).status_code == 302  # to the login page


@pytest.mark.parametrize("day", ["2020-02-11", "2020-13-01", "latest", "2020-02-10.partial"])
def test_a_day_without_a_report_or_not_a_date_is_404(client, issued, day):
    login(client, "d_leader")
    url = reverse("reports:daily_issued", args=[issued.district.pk, "2020-02-10"])
    assert client.get(url.replace("2020-02-10", day)).status_code == 404


def test_a_stray_file_in_the_folder_is_not_listed(issued):
    tree = issued
    folder = daily_report_path(tree.district.pk, dt.date(2020, 2, 10)).parent
    (folder / "notes.xlsx").write_bytes(b"")
    (folder / "2020-02-11.partial").write_bytes(b"")  # a report being written
    assert issued_days(tree.users["district"], tree.district.pk) == [
        dt.date(2020, 2, 10),
        dt.date(2020, 2, 9),
    ]


def test_a_district_with_no_report_issued_yet_shows_no_list(client, tree, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    login(client, "d_leader")
    assert 'data-testid="issued-reports"' not in _stats(client, tree).content.decode()
