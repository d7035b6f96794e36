"""Large imports and exports from the page run as background jobs (issue 6)."""

from __future__ import annotations

import datetime as dt
import io
import re
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from openpyxl import load_workbook
from playwright.sync_api import expect

from fangyi.audit.models import AccessLog
from fangyi.conftest import PASSWORD, make_id_number
from fangyi.core.tests.browser import browser, chromium_executable, log_in, new_page
from fangyi.jobs.choices import JobKind, JobStatus
from fangyi.jobs.models import Job
from fangyi.jobs.runner import JobContext
from fangyi.people.identity import ERR_ID_CHECK
from fangyi.people.models import Person, PersonEvent
from fangyi.places.models import Dwelling
from fangyi.screening import importing
from fangyi.screening.tests.helpers import HEADER, csv_bytes, xlsx_bytes

__all__ = ["browser", "chromium_executable", "new_page"]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _jobs_inline(settings, tmp_path):
    """Jobs run in the test's thread (and connection); files go to a temporary VAR_DIR."""
    settings.JOBS_RUN_INLINE = True
    settings.VAR_DIR = tmp_path / "var"


def _rows(count: int, start: int = 0) -> list[list]:
    """`count` clean rows over the two buildings of zone Z1 (6 floors, 20 rooms each)."""
    rows = []
    for i in range(start, start + count):
        born = dt.date(1960, 1, 1) + dt.timedelta(days=i // 1000)
        floor, room = i % 6 + 1, i // 6 % 20 + 1
        rows.append(
            [i + 1, f"居民甲{i}", make_id_number(i, born), f"139{i:08d}", f"{i % 2 + 1}栋",
             f"{floor}{room:02d}", "湖北省武汉市", None]
        )  # fmt: skip
    return rows


def _upload(client, zone, data: bytes, name: str) -> str:
    response = client.post(
        reverse("screening:import_upload", args=[zone.pk]), {"file": SimpleUploadedFile(name, data)}
    )
    assert response.status_code == 302
    return response["Location"]


MAPPING = {"col-1": "name", "col-2": "doc_number", "col-3": "phone", "col-4": "building",
           "col-5": "room", "col-6": "origin", "col-7": "return_date"}  # fmt: skip


def _record_progress(monkeypatch) -> list[tuple[str, int, int]]:
    """The (stage, done, total) of the job row after every progress write."""
    seen: list[tuple[str, int, int]] = []
    flush = JobContext.flush

    def recording(self, **kwargs):
        flush(self, **kwargs)
        row = Job.objects.values_list("message", "done", "total").get(pk=self.job.pk)
        if not seen or seen[-1] != row:
            seen.append(row)

    monkeypatch.setattr(JobContext, "flush", recording)
    return seen


def test_large_import_via_the_page(client, tree, settings, monkeypatch):
    settings.JOBS_PROGRESS_SECONDS = 0
    seen = _record_progress(monkeypatch)
    zone = tree.zones[0]
    client.force_login(tree.users["zone"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    check_url = _upload(client, zone, csv_bytes([HEADER, *_rows(25_000)]), "名单.csv")
    page = client.get(check_url).content.decode()
    # Too many rows for the request: the page offers a background check, and has not
    # checked anything yet.
    assert 'data-testid="large"' in page and 'data-testid="summary"' not in page
    response = client.post(check_url, {**MAPPING, "commit": "1"})
    job = Job.objects.get(user=tree.users["zone"], kind=JobKind.IMPORT)
    assert response["Location"] == job.get_absolute_url()
    assert (job.status, job.error) == (JobStatus.DONE, "")
    assert (job.result["created"], job.result["committed"]) == (25_000, True)
    assert job.done == job.total == 25_001  # every row of the sheet, the header too
    assert Person.objects.filter(zone=zone, name__startswith="居民甲").count() == 25_000
    page = client.get(job.get_absolute_url()).content.decode()
    assert reverse("place", args=["zone", zone.pk]) in page
    # Progress moved through the stages; the check counted rows up to the total.
    stages = [message for message, _done, _total in seen]
    assert stages.index("Reading the file") < stages.index("Checking rows") < stages.index("Saving")
    checking = [done for message, done, total in seen if message == "Checking rows" and total]
    assert len(checking) >= 20 and checking == sorted(checking) and checking[-1] == 25_001
    # The upload is used up.
    assert client.get(check_url).status_code == 404


def _problem_rows() -> list[list]:
    rows = _rows(8)
    rows[2][2] = "440310198503140000"  # a bad check digit: row 4 of the sheet
    rows[5][4] = "9栋"  # no such building: row 7
    rows[6][2] = rows[0][2]  # the same document as row 2: row 8
    return rows


def test_large_file_is_checked_by_a_job_and_the_report_shown(client, tree, settings):
    settings.SCREENING_IMPORT_INLINE_ROWS = 5
    zone = tree.zones[0]
    client.force_login(tree.users["zone"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    check_url = _upload(client, zone, xlsx_bytes([HEADER, *_problem_rows()]), "名单.xlsx")
    page = client.get(check_url).content.decode()
    assert 'data-testid="large"' in page and not Job.objects.exists()  # a GET starts nothing
    response = client.post(check_url, {**MAPPING, "commit": "0"})
    job = Job.objects.get(kind=JobKind.IMPORT_CHECK)
    assert response["Location"] == job.get_absolute_url()
    assert job.result["problem_count"] == 3 and not job.result["committed"]
    page = client.get(job.get_absolute_url()).content.decode()
    assert f"{check_url}?job={job.pk}" in page and "3 problems" in page
    report = client.get(f"{check_url}?job={job.pk}").content.decode()
    assert 'data-testid="problems"' in report and 'data-testid="commit"' not in report
    with translation.override("en"):
        expected = [
            (4, "身份证号 (C)", str(ERR_ID_CHECK)),
            (7, "楼栋 (E)", str(importing.ERR_BUILDING_UNKNOWN.format(name="9栋", zone=zone.name))),
            (8, "身份证号 (C)", str(importing.ERR_DUPLICATE_ROW.format(row=2))),
        ]
    for row, column, message in expected:
        assert f'<td class="num">{row}</td><td>{column}</td><td>{escape(message)}</td>' in report
    assert not Person.objects.filter(name__startswith="居民甲").exists()


def test_report_lists_the_first_problems_and_the_total(client, tree, settings, monkeypatch):
    settings.SCREENING_IMPORT_INLINE_ROWS = 5
    monkeypatch.setattr(importing.rows, "REPORT_PROBLEMS_SHOWN", 2)
    monkeypatch.setattr(importing, "REPORT_PROBLEMS_SHOWN", 2)
    client.force_login(tree.users["zone"])
    check_url = _upload(client, tree.zones[0], csv_bytes([HEADER, *_problem_rows()]), "a.csv")
    client.post(check_url, {**MAPPING, "commit": "0"})
    job = Job.objects.get()
    assert job.result["problem_count"] == 3 and len(job.result["problems"]) == 2
    report = client.get(f"{check_url}?job={job.pk}").content.decode()
    assert report.count('<td class="num">') == 2 and 'data-testid="problems-capped"' in report


def test_clean_large_file_checked_then_imported_then_reimported_writes_nothing(
    client, tree, settings
):
    settings.SCREENING_IMPORT_INLINE_ROWS = 5
    zone = tree.zones[0]
    client.force_login(tree.users["zone"])
    data = csv_bytes([HEADER, *_rows(12)])
    check_url = _upload(client, zone, data, "a.csv")
    client.post(check_url, {**MAPPING, "commit": "0"})
    check = Job.objects.get(kind=JobKind.IMPORT_CHECK)
    assert (check.result["created"], check.result["problem_count"]) == (12, 0)
    report = client.get(f"{check_url}?job={check.pk}").content.decode()
    assert 'data-testid="commit"' in report and 'data-testid="summary"' in report
    assert not Person.objects.filter(name__startswith="居民甲").exists()  # a check writes nothing
    client.post(check_url, {**MAPPING, "commit": "1"})
    assert Person.objects.filter(name__startswith="居民甲").count() == 12
    events = PersonEvent.objects.count()
    # The same file again: all unchanged, no history.
    again = _upload(client, zone, data, "a.csv")
    client.post(again, {**MAPPING, "commit": "1"})
    second = Job.objects.filter(kind=JobKind.IMPORT).latest("pk")
    assert second.result["committed"] and (second.result["created"], second.result["updated"],
                                           second.result["unchanged"]) == (0, 0, 12)  # fmt: skip
    assert PersonEvent.objects.count() == events


def test_a_second_click_joins_the_running_job(client, tree, settings):
    settings.SCREENING_IMPORT_INLINE_ROWS = 5
    user = tree.users["zone"]
    client.force_login(user)
    check_url = _upload(client, tree.zones[0], csv_bytes([HEADER, *_rows(8)]), "a.csv")
    token = check_url.rstrip("/").rsplit("/", 1)[1]
    running = Job.objects.create(
        kind=JobKind.IMPORT, user=user, status=JobStatus.RUNNING,
        heartbeat_at=timezone.now(), params={"token": token},
    )  # fmt: skip
    response = client.post(check_url, {**MAPPING, "commit": "1"})
    assert response["Location"] == running.get_absolute_url()
    assert (
        Job.objects.count() == 1 and not Person.objects.filter(name__startswith="居民甲").exists()
    )


def test_failing_import_job_shows_its_error_and_saves_nothing(client, tree, settings, monkeypatch):
    settings.SCREENING_IMPORT_INLINE_ROWS = 5
    zone = tree.zones[0]

    def broken_insert(model, rows, batch=1000):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(importing.write, "_insert", broken_insert)
    before = (Person.objects.count(), PersonEvent.objects.count(), Dwelling.objects.count())
    client.force_login(tree.users["zone"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    # Rooms 2xx do not exist: the write creates dwellings before it fails.
    check_url = _upload(client, zone, csv_bytes([HEADER, *_rows(12)]), "a.csv")
    response = client.post(check_url, {**MAPPING, "commit": "1"})
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED and "RuntimeError: the disk is full" in job.error
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="job-error"' in page and "the disk is full" in page
    after = (Person.objects.count(), PersonEvent.objects.count(), Dwelling.objects.count())
    assert after == before
    # The upload is kept, to try again.
    assert client.get(check_url).status_code == 200


def _export_url(level, place):
    return reverse("screening:export", args=[level, place.pk])


def _download(client, job: Job) -> list[tuple]:
    response = client.get(reverse("jobs:download", args=[job.pk]))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return list(book.active.iter_rows(values_only=True))


def test_large_export_is_a_job_masked_unless_revealed(client, tree, settings):
    settings.SCREENING_EXPORT_INLINE_ROWS = 3
    user = tree.users["community"]
    community = tree.communities[0]
    people = [p for p in tree.people if p.community_id == community.pk]
    client.force_login(user)
    page = client.get(reverse("screening:place_people", args=["community", community.pk]))
    assert 'data-testid="export-large"' in page.content.decode()
    # A GET starts no work.
    response = client.get(_export_url("community", community))
    assert response.status_code == 302 and not Job.objects.exists()

    response = client.post(_export_url("community", community), {"reveal": "0"})
    job = Job.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert (job.status, job.kind, job.done, job.total) == (
        JobStatus.DONE, JobKind.EXPORT, len(people), len(people)
    )  # fmt: skip
    rows = _download(client, job)
    assert len(rows) == 1 + len(people)
    assert all("*" in r[2] and "*" in r[5] for r in rows[1:])
    assert not AccessLog.objects.exists()

    client.post(_export_url("community", community), {"reveal": "1"})
    job = Job.objects.latest("pk")
    rows = _download(client, job)
    assert {r[2] for r in rows[1:]} == {p.doc_number for p in people}
    assert AccessLog.objects.filter(user=user, channel="export").count() == 2 * len(people)


def test_export_job_and_import_report_are_only_for_their_user(client, tree, settings):
    settings.SCREENING_EXPORT_INLINE_ROWS = 3
    settings.SCREENING_IMPORT_INLINE_ROWS = 5
    zone = tree.zones[0]
    client.force_login(tree.users["zone"])
    client.post(_export_url("zone", zone), {"reveal": "1"})
    export = Job.objects.get()
    check_url = _upload(client, zone, csv_bytes([HEADER, *_rows(8)]), "a.csv")
    client.post(check_url, {**MAPPING, "commit": "0"})
    check = Job.objects.get(kind=JobKind.IMPORT_CHECK)
    # The community secretary covers the zone, but the jobs are not theirs.
    client.force_login(tree.users["community"])
    for url in (
        export.get_absolute_url(),
        reverse("jobs:progress", args=[export.pk]),
        reverse("jobs:download", args=[export.pk]),
        check.get_absolute_url(),
    ):
        assert client.get(url).status_code == 404, url
    assert client.get(f"{check_url}?job={check.pk}").status_code == 404


gate = threading.Event()
_original_import_job = importing.import_job


def held_back(context):
    """The import, held until the test lets it go (module level: the worker imports it)."""
    assert gate.wait(30), "the test never released the job"
    return _original_import_job(context)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_browser_large_upload_shows_progress_then_the_report(
    new_page, tree, settings, monkeypatch, job_worker
):
    """A file over the page's limit: check in the background (the bar polls until the
    job ends), the report, the import in the background; a real worker (in a thread of
    the test, on the test's database), real htmx."""
    settings.JOBS_PROGRESS_SECONDS = 0.05
    settings.SCREENING_IMPORT_INLINE_ROWS = 10
    gate.clear()
    monkeypatch.setattr(importing, "import_job", held_back)
    zone = tree.zones[0]
    page = new_page("en")
    log_in(page, "z_property", PASSWORD)
    page.goto(reverse("screening:place_people", args=["zone", zone.pk]))
    page.locator("input[name=file]").set_input_files(
        files=[
            {"name": "名单.csv", "mimeType": "text/csv", "buffer": csv_bytes([HEADER, *_rows(30)])}
        ]
    )
    page.get_by_test_id("upload").click()
    expect(page.get_by_test_id("large")).to_contain_text("more than 10 rows")
    page.get_by_test_id("dry-run").click()

    progress = page.get_by_test_id("job-progress")
    expect(progress).to_have_attribute("data-state", re.compile("queued|running"))
    expect(page.get_by_test_id("job-no-worker")).to_have_count(0)
    expect(page.get_by_test_id("job-bar")).to_be_visible()
    gate.set()
    # htmx polls the progress block until the job is done, then shows the link.
    expect(progress).to_have_attribute("data-state", "done")
    page.get_by_test_id("job-result-link").click()
    expect(page.get_by_test_id("summary")).to_contain_text("30 rows: 30 new files")
    assert not Person.objects.filter(name__startswith="居民甲").exists()

    page.get_by_test_id("commit").click()
    expect(page.get_by_test_id("job-summary")).to_contain_text("Imported: 30 new")
    assert Person.objects.filter(zone=zone, name__startswith="居民甲").count() == 30
    page.get_by_test_id("job-result-link").click()
    expect(page).to_have_url(re.compile(rf"/places/zone/{zone.pk}/$"))
