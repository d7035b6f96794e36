"""PDF documents: Chinese text that extracts back, an embedded font, page sizes, QR codes."""

from __future__ import annotations

import io
import os
from urllib.parse import quote

import pytest
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from fangyi.core import documents
from fangyi.core.documents import (
    CJK_FONT_ENV,
    DocumentError,
    cjk_font_path,
    pdf_document,
    pdf_response,
    pdf_text,
    register_cjk_font,
)

FONT_HINT = "install the Debian package fonts-wqy-zenhei"
QR_DATA = "https://fangyi.example/pass/v1.AbC-123_xyz"


def _require(condition: bool, what: str) -> None:
    """Skip without `what`, but fail under CI where everything must run."""
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is required under CI (CI=true)", pytrace=False)
    pytest.skip(f"needs {what}")


@pytest.fixture(autouse=True)
def cjk_font(monkeypatch):
    monkeypatch.delenv(CJK_FONT_ENV, raising=False)
    try:
        path = cjk_font_path()
    except DocumentError:
        path = None
    _require(path is not None, f"a CJK TrueType font ({FONT_HINT})")
    return path


def notice(**kwargs):
    doc = pdf_document(title="隔离观察通知书", **kwargs)
    doc.heading("隔离观察通知书").heading("Home quarantine notice", level=2)
    doc.key_values(
        [
            ("姓名 Name", "张三"),
            ("开始日期 Start", "2020年2月3日"),
            ("地址 Address", "坪山街道六和社区 <3栋> 1203 & Co."),
        ]
    )
    doc.paragraph("请您自即日起居家隔离观察十四天，每日两次测量体温并如实报告。" * 4)
    doc.paragraph("Please stay at home for 14 days and report your temperature twice a day.")
    doc.table(["序号", "日期", "体温"], [[1, "2月3日", "36.5"], [2, "2月4日", None], [3]])
    doc.qr_code(QR_DATA, caption="扫码查看 Scan to check")
    doc.spacer(10).page_break().paragraph("第二页 Page two", size=28)
    return doc


def test_chinese_and_english_text_render_and_extract():
    data = notice().render()
    assert data.startswith(b"%PDF-")
    text = pdf_text(data)
    for expected in [
        "隔离观察通知书",
        "张三",
        "2020年2月3日",
        "Home quarantine notice",
        "居家隔离观察十四天",
        "twice a day",
        # Escaped, not read as markup: the brackets and ampersand print as typed.
        "<3栋> 1203 & Co.",
        "第二页 Page two",
    ]:
        assert expected in text, expected
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 2
    assert reader.metadata.title == "隔离观察通知书"


def test_mixed_chinese_paragraph_fills_its_lines():
    sentence = "居民 Zhang San 已于2020年2月3日返深，请于温馨驿站隔离观察三至五天，核酸检测正常后居家隔离。"
    doc = pdf_document(title="wrap")
    doc.paragraph(sentence * 5)
    lines = [line for line in pdf_text(doc.render()).splitlines() if line.strip()]
    assert "".join(lines).replace(" ", "") == (sentence * 5).replace(" ", "")
    # CJK wrapping breaks between any two Chinese characters and fills each line; the
    # default wraps only at spaces, leaving short ragged lines (12, 45, 9, 45, ...).
    full = [len(line) for line in lines[:-1]]
    assert len(full) >= 4
    assert min(full) >= 0.9 * max(full), full


def test_cjk_font_is_embedded_as_truetype():
    data = notice().render()
    fonts = PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"]
    truetype = [
        font.get_object() for font in fonts.values() if font.get_object()["/Subtype"] == "/TrueType"
    ]
    assert truetype, "no TrueType font on the page"
    font = truetype[0]
    face = pdfmetrics.getFont(register_cjk_font()).face.name.decode()
    assert font["/BaseFont"].endswith(f"+{face}-0"), font["/BaseFont"]
    # FontFile2 is the embedded TrueType program (a subset): the PDF needs no installed font.
    assert "/FontFile2" in font["/FontDescriptor"].get_object()
    assert "/ToUnicode" in font


@pytest.mark.parametrize(
    ("size", "orientation", "expected"),
    [
        ("A4", "portrait", (595, 842)),
        ("A3", "portrait", (842, 1191)),
        ("A3", "landscape", (1191, 842)),
        ((100, 70), "landscape", (283, 198)),  # a bag label, in mm
    ],
)
def test_page_sizes(size, orientation, expected):
    doc = pdf_document(title="size", page_size=size, orientation=orientation, margin=5)
    doc.paragraph("张三 3栋1203", size=24)
    box = PdfReader(io.BytesIO(doc.render())).pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == expected


