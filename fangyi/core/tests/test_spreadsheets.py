"""xlsx exports: values round-trip exactly, rows stream, downloads carry a Chinese name."""

from __future__ import annotations

import datetime as dt
import io
import time
import zipfile
from decimal import Decimal
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from fangyi.core.spreadsheets import (
    XLSX_CONTENT_TYPE,
    Sheet,
    SpreadsheetError,
    read_xlsx_rows,
    write_xlsx,
    xlsx_response,
)

UTC = dt.UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")


def people_sheet():
    return Sheet(
        title="隔离人员",
        header=["姓名", "到达日期", "登记时间", "体温", "人数", "备注"],
        rows=[
            # 16:30 UTC on 2 February is 00:30 on 3 February in Shenzhen.
            [
                "张三",
                dt.date(2020, 2, 3),
                dt.datetime(2020, 2, 2, 16, 30, tzinfo=UTC),
                36.5,
                3,
                None,
            ],
            [
                "李四",
                dt.date(2020, 2, 4),
                dt.datetime(2020, 2, 4, 9, 15, 7, tzinfo=SHANGHAI),
                37.3,
                1,
                "发热复核",
            ],
            ["Wang Wu", None, dt.datetime(2020, 2, 5, 8, 0), Decimal("36.8"), 0, '=HYPERLINK("x")'],
        ],
        column_widths=[12, None, 20],
    )


def test_two_sheets_round_trip_exactly(tmp_path):
    path = tmp_path / "report.xlsx"
    summary = Sheet("Summary 汇总", ["街道", "人次"], iter([("坪山街道", 77000), ("龙田", 46000)]))
    assert write_xlsx(path, [people_sheet(), summary]) == 5

    assert read_xlsx_rows(path) == [
        ["姓名", "到达日期", "登记时间", "体温", "人数", "备注"],
        ["张三", dt.date(2020, 2, 3), dt.datetime(2020, 2, 3, 0, 30), 36.5, 3, None],
        ["李四", dt.date(2020, 2, 4), dt.datetime(2020, 2, 4, 9, 15, 7), 37.3, 1, "发热复核"],
        ["Wang Wu", None, dt.datetime(2020, 2, 5, 8, 0), 36.8, 0, '=HYPERLINK("x")'],
    ]
    assert read_xlsx_rows(path.read_bytes(), sheet="Summary 汇总") == [
        ["街道", "人次"],
        ["坪山街道", 77000],
        ["龙田", 46000],
    ]
    assert read_xlsx_rows(path, sheet=1) == read_xlsx_rows(path, sheet="Summary 汇总")


def test_dates_are_excel_dates_header_bold_and_frozen(tmp_path):
    path = tmp_path / "report.xlsx"
    write_xlsx(path, [people_sheet()])
    ws = load_workbook(path)["隔离人员"]
    assert ws.freeze_panes == "A2"
    assert all(cell.font.bold for cell in ws[1])
    assert not ws["A2"].font.bold
    assert ws["B2"].is_date and ws["B2"].number_format == "yyyy-mm-dd"
    assert ws["C2"].is_date and ws["C2"].number_format == "yyyy-mm-dd hh:mm:ss"
    # Resident-typed text stays text: never a formula Excel would run.
    assert ws["F4"].data_type == "s"
    assert ws.column_dimensions["A"].width == 12
    assert ws.column_dimensions["C"].width == 20
    assert ws.column_dimensions["B"].width >= 12  # fitted to the Chinese header
    assert ws.auto_filter.ref == "A1:F4"


def test_writes_to_a_file_object_and_cleans_values():
    buffer = io.BytesIO()
    sheet = Sheet("a/b:c?" + "x" * 40, ["值"], [["bell\x07 and tab\t"], [True], [dt.time(8, 30)]])
    write_xlsx(buffer, [sheet])
    workbook = load_workbook(io.BytesIO(buffer.getvalue()))
    assert workbook.sheetnames == ["a_b_c_" + "x" * 25]
    assert read_xlsx_rows(buffer.getvalue()) == [
        ["值"],
        ["bell and tab\t"],
        [True],
        [dt.time(8, 30)],
    ]


def test_duplicate_titles_and_no_sheets_are_refused(tmp_path):
    with pytest.raises(SpreadsheetError, match="titled"):
        write_xlsx(tmp_path / "x.xlsx", [Sheet("名单", ["a"], []), Sheet("名单", ["a"], [])])
    with pytest.raises(SpreadsheetError, match="at least one sheet"):
        write_xlsx(tmp_path / "x.xlsx", [])


def test_rows_stream_from_a_generator_with_progress(tmp_path):
    total = 20_000
    produced = 0
    reports: list[tuple[int, int]] = []

    def rows():
        nonlocal produced
        start = dt.datetime(2020, 2, 1, tzinfo=SHANGHAI)
        for i in range(total):
            produced += 1
            yield (i, f"居民{i}", start + dt.timedelta(minutes=i), i * 0.5, None, "坪山")

    def progress(rows_written: int) -> None:
        reports.append((rows_written, produced))

    started = time.perf_counter()
    path = tmp_path / "big.xlsx"
    written = write_xlsx(
        path,
        [Sheet("居民", ["序号", "姓名", "时间", "值", "空", "街道"], rows())],
        progress=progress,
    )
    elapsed = time.perf_counter() - started

    assert written == total
    assert [n for n, _ in reports] == list(range(1000, total + 1, 1000))
    # The generator is consumed in step with the writing, never materialised ahead of it.
    assert all(seen == n for n, seen in reports)
    # A pathological writer (materialising, quadratic) would take far longer; this machine
    # needs about 2 s, so the bound leaves room for a loaded CI runner.
    assert elapsed < 8, f"{total} rows took {elapsed:.1f} s"

    # Reading 20,000 rows back through openpyxl would double the test's time; the values
    # themselves are checked in test_two_sheets_round_trip_exactly, here only that all came.
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    assert xml.count(b"<row ") == total + 1
    assert f'<autoFilter ref="A1:F{total + 1}"/>'.encode() in xml


def test_progress_reports_the_final_count(tmp_path):
    reports: list[int] = []
    write_xlsx(
        tmp_path / "x.xlsx",
        [Sheet("a", ["n"], ([i] for i in range(1500)))],
        progress=reports.append,
    )
    assert reports == [1000, 1500]


def test_too_many_rows_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("fangyi.core.spreadsheets.EXCEL_MAX_ROWS", 11)
    with pytest.raises(SpreadsheetError, match="more rows than Excel allows"):
        write_xlsx(tmp_path / "x.xlsx", [Sheet("a", ["n"], ([i] for i in range(11)))])


# Closing a response (which deletes its temporary file) sends request_finished, whose
# handler checks the database connections: the database must be reachable.
@pytest.mark.django_db
def test_xlsx_response_streams_a_chinese_filename():
    response = xlsx_response("每日报表 2020-02-03.xlsx", [people_sheet()])
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''" + quote("每日报表 2020-02-03.xlsx")
    )
    body = b"".join(response.streaming_content)
    response.close()
    assert int(response["Content-Length"]) == len(body)
    assert read_xlsx_rows(body)[1][0] == "张三"

    plain = xlsx_response("worklist", [Sheet("a", ["n"], [])])
    assert plain["Content-Disposition"] == 'attachment; filename="worklist.xlsx"'
    plain.close()
