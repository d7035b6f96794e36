"""QR codes as inline SVG for pages, from reportlab's own encoder (no extra dependency)."""

from __future__ import annotations

from django.utils.html import escape
from reportlab.graphics.barcode.qrencoder import QRCode, QRErrorCorrectLevel

QUIET = 4  # modules of white border, as the standard asks


def qr_matrix(data: str) -> list[list[bool]]:
    code = QRCode(None, QRErrorCorrectLevel.M)
    code.addData(data)
    code.make()
    n = code.getModuleCount()
    return [[bool(code.isDark(r, c)) for c in range(n)] for r in range(n)]


def qr_svg(data: str, *, title: str = "") -> str:
    """An SVG image of a QR code of `data`; it scales to its container."""
    matrix = qr_matrix(data)
    size = len(matrix) + 2 * QUIET
    path = []
    for r, row in enumerate(matrix):
        c = 0
        while c < len(row):
            if row[c]:
                start = c
                while c < len(row) and row[c]:
                    c += 1
                path.append(f"M{start + QUIET},{r + QUIET}h{c - start}v1h-{c - start}z")
            else:
                c += 1
    label = f"<title>{escape(title)}</title>" if title else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" '
        f'shape-rendering="crispEdges" role="img">{label}'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path d="{"".join(path)}" fill="#000"/></svg>'
    )
