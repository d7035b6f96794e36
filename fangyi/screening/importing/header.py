"""The header of a resident list: the fields a column can be mapped to, the synonyms
communities write for them, where the header row is, and the proposed mapping."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from fangyi.screening.importing.limits import ImportFileError, column_letters

HEADER_SCAN_ROWS = 30

ERR_NO_HEADER = _(
    "No header row found: the first {rows} rows have no columns named like 姓名 and 身份证号."
)
ERR_MAPPING_TWICE = _("Two columns are mapped to {field}.")
ERR_MAPPING_MISSING = _("Map a column to {field}.")


@dataclass(frozen=True)
class FieldSpec:
    """A person field a column can be mapped to, with the header names that mean it."""

    name: str
    label: Any
    synonyms: tuple[str, ...]
    required: bool = False


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("name", _("name"), ("姓名", "名字", "居民姓名", "人员姓名", "name"), True),
    FieldSpec("doc_type", _("document type"), ("证件类型", "证件种类", "document type")),
    FieldSpec(
        "doc_number",
        _("document number"),
        (
            "身份证号",
            "身份证号码",
            "证件号码",
            "证件号",
            "身份证",
            "公民身份号码",
            "身份证件号码",
            "document number",
            "id number",
        ),
        True,
    ),
    FieldSpec(
        "phone",
        _("mobile phone"),
        (
            "手机",
            "手机号",
            "手机号码",
            "联系电话",
            "电话",
            "电话号码",
            "联系方式",
            "phone",
            "mobile",
        ),
    ),
    FieldSpec(
        "building", _("building"), ("楼栋", "栋号", "楼号", "楼栋号", "栋", "building"), True
    ),
    FieldSpec("floor", _("floor"), ("楼层", "层", "层数", "floor")),
    FieldSpec(
        "room",
        _("room"),
        ("房号", "门牌", "门牌号", "房间号", "房间", "房号门牌", "户号", "room"),
        True,
    ),
    FieldSpec(
        "origin",
        _("place of origin"),
        ("户籍地", "来源地", "籍贯", "户籍", "户籍地址", "来自", "从何地来", "origin"),
    ),
    FieldSpec(
        "return_date",
        _("return date"),
        ("返深日期", "返回日期", "返深时间", "抵深日期", "来深日期", "到深日期", "return date"),
    ),
    FieldSpec(
        "travel_status",
        _("travel status"),
        ("人员类别", "人员类型", "类别", "人员状态", "离深情况", "离返深情况", "travel status"),
    ),
    FieldSpec("sex", _("sex"), ("性别", "sex")),
    FieldSpec("notes", _("notes"), ("备注", "说明", "notes")),
)
FIELDS_BY_NAME = {f.name: f for f in FIELDS}


# ---- the header -----------------------------------------------------------------------


def _label_key(value: Any) -> str:
    text = unicodedata.normalize("NFKC", str(value or ""))
    text = re.sub(r"\(.*?\)|（.*?）|[\s*:：]", "", text)
    return text.lower()


_SYNONYMS = {_label_key(s): f.name for f in FIELDS for s in f.synonyms}


def field_for_label(value: Any) -> str | None:
    """The field a header label names, or None."""
    key = _label_key(value)
    if not key:
        return None
    if key in _SYNONYMS:
        return _SYNONYMS[key]
    # "身份证号码(18位)" or "联系电话/手机": the longest synonym the label contains.
    found = [(len(s), f) for s, f in _SYNONYMS.items() if len(s) >= 2 and s in key]
    return max(found)[1] if found else None


@dataclass
class Header:
    """Where the header is, the column labels as written, and a proposed mapping."""

    row: int  # 1-based row number of the last header row; data starts after it
    labels: list[str]
    mapping: dict[int, str]  # column index → field name
    samples: list[list[Any]] = field(default_factory=list)

    def column_name(self, index: int) -> str:
        label = self.labels[index] if index < len(self.labels) else ""
        letter = column_letters(index)
        return f"{label} ({letter})" if label else letter


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def detect_header(rows: Sequence[Sequence[Any]]) -> Header:
    """Find the header among the first rows and propose a mapping.

    The header is the row naming the most fields. A header cell left empty (the lower
    part of a vertically merged cell) takes the label above it; a row right under the
    header whose cells are all text without digits, one of them a field name (sub-headers under a merged cell such as
    联系方式 → 手机, 固话) is folded into the header.
    """
    best, best_score = -1, 0
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        fields = {field_for_label(v) for v in row if not blank(v)} - {None}
        score = len(fields) + (1 if {"name", "doc_number"} <= fields else 0)
        if score > best_score:
            best, best_score = index, score
    if best < 0 or best_score < 2:
        raise ImportFileError(ERR_NO_HEADER.format(rows=HEADER_SCAN_ROWS))
    width = max(len(r) for r in rows[: best + 2])
    labels = [""] * width
    for col in range(width):
        for above in range(best, -1, -1):
            row = rows[above]
            if col < len(row) and not blank(row[col]):
                labels[col] = str(row[col]).strip()
                break
    last = best
    if best + 1 < len(rows):
        below = [v for v in rows[best + 1] if not blank(v)]
        header_like = all(isinstance(v, str) and not re.search(r"\d", v) for v in below)
        if below and header_like and any(field_for_label(v) for v in below):
            last = best + 1
            for col, value in enumerate(rows[best + 1]):
                if not blank(value):
                    if col >= len(labels):
                        labels.extend([""] * (col + 1 - len(labels)))
                    labels[col] = str(value).strip()
    mapping: dict[int, str] = {}
    taken: set[str] = set()
    for col, label in enumerate(labels):
        name = field_for_label(label)
        if name and name not in taken:
            mapping[col] = name
            taken.add(name)
    samples = [list(r) for r in rows[last + 1 :] if any(not blank(v) for v in r)][:3]
    return Header(row=last + 1, labels=labels, mapping=mapping, samples=samples)


def mapping_problems(mapping: dict[int, str]) -> list[str]:
    """What is wrong with a mapping (a field twice, a required field missing)."""
    problems = []
    seen: set[str] = set()
    for name in mapping.values():
        if name in seen:
            problems.append(str(ERR_MAPPING_TWICE.format(field=FIELDS_BY_NAME[name].label)))
        seen.add(name)
    for spec in FIELDS:
        if spec.required and spec.name not in seen:
            problems.append(str(ERR_MAPPING_MISSING.format(field=spec.label)))
    return problems
