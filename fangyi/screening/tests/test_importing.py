"""Importing resident lists: header recognition, damage reported per row, commit, re-import."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import translation

from fangyi.conftest import make_id_number
from fangyi.people.identity import ERR_ID_CHECK, ERR_ID_FLOAT, ERR_PHONE
from fangyi.people.models import Person, PersonEvent
from fangyi.places.models import Dwelling
from fangyi.screening import importing
from fangyi.screening.importing import detect_header, people_import, read_table
from fangyi.screening.tests.helpers import HEADER, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db

TODAY = dt.date(2020, 2, 20)


def _run(user, zone, data, filename, *, commit=False):
    rows = list(read_table(data, filename))
    header = detect_header(rows)
    with translation.override("en"), time_machine.travel(dt.datetime(2020, 2, 20, 10), tick=False):
        return people_import(user=user, zone=zone, rows=rows, header=header, commit=commit)


def _clean_rows():
    return [
        [1, "张三", make_id_number(101), "13800138001", "1栋", "101", "湖北省武汉市", "2020-02-03"],
        [2, "李四", make_id_number(102), "13800138002", "1", "201", "广东省深圳市", None],
        [3, "王五", make_id_number(103), None, "2栋", "102", None, None],
    ]


def test_header_found_below_title_rows_and_merged_cells():
    data = xlsx_bytes(
        [
            ["序号", "姓名", "身份证号码（18位）", "联系方式", None, "楼栋", "房号"],
            [None, None, None, "手机", "固话", None, None],
            [1, "张三", make_id_number(1), "13800138001", "", "1栋", "101"],
        ],
        title_rows=[["六和社区居民登记表"], []],
        merged=["A1:G1", "A3:A4", "B3:B4", "C3:C4", "D3:E3", "F3:F4", "G3:G4"],
    )
    header = detect_header(list(read_table(data, "x.xlsx")))
    assert header.row == 4
    assert header.mapping == {1: "name", 2: "doc_number", 3: "phone", 5: "building", 6: "room"}


def test_every_kind_of_damage_is_reported_and_nothing_imported(tree):
    zone = tree.zones[0]
    good = make_id_number(201)
    bad_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    rows = [
        HEADER,
        [],
        [1, "全角", "４４０３１０１９８５０３１４２０２" if False else _fullwidth(make_id_number(202)),
         "13800138003", "1栋", "101", None, None],
        [2, "空格", " ".join([make_id_number(203)[:6], make_id_number(203)[6:]]), None, "1栋",
         "101", None, None],
        [3, "小写x", _lower_x(), None, "1栋", "102", None, None],
        [4, "十五位", "440310850314211", None, "2栋", "101", None, None],
        [5, "浮点", 4.40304199001011e17, None, "1栋", "101", None, None],
        [6, "校验错", bad_check, None, "1栋", "101", None, None],
        [7, "手机错", good, "1234", "1栋", "101", None, None],
        [8, "楼错", make_id_number(204), None, "9栋", "101", None, None],
        [9, "重复", make_id_number(202), None, "1栋", "101", None, None],
    ]  # fmt: skip
    before = (Person.objects.count(), PersonEvent.objects.count(), Dwelling.objects.count())
    report = _run(None, zone, xlsx_bytes(rows), "list.xlsx", commit=True)
    assert not report.committed
    with translation.override("en"):
        problems = {(p.row, p.column.split(" (")[0], p.message) for p in report.problems}
        assert (7, "身份证号", str(ERR_ID_FLOAT.format(value="4.40304199001011E+17"))) in problems
        assert (8, "身份证号", str(ERR_ID_CHECK)) in problems
        assert (9, "手机", str(ERR_PHONE)) in problems
        assert (
            10,
            "楼栋",
            str(importing.ERR_BUILDING_UNKNOWN.format(name="9栋", zone=zone.name)),
        ) in problems
        assert (11, "身份证号", str(importing.ERR_DUPLICATE_ROW.format(row=3))) in problems  # fmt: skip
    # Full-width digits, spaces, lowercase x and the 15-digit number are all fine.
    assert {p.row for p in report.problems} == {7, 8, 9, 10, 11}
    assert (Person.objects.count(), PersonEvent.objects.count(), Dwelling.objects.count()) == before


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


def _lower_x() -> str:
    seq = 0
    while True:
        number = make_id_number(300 + seq)
        if number.endswith("X"):
            return number.lower()
        seq += 1


def test_clean_file_imports_then_reimport_changes_nothing(tree):
    zone = tree.zones[0]
    data = xlsx_bytes([HEADER, *_clean_rows()], title_rows=[["居民名单"]])
    dry = _run(tree.users["zone"], zone, data, "a.xlsx")
    assert (dry.rows, dry.created, dry.problems, dry.committed) == (3, 3, [], False)
    assert dry.new_dwellings == 1  # 1栋 201 does not exist yet
    assert not Person.objects.filter(name="张三").exists()

    report = _run(tree.users["zone"], zone, data, "a.xlsx", commit=True)
    assert report.committed and report.created == 3
    zhang = Person.objects.get(name="张三")
    assert (zhang.zone_id, zhang.building_id, zhang.dwelling.room) == (
        zone.pk, tree.buildings[0].pk, "101"
    )  # fmt: skip
    assert zhang.travel_status == "returned" and zhang.return_date == dt.date(2020, 2, 3)
    assert zhang.household_id is not None
    li = Person.objects.get(name="李四")
    assert (li.dwelling.room, li.dwelling.floor) == ("201", 2)
    event = zhang.events.get()
    assert (event.source, event.action, event.by) == ("import", "created", tree.users["zone"])
    assert event.changes["doc_number"] == [None, make_id_number(101)]

    counts = (Person.objects.count(), PersonEvent.objects.count(), Dwelling.objects.count())
    again = _run(tree.users["zone"], zone, data, "a.xlsx", commit=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert (Person.objects.count(), PersonEvent.objects.count(), Dwelling.objects.count()) == counts


def test_reimport_updates_with_history(tree):
    zone = tree.zones[0]
    existing = tree.people[0]
    old_phone = existing.phone
    rows = [
        HEADER,
        [1, existing.name, existing.doc_number, "13900139000", "2栋", "102", None, None],
    ]
    report = _run(tree.users["zone"], zone, xlsx_bytes(rows), "b.xlsx", commit=True)
    assert (report.created, report.updated) == (0, 1)
    existing.refresh_from_db()
    assert existing.phone == "13900139000" and existing.building_id == tree.buildings[1].pk
    event = existing.events.get()
    assert event.changes["phone"] == [old_phone, "13900139000"]
    assert event.changes["dwelling"][1] == "2栋 102"


def test_gbk_csv_with_bom_less_utf8_and_gbk(tree):
    zone = tree.zones[0]
    rows = [["姓名", "证件号码", "联系电话", "栋号", "门牌"]]
    rows += [["赵六", make_id_number(111), "13800138011", "1栋", "102"]]
    for encoding in ("gbk", "utf-8", "utf-8-sig", "gb18030"):
        report = _run(None, zone, csv_bytes(rows, encoding), "c.csv")
        assert report.ok and report.created == 1, encoding


def test_import_needs_the_zone_in_scope(tree):
    with pytest.raises(PermissionDenied):
        _run(tree.users["outsider"], tree.zones[0], xlsx_bytes([HEADER, *_clean_rows()]), "a.xlsx")


def test_file_of_another_area_is_reported_not_moved(tree):
    other = tree.people[-1]  # lives in zone 3, outside the zone manager's scope
    rows = [HEADER, [1, other.name, other.doc_number, None, "1栋", "101", None, None]]
    report = _run(tree.users["zone"], tree.zones[0], xlsx_bytes(rows), "d.xlsx", commit=True)
    assert not report.committed and len(report.problems) == 1


def test_no_header_is_refused():
    with pytest.raises(importing.ImportFileError):
        detect_header([["a", "b"], [1, 2]])


def test_progress_every_thousand_rows_and_at_the_end_and_the_stages(tree):
    rows = [HEADER] + [
        [i, f"进度{i}", make_id_number(i, dt.date(1970, 1, 1) + dt.timedelta(days=i // 1000)),
         None, "1栋", "101", None, None]
        for i in range(2_500)
    ]  # fmt: skip
    header = detect_header(rows)
    for commit, expected_stages in ((False, ["match"]), (True, ["match", "write"])):
        seen: list[int] = []
        stages: list[str] = []
        report = people_import(
            user=None, zone=tree.zones[0], rows=rows, header=header, commit=commit,
            progress=seen.append, stage=stages.append,
        )  # fmt: skip
        assert report.ok and report.committed == commit
        assert seen == [1000, 2000, 2501] and stages == expected_stages


def test_report_as_json_keeps_the_first_problems_and_their_count():
    report = importing.ImportReport(rows=3, created=1)
    report.problems = [importing.Problem(n, "姓名 (B)", "bad") for n in (2, 3, 4)]
    kept = report.as_json(limit=2)
    assert kept["problem_count"] == 3 and kept["committed"] is False
    assert kept["problems"] == [
        {"row": 2, "column": "姓名 (B)", "message": "bad"},
        {"row": 3, "column": "姓名 (B)", "message": "bad"},
    ]
    assert len(report.as_json()["problems"]) == 3  # REPORT_PROBLEMS_SHOWN is 500


def test_imported_files_have_their_state(tree):
    """A returnee imported two days after the return is a returnee everywhere at once: the
    import derives the states of the files it writes (people.state)."""
    from fangyi.people.state import rebuild_differences

    zone = tree.zones[0]
    rows = _clean_rows()
    rows[0][7] = "2020-02-18"  # two days before the import (TODAY)
    _run(tree.users["zone"], zone, xlsx_bytes([HEADER, *rows]), "a.xlsx", commit=True)
    states = dict(
        Person.objects.filter(name__in=("张三", "李四")).values_list("name", "epidemic_state")
    )
    assert states == {"张三": "returnee", "李四": "unverified"}
    assert rebuild_differences(TODAY) == []
