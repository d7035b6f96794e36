"""PDF documents with Chinese text: notices, certificates, labels, posters.

Build a document with `pdf_document(...)`, add blocks, `render()` to bytes and
answer with `pdf_response(...)`::

    doc = pdf_document(title="隔离观察通知书")
    doc.heading("隔离观察通知书").key_values([("姓名", "张三"), ("开始日期", "2020年2月3日")])
    doc.qr_code(token_url, caption="扫码查看")
    return pdf_response("隔离观察通知书-张三.pdf", doc.render())

Text is plain text: it is escaped, never read as reportlab markup, so a
resident's name containing `<` or `&` prints as typed. Chinese needs a CJK
TrueType font from a Debian package (reportlab cannot embed CFF/OTF outlines
such as Noto Sans CJK); see `cjk_font_path` and docs/documents.md.
"""

from __future__ import annotations

import io
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A3, A4, landscape, portrait
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

__all__ = [
    "CJK_FONT_ENV",
    "KNOWN_CJK_FONTS",
    "Document",
    "DocumentError",
    "cjk_font_path",
    "pdf_document",
    "pdf_response",
    "pdf_text",
    "register_cjk_font",
]

CJK_FONT_ENV = "FANGYI_CJK_FONT"

# TrueType CJK fonts shipped by Debian, best first: (path, index in a .ttc, package).
KNOWN_CJK_FONTS: list[tuple[str, int, str]] = [
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0, "fonts-wqy-zenhei"),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0, "fonts-wqy-microhei"),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0, "fonts-arphic-uming"),
    ("/usr/share/fonts/truetype/arphic/ukai.ttc", 0, "fonts-arphic-ukai"),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0, "fonts-droid-fallback"),
]

RECOMMENDED_FONT_PACKAGE = "fonts-wqy-zenhei"

NO_FONT = (
    "No Chinese (CJK) TrueType font found for PDF documents. Install the Debian package "
    f"{RECOMMENDED_FONT_PACKAGE} (apt-get install {RECOMMENDED_FONT_PACKAGE}) or set "
    f"{CJK_FONT_ENV} to a TrueType font file (path or path#index for a .ttc). Looked in: "
)
BAD_ENV_FONT = f"{CJK_FONT_ENV} names a font file that does not exist: "
BAD_ENV_INDEX = f"{CJK_FONT_ENV} must be a path or path#index with a whole-number index: "
UNUSABLE_FONT = "The CJK font cannot be used for PDF documents (reportlab needs TrueType outlines, not CFF/OTF): "

PAGE_SIZES = {"A4": A4, "A3": A3}
ORIENTATIONS = {"portrait": portrait, "landscape": landscape}


class DocumentError(Exception):
    """A PDF document cannot be made (missing font, bad parameter)."""


# --- the font ------------------------------------------------------------------------------


def cjk_font_path() -> tuple[str, int]:
    """The CJK font to embed: `FANGYI_CJK_FONT` if set, else the first known Debian font.

    An explicit `FANGYI_CJK_FONT` that points nowhere is an error, not a reason to fall
    back: an operator who set it wants that font.
    """
    raw = os.environ.get(CJK_FONT_ENV, "").strip()
    if raw:
        path, sep, index = raw.rpartition("#")
        if not sep:
            path, index = raw, "0"
        if not index.isdigit():
            raise DocumentError(BAD_ENV_INDEX + repr(raw))
        if not os.path.isfile(path):
            raise DocumentError(BAD_ENV_FONT + repr(path))
        return path, int(index)
    for path, index, _package in KNOWN_CJK_FONTS:
        if os.path.isfile(path):
            return path, index
    raise DocumentError(NO_FONT + ", ".join(path for path, _, _ in KNOWN_CJK_FONTS))


_registered: dict[tuple[str, int], str] = {}
_register_lock = threading.Lock()


def register_cjk_font() -> str:
    """Register the CJK font with reportlab (once per process and file); return its name.

    The same face is registered as the bold and italic members of its family, so `<b>`
    in a style never fails for want of a bold CJK face (the Debian fonts have none).
    """
    key = cjk_font_path()
    with _register_lock:
        name = _registered.get(key)
        if name is None:
            name = "FangyiCJK" if not _registered else f"FangyiCJK{len(_registered)}"
            path, index = key
            try:
                pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
            except (TTFError, OSError) as exc:
                raise DocumentError(f"{UNUSABLE_FONT}{path}#{index} ({exc})") from exc
            pdfmetrics.registerFontFamily(
                name, normal=name, bold=name, italic=name, boldItalic=name
            )
            _registered[key] = name
        return name


# --- the document --------------------------------------------------------------------------