def test_page_numbers():
    doc = pdf_document(title="list", page_numbers=True)
    doc.paragraph("第一页").page_break().paragraph("第二页")
    pages = pdf_text(doc.render()).split("\f")
    assert ["— 1 —" in pages[0], "— 2 —" in pages[1]] == [True, True]
    assert "— 1 —" not in pdf_text(pdf_document(title="x").paragraph("x").render())


def test_bad_parameters_are_refused():
    with pytest.raises(DocumentError, match="page_size"):
        pdf_document(title="x", page_size="Letter")
    with pytest.raises(DocumentError, match="orientation"):
        pdf_document(title="x", orientation="sideways")
    with pytest.raises(DocumentError, match="heading level"):
        pdf_document(title="x").heading("x", level=7)
    with pytest.raises(DocumentError, match="col_widths"):
        pdf_document(title="x").table(["a", "b"], [[1, 2]], col_widths=[20])
    with pytest.raises(DocumentError, match="align"):
        pdf_document(title="x").qr_code("x", align="middle")


def test_missing_font_names_the_debian_package(monkeypatch, tmp_path):
    monkeypatch.setattr(documents, "KNOWN_CJK_FONTS", [(str(tmp_path / "none.ttc"), 0, "x")])
    with pytest.raises(DocumentError, match="fonts-wqy-zenhei") as excinfo:
        pdf_document(title="x")
    assert str(tmp_path / "none.ttc") in str(excinfo.value)


def test_font_from_the_environment(monkeypatch, tmp_path, cjk_font):
    path, index = cjk_font
    monkeypatch.setenv(CJK_FONT_ENV, f"{path}#{index}")
    assert cjk_font_path() == (path, index)
    assert "张三" in pdf_text(pdf_document(title="x").paragraph("张三").render())

    monkeypatch.setenv(CJK_FONT_ENV, str(tmp_path / "missing.ttf"))
    with pytest.raises(DocumentError, match=CJK_FONT_ENV):
        pdf_document(title="x")
    monkeypatch.setenv(CJK_FONT_ENV, f"{path}#first")
    with pytest.raises(DocumentError, match="index"):
        pdf_document(title="x")
    not_a_font = tmp_path / "notes.ttf"
    not_a_font.write_bytes(b"this is not a font")
    monkeypatch.setenv(CJK_FONT_ENV, str(not_a_font))
    with pytest.raises(DocumentError, match="TrueType"):
        pdf_document(title="x")


def test_qr_code_is_in_the_story():
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing

    doc = pdf_document(title="qr").qr_code(QR_DATA, size=30)
    drawings = [f for block in doc.story for f in block._content if isinstance(f, Drawing)]
    widgets = [w for d in drawings for w in d.contents if isinstance(w, QrCodeWidget)]
    assert [w.value for w in widgets] == [QR_DATA]
    assert drawings[0].width == pytest.approx(30 * 72 / 25.4)


@pytest.mark.parametrize("data", [QR_DATA, "通行证 张三 绿码"])
def test_qr_code_in_the_pdf_decodes_to_its_data(data):
    # Rasterise the real page (PDFium) and decode it (ZXing): what a guard's phone would read.
    try:
        import pypdfium2
        import zxingcpp
    except ImportError:
        _require(False, "pypdfium2 and zxing-cpp (dev extras)")
    pdf = pypdfium2.PdfDocument(pdf_document(title="qr").qr_code(data, size=35).render())
    image = pdf[0].render(scale=2).to_pil()
    assert [barcode.text for barcode in zxingcpp.read_barcodes(image)] == [data]


def test_pdf_response_with_a_chinese_filename():
    response = pdf_response("隔离观察通知书-张三.pdf", b"%PDF-1.4 test")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Length"] == "13"
    assert response["Content-Disposition"] == (
        "inline; filename*=utf-8''" + quote("隔离观察通知书-张三.pdf")
    )
    assert response.content == b"%PDF-1.4 test"

    download = pdf_response("../../etc/notice\r\n", b"x", inline=False)
    assert download["Content-Disposition"] == 'attachment; filename=".._.._etc_notice__.pdf"'
