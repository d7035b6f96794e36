"""Uploads that cannot take the server down (issue 12): every hostile file is refused
with a message naming the limit, quickly, before its rows are worked on; damaged files
are refused with what is wrong instead of a 500."""

from __future__ import annotations

import time

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fangyi.jobs.choices import JobKind, JobStatus
from fangyi.jobs.models import Job
from fangyi.people.models import Person
from fangyi.screening import importing
from fangyi.screening.importing import limits as L
from fangyi.screening.importing import read
from fangyi.screening.tests import hostile
from fangyi.screening.tests.helpers import HEADER, csv_bytes

LIMITS = L.Limits()


def _refusal(data: bytes, filename: str = "名单.xlsx") -> str:
    """Read the whole file as an import does; the refusal's message (in Chinese, the
    default, as the expected messages are formatted)."""
    started = time.monotonic()
    with pytest.raises(importing.ImportFileError) as refused:
        for _row in importing.read_table(data, filename):
            pass
    seconds = time.monotonic() - started
    assert seconds < 5, f"refused after {seconds:.1f} s"
    return str(refused.value.message)


def test_a_cell_in_column_zzzzz_is_refused_naming_the_column_limit():
    data = hostile.far_column()
    assert len(data) < 4096
    message = _refusal(data)
    assert message == str(L.ERR_COLUMNS.format(column="ZZZZZ2", last="GR", limit=LIMITS.columns)), (
        message
    )


def test_a_cell_just_beyond_the_column_limit_is_refused_and_the_last_one_read():
    inside = hostile.xlsx(hostile.sheet('<row r="2"><c r="GR2"><v>1</v></c></row>'))
    rows = list(importing.read_table(inside, "a.xlsx"))
    assert len(rows[1]) == 200 and rows[1][-1] == 1
    beyond = hostile.xlsx(hostile.sheet('<row r="2"><c r="GS2"><v>1</v></c></row>'))
    assert "GS2" in _refusal(beyond)


def test_a_shared_strings_bomb_is_refused_by_its_packing_before_parsing():
    data = hostile.shared_strings_bomb()
    assert len(data) < 3 * 2**20
    started = time.monotonic()
    with pytest.raises(importing.ImportFileError) as refused:
        importing.read_table(data, "a.xlsx")  # refused before it returns a row
    assert time.monotonic() - started < 1
    assert str(refused.value.message) == str(
        L.ERR_RATIO.format(part="xl/sharedStrings.xml", limit=100)
    )


def test_more_distinct_shared_texts_than_the_limit_are_refused():
    message = _refusal(hostile.many_shared_strings())
    assert message == str(L.ERR_SHARED_STRINGS.format(limit=1_000_000)), message


def test_a_sheet_declaring_six_million_rows_is_refused_before_reading_a_row(monkeypatch):
    def no_rows(*args, **kwargs):
        raise AssertionError("the rows were read")

    monkeypatch.setattr(read, "_sheet_rows", no_rows)
    message = _refusal(hostile.declared_rows())
    assert message == str(L.ERR_ROWS.format(limit=200_000, row=6_000_000)), message


def test_a_row_numbered_in_the_millions_is_refused_when_met():
    message = _refusal(hostile.far_row())
    assert message == str(L.ERR_ROWS.format(limit=200_000, row=6_000_000)), message


def test_a_zip_bomb_is_refused_by_its_unpacked_size():
    data = hostile.zip_bomb(600)
    assert len(data) < 3 * 2**20
    assert _refusal(data) == str(L.ERR_UNPACKED.format(limit=512))


def test_an_upload_over_the_size_limit_is_refused(settings):
    settings.SCREENING_IMPORT_LIMITS = {"upload_bytes": 1000}
    message = _refusal(csv_bytes([HEADER] + [["x"] * 8] * 200), "a.csv")
    assert message == str(L.ERR_UPLOAD_SIZE.format(limit=0))


def test_more_rows_than_the_limit_are_refused_as_they_stream(settings):
    settings.SCREENING_IMPORT_LIMITS = {"rows": 1000}
    assert len(list(importing.read_table(hostile.many_rows(1000), "a.xlsx"))) == 1000
    assert _refusal(hostile.many_rows(1001)) == str(L.ERR_ROWS.format(limit=1000, row=1001))
    rows = [HEADER] + [[i] for i in range(1000)]
    assert _refusal(csv_bytes(rows), "a.csv") == str(L.ERR_ROWS.format(limit=1000, row=1001))


@pytest.mark.parametrize(
    "build, expected",
    [
        (hostile.bad_cell_reference, L.ERR_CELL_REF.format(ref="2B")),
        (
            hostile.shared_index_out_of_range,
            L.ERR_SHARED_INDEX.format(ref="A2", index="7", count=1),
        ),
        (hostile.entity_expansion, L.ERR_DTD),
        (hostile.not_a_number, L.ERR_NUMBER.format(ref="A2", value="12abc")),
        (hostile.bad_row_number, L.ERR_ROW_NUMBER.format(value="x2")),
    ],
)
def test_damaged_xlsx_is_refused_saying_what_is_wrong(build, expected):
    assert _refusal(build()) == str(expected)