ALIGNMENTS = {"left": TA_LEFT, "center": TA_CENTER, "right": TA_RIGHT}
HEADING_SCALE = {1: 1.8, 2: 1.4, 3: 1.15}
GRID_COLOUR = colors.HexColor("#666666")
SHADE_COLOUR = colors.HexColor("#EEEEEE")


def _markup(text: object) -> str:
    """Plain text → Paragraph markup: escaped, line breaks kept."""
    value = "" if text is None else str(text)
    return escape(value).replace("\n", "<br/>")


@dataclass
class _Styles:
    font: str
    size: float

    def text(
        self, *, size: float | None = None, align: str = "left", leading: float = 1.4
    ) -> ParagraphStyle:
        if align not in ALIGNMENTS:
            raise DocumentError(f"align must be one of {', '.join(ALIGNMENTS)}; got {align!r}")
        font_size = size or self.size
        return ParagraphStyle(
            "fangyi",
            fontName=self.font,
            fontSize=font_size,
            leading=font_size * leading,
            alignment=ALIGNMENTS[align],
            # Chinese has no spaces: without CJK wrapping a Chinese line never breaks.
            wordWrap="CJK",
            spaceAfter=font_size * 0.5,
        )


class Document:
    """A PDF being assembled from blocks; every adder returns the document for chaining."""

    def __init__(
        self,
        *,
        title: str,
        page_size: tuple[float, float],
        margin: float,
        font_size: float,
        author: str,
        page_numbers: bool,
    ) -> None:
        self.title = title
        self.page_size = page_size
        self.margin = margin
        self.author = author
        self.page_numbers = page_numbers
        self.font = register_cjk_font()
        self.styles = _Styles(self.font, font_size)
        self.story: list[Flowable] = []

    @property
    def frame_width(self) -> float:
        """Usable width in points (page width less both margins)."""
        return self.page_size[0] - 2 * self.margin

    def heading(self, text: str, *, level: int = 1, align: str | None = None) -> Document:
        """A heading; level 1 is the document title (centred), 2 and 3 are sections (left)."""
        if level not in HEADING_SCALE:
            raise DocumentError(f"heading level must be 1, 2 or 3; got {level!r}")
        align = align or ("center" if level == 1 else "left")
        style = self.styles.text(
            size=self.styles.size * HEADING_SCALE[level], align=align, leading=1.3
        )
        self.story.append(Paragraph(_markup(text), style))
        return self

    def paragraph(self, text: str, *, size: float | None = None, align: str = "left") -> Document:
        """Plain text, wrapped; `size` in points for large type (labels, posters)."""
        self.story.append(Paragraph(_markup(text), self.styles.text(size=size, align=align)))
        return self

    def key_values(
        self,
        items: Iterable[tuple[str, object]],
        *,
        key_width: float = 0.3,
        size: float | None = None,
    ) -> Document:
        """A two-column table of labels and values (姓名 | 张三); `key_width` is a fraction."""
        style = self.styles.text(size=size, leading=1.3)
        rows = [[Paragraph(_markup(k), style), Paragraph(_markup(v), style)] for k, v in items]
        if not rows:
            return self
        widths = [self.frame_width * key_width, self.frame_width * (1 - key_width)]
        table = Table(rows, colWidths=widths)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.5, GRID_COLOUR),
                    ("BACKGROUND", (0, 0), (0, -1), SHADE_COLOUR),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        self.story.append(table)
        return self

    def table(
        self,
        header: Sequence[str] | None,
        rows: Iterable[Sequence[object]],
        *,
        col_widths: Sequence[float] | None = None,
        size: float | None = None,
    ) -> Document:
        """A grid table; the header repeats on every page. `col_widths` are in mm.

        Without widths the columns share the page width equally. Cells wrap.
        """
        style = self.styles.text(size=size, leading=1.3)
        data = [[Paragraph(_markup(cell), style) for cell in row] for row in rows]
        if header is not None:
            data.insert(0, [Paragraph(_markup(cell), style) for cell in header])
        if not data:
            return self
        columns = max(len(row) for row in data)
        # reportlab needs a full grid; short rows get empty cells.
        data = [row + [""] * (columns - len(row)) for row in data]
        if col_widths is not None:
            if len(col_widths) != columns:
                raise DocumentError(
                    f"col_widths has {len(col_widths)} entries for {columns} columns"
                )
            widths = [w * mm for w in col_widths]
        else:
            widths = [self.frame_width / columns] * columns
        commands: list[tuple[Any, ...]] = [
            ("GRID", (0, 0), (-1, -1), 0.5, GRID_COLOUR),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]
        if header is not None:
            commands.append(("BACKGROUND", (0, 0), (-1, 0), SHADE_COLOUR))
        table = Table(data, colWidths=widths, repeatRows=1 if header is not None else 0)
        table.setStyle(TableStyle(commands))
        self.story.append(table)
        return self

    def qr_code(
        self,
        data: str,
        *,
        size: float = 40,
        caption: str | None = None,
        align: str = "center",
        error_correction: str = "M",
    ) -> Document:
        """A QR code of `data`, `size` mm square (quiet zone included), with an optional caption."""
        if not data:
            raise DocumentError("a QR code needs data")
        side = size * mm
        widget = QrCodeWidget(data, barLevel=error_correction)
        widget.barWidth = widget.barHeight = side
        drawing = Drawing(side, side)
        drawing.add(widget)
        if align not in ALIGNMENTS:
            raise DocumentError(f"align must be one of {', '.join(ALIGNMENTS)}; got {align!r}")
        drawing.hAlign = align.upper()
        block: list[Flowable] = [drawing]
        if caption:
            block.append(Paragraph(_markup(caption), self.styles.text(align=align)))
        self.story.append(KeepTogether(block))
        return self

    def spacer(self, height: float = 5) -> Document:
        """Vertical space, in mm."""
        self.story.append(Spacer(1, height * mm))
        return self

    def page_break(self) -> Document:
        self.story.append(PageBreak())
        return self

    def render(self) -> bytes:
        """The PDF as bytes. A document can be rendered more than once."""
        buffer = io.BytesIO()
        template = SimpleDocTemplate(
            buffer,
            pagesize=self.page_size,
            leftMargin=self.margin,
            rightMargin=self.margin,
            topMargin=self.margin,
            bottomMargin=self.margin,
            title=self.title,
            author=self.author,
            creator="fangyi",
            subject=self.title,
        )
        on_page = self._number_page if self.page_numbers else _no_decoration
        # platypus consumes its list (splitting flowables), so it gets a copy.
        template.build(
            list(self.story) or [Spacer(1, 1)], onFirstPage=on_page, onLaterPages=on_page
        )
        return buffer.getvalue()

    def _number_page(self, canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(self.font, 9)
        canvas.drawCentredString(self.page_size[0] / 2, self.margin / 2, f"— {doc.page} —")
        canvas.restoreState()


def _no_decoration(canvas: Any, doc: Any) -> None:
    return None


def pdf_document(
    *,
    title: str,
    page_size: str | tuple[float, float] = "A4",
    orientation: str = "portrait",
    font_size: float = 11,
    margin: float = 15,
    author: str = "fangyi",
    page_numbers: bool = False,
) -> Document:
    """Start a PDF: `page_size` "A4"/"A3" or (width, height) in mm for labels; margins in mm.

    `font_size` (points) is the body size; headings scale from it, so a label with
    `font_size=24` is large type throughout. `title` goes into the PDF metadata.
    """
    if isinstance(page_size, str):
        try:
            size = PAGE_SIZES[page_size.upper()]
        except KeyError:
            raise DocumentError(
                f"page_size must be one of {', '.join(PAGE_SIZES)} or (width, height) in mm; "
                f"got {page_size!r}"
            ) from None
    else:
        width, height = page_size
        size = (width * mm, height * mm)
    try:
        size = ORIENTATIONS[orientation](size)
    except KeyError:
        raise DocumentError(
            f"orientation must be portrait or landscape; got {orientation!r}"
        ) from None
    if font_size <= 0 or margin < 0:
        raise DocumentError("font_size must be positive and margin not negative")
    return Document(
        title=title,
        page_size=size,
        margin=margin * mm,
        font_size=font_size,
        author=author,
        page_numbers=page_numbers,
    )


# --- answering and reading -----------------------------------------------------------------


def safe_filename(filename: str, suffix: str) -> str:
    """A download name without path separators or control characters, ending in `suffix`."""
    cleaned = "".join(
        "_" if ch in "/\\" or ord(ch) < 32 or ord(ch) == 127 else ch for ch in filename
    ).strip()
    cleaned = cleaned or "document"
    if not cleaned.lower().endswith(suffix):
        cleaned += suffix
    return cleaned


def pdf_response(filename: str, data: bytes, *, inline: bool = True) -> HttpResponse:
    """Answer with a PDF; a Chinese filename is sent as RFC 5987 `filename*=utf-8''…`.

    `inline` shows it in the browser (print from there); False downloads it.
    """
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(
        not inline, safe_filename(filename, ".pdf")
    )
    response["Content-Length"] = str(len(data))
    return response


def pdf_text(data: bytes) -> str:
    """The text of a PDF, pages separated by a form feed (for tests and checks)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "\f".join(page.extract_text() or "" for page in reader.pages)
