"""Hostile uploads, built small in the tests (and by bench/import.py): what an attacker,
or a broken generator, sends instead of a resident list."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEADER_ROW = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>姓名</t></is></c>'
    '<c r="B1" t="inlineStr"><is><t>身份证号</t></is></c></row>'
)


def xlsx(sheet: Iterable[bytes] | bytes, shared: Iterable[bytes] | bytes | None = None) -> bytes:
    """A minimal workbook whose first sheet's XML (and shared strings) are given in
    pieces, compressed as they come (a bomb is never held unpacked)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            '2006/content-types"/>',
        )
        zf.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
            '<sheet name="名单" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>",
        )
        for name, pieces in (("xl/worksheets/sheet1.xml", sheet), ("xl/sharedStrings.xml", shared)):
            if pieces is None:
                continue
            with zf.open(name, "w", force_zip64=True) as part:
                for piece in [pieces] if isinstance(pieces, bytes) else pieces:
                    part.write(piece)
    return out.getvalue()


def sheet(rows: str, *, dimension: str | None = None, prolog: str = "") -> bytes:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{MAIN}">{dim}'
        f"<sheetData>{HEADER_ROW}{rows}</sheetData></worksheet>"
    ).encode()


def far_column() -> bytes:
    """3.7 KB in the report: a cell in column ZZZZZ made the old reader pad a row to
    twelve million cells (2.8 GB, MemoryError)."""
    return xlsx(sheet('<row r="2"><c r="ZZZZZ2"><v>1</v></c></row>'))


def shared_strings_bomb(count: int = 3_000_000) -> bytes:
    """Millions of tiny shared texts, packed about a thousand to one."""

    def pieces():
        yield f'<sst xmlns="{MAIN}" count="{count}" uniqueCount="{count}">'.encode()
        chunk = b"<si><t>x</t></si>" * 10_000
        for _ in range(count // 10_000):
            yield chunk
        yield b"</sst>"

    return xlsx(sheet('<row r="2"><c r="A2" t="s"><v>0</v></c></row>'), pieces())


def many_shared_strings(count: int = 1_000_001) -> bytes:
    """Distinct shared texts (so packed only a few times), more than the limit."""

    def pieces():
        yield f'<sst xmlns="{MAIN}">'.encode()
        for start in range(0, count, 10_000):
            stop = min(start + 10_000, count)
            yield "".join(f"<si><t>{n}</t></si>" for n in range(start, stop)).encode()
        yield b"</sst>"

    return xlsx(sheet('<row r="2"><c r="A2" t="s"><v>0</v></c></row>'), pieces())


def declared_rows(rows: int = 6_000_000) -> bytes:
    """A sheet that declares millions of rows (its range, and a row numbered so)."""
    return xlsx(
        sheet(f'<row r="{rows}"><c r="A{rows}"><v>1</v></c></row>', dimension=f"A1:B{rows}")
    )


def far_row(rows: int = 6_000_000) -> bytes:
    """A row numbered in the millions, without a declared range: the old reader made
    every empty row above it."""
    return xlsx(sheet(f'<row r="{rows}"><c r="A{rows}"><v>1</v></c></row>'))


def many_rows(rows: int) -> bytes:
    """Real rows, each different (so the packing stays ordinary), up to `rows`."""

    def pieces():
        head = sheet("").decode()
        before, after = head.split("</sheetData>")
        yield before.encode()
        for start in range(2, rows + 1, 10_000):
            stop = min(start + 10_000, rows + 1)
            yield "".join(
                f'<row r="{n}"><c r="A{n}"><v>{n * 7919 % 1000003}</v></c></row>'
                for n in range(start, stop)
            ).encode()
        yield ("</sheetData>" + after).encode()

    return xlsx(pieces())


def zip_bomb(megabytes: int = 600) -> bytes:
    """A sheet of spaces that unpacks to `megabytes` MB."""

    def pieces():
        yield sheet("").replace(b"</sheetData>", b"")
        spaces = b" " * 2**20
        for _ in range(megabytes):
            yield spaces
        yield b"</sheetData></worksheet>"

    return xlsx(pieces())


# Damaged files: each used to end in a 500.
def bad_cell_reference() -> bytes:
    return xlsx(sheet('<row r="2"><c r="2B"><v>1</v></c></row>'))


def shared_index_out_of_range() -> bytes:
    return xlsx(
        sheet('<row r="2"><c r="A2" t="s"><v>7</v></c></row>'),
        f'<sst xmlns="{MAIN}"><si><t>张三</t></si></sst>'.encode(),
    )


def undefined_entity() -> bytes:
    return xlsx(sheet('<row r="2"><c r="A2" t="inlineStr"><is><t>&nbsp;</t></is></c></row>'))


def entity_expansion() -> bytes:
    """The "billion laughs": entities that expand to gigabytes."""
    dtd = (
        '<!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
        + "".join(
            f'<!ENTITY {c} "{("&" + p + ";") * 10}">'
            for p, c in zip("abcdefgh", "bcdefghi", strict=True)
        )
        + "]>"
    )
    return xlsx(
        sheet('<row r="2"><c r="A2" t="inlineStr"><is><t>&i;</t></is></c></row>', prolog=dtd)
    )


def not_a_number() -> bytes:
    return xlsx(sheet('<row r="2"><c r="A2"><v>12abc</v></c></row>'))


def bad_row_number() -> bytes:
    return xlsx(sheet('<row r="x2"><c r="A2"><v>1</v></c></row>'))


def csv_long_field(chars: int = 131_073) -> bytes:
    return ("姓名,身份证号\r\n" + '"' + "x" * chars + '",1\r\n').encode()


def csv_wide_row(columns: int = 100_000) -> bytes:
    return ("姓名,身份证号\r\n" + "," * columns + "\r\n").encode()


def csv_long_line(chars: int = 2**21) -> bytes:
    return ("姓名,身份证号\r\n" + "x" * chars + "\r\n").encode()