def test_an_undefined_entity_is_a_damaged_file():
    message = _refusal(hostile.undefined_entity())
    assert message == str(
        read.ERR_FILE_UNREADABLE.format(error="undefined entity: line 1, column 279")
    )


def test_csv_cells_lines_and_rows_over_the_limits_are_refused():
    for chars in (32_768, 131_073, 500_000):
        message = _refusal(hostile.csv_long_field(chars), "a.csv")
        assert message == str(L.ERR_CELL_CHARS.format(row=2, limit=32_767)), message
    assert _refusal(hostile.csv_wide_row(), "a.csv") == str(
        L.ERR_COLUMNS.format(column=L.column_letters(100_000), last="GR", limit=200)
    )
    assert _refusal(hostile.csv_long_line(), "a.csv") == str(
        L.ERR_LINE_CHARS.format(row=2, limit=2**20)
    )


# ---- on the page ----------------------------------------------------------------------


def _upload(client, zone, data: bytes, name: str):
    return client.post(
        reverse("screening:import_upload", args=[zone.pk]), {"file": SimpleUploadedFile(name, data)}
    )


@pytest.mark.django_db
def test_hostile_uploads_are_refused_at_upload_with_the_limit_named(
    client, tree, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    zone = tree.zones[0]
    client.force_login(tree.users["zone"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    cases = [
        (hostile.far_column(), "名单.xlsx", "ZZZZZ2"),
        (hostile.far_row(), "名单.xlsx", "beyond row 200,000"),
        (hostile.shared_strings_bomb(), "名单.xlsx", "times its packed size"),
        (hostile.declared_rows(), "名单.xlsx", "beyond row 200,000"),
        (hostile.zip_bomb(600), "名单.xlsx", "unpacks to more than 512 MB"),
        (hostile.bad_cell_reference(), "名单.xlsx", "2B is not a cell reference"),
        (hostile.csv_long_field(), "名单.csv", "more than 32,767 characters"),
        (hostile.csv_wide_row(), "名单.csv", "(200 columns)"),
    ]
    for data, name, expected in cases:
        started = time.monotonic()
        response = _upload(client, zone, data, name)
        assert time.monotonic() - started < 5
        assert response.status_code == 302
        assert response["Location"] == reverse("screening:place_people", args=["zone", zone.pk])
        shown = [str(m) for m in get_messages(response.wsgi_request)]
        assert any(expected in m for m in shown), (expected, shown)
    assert not any((settings.VAR_DIR / "imports").iterdir())  # nothing kept


@pytest.mark.django_db
def test_an_upload_whose_request_is_too_large_is_refused_before_it_is_read(client, tree, settings):
    settings.SCREENING_IMPORT_LIMITS = {"upload_bytes": 2**20}
    zone = tree.zones[0]
    client.force_login(tree.users["zone"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = _upload(client, zone, b"x" * (2**20 + 10_000), "a.csv")
    assert response.status_code == 302
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert shown == ["The file is larger than 1 MB, the most an import takes."]


@pytest.mark.django_db
def test_a_job_refuses_a_file_over_the_row_limit_before_checking_a_row(client, tree, settings):
    """Rows beyond the limit are found by the job's first pass, which reads the whole file
    holding nothing: the check never starts, nothing is written."""
    settings.JOBS_RUN_INLINE = True
    settings.SCREENING_IMPORT_INLINE_ROWS = 5
    zone = tree.zones[0]
    client.force_login(tree.users["zone"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    rows = [HEADER] + [
        [i, f"居民{i}", "440310198503140011", None, "1栋", "101", None, None] for i in range(40)
    ]
    response = _upload(client, zone, csv_bytes(rows), "a.csv")
    check_url = response["Location"]
    # Over the limit now, but not within the rows the page reads (5 + 30 header rows).
    settings.SCREENING_IMPORT_LIMITS = {"rows": 38}
    before = Person.objects.count()
    mapping = {"col-1": "name", "col-2": "doc_number", "col-4": "building", "col-5": "room"}
    client.post(check_url, {**mapping, "commit": "1"})
    job = Job.objects.get(kind=JobKind.IMPORT)
    assert job.status == JobStatus.FAILED
    assert job.error == str(L.ERR_ROWS.format(limit=38, row=39))
    assert job.message == "Reading the file"  # never got to "Checking rows"
    assert Person.objects.count() == before


@pytest.mark.django_db
def test_a_forged_mapping_cannot_make_the_page_fail(client, tree, settings):
    zone = tree.zones[0]
    client.force_login(tree.users["zone"])
    response = _upload(
        client, zone, csv_bytes([HEADER, [1, "张三", "x", None, "1栋", "101"]]), "a.csv"
    )
    check_url = response["Location"]
    forged = {
        "col-1": "name", "col-2": "doc_number", "col-4": "building", "col-5": "room",
        f"col-{10**30}": "notes", "col-3": "no_such_field", "col-6": "no_such_field",
    }  # fmt: skip
    response = client.post(check_url, forged)
    assert response.status_code == 200
