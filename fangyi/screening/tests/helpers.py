"""Spreadsheets made by the tests."""

from __future__ import annotations

import io

from openpyxl import Workbook

HEADER = ["序号", "姓名", "身份证号", "手机", "楼栋", "房号", "户籍地", "返深日期"]


def xlsx_bytes(rows, *, title_rows=(), merged=()) -> bytes:
    """An xlsx with optional title rows above the header and merged ranges."""
    wb = Workbook()
    ws = wb.active
    for row in title_rows:
        ws.append(list(row))
    for row in rows:
        ws.append(list(row))
    for cell_range in merged:
        ws.merge_cells(cell_range)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows, encoding="utf-8-sig") -> bytes:
    lines = [",".join("" if v is None else str(v) for v in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)
