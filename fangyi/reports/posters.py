"""The printed epidemic-prevention map (防疫图): an A3 portrait PDF of a zone map.

The site plan is drawn as vectors (buildings red where people are in quarantine, each
labelled with its name, the number in quarantine and their floors, and with the
dwellings visited when a screening campaign covers the zone) over the uploaded base
picture when there is one, then the zone's facts, the live numbers, the screening
coverage, the time the data was taken and a QR code of the live map page.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.graphics.shapes import Drawing, Image, Polygon, Rect, String
from reportlab.lib import colors

from fangyi.core.documents import pdf_document
from fangyi.reports.choices import CANVAS_HEIGHT, CANVAS_WIDTH
from fangyi.reports.selectors import ZoneMapData

RED = colors.HexColor("#C62828")
RED_FILL = colors.HexColor("#FFCDD2")
GREY_FILL = colors.HexColor("#ECEFF1")
GROUND = colors.HexColor("#F5F5F0")
EDGE = colors.HexColor("#455A64")
GREEN = colors.HexColor("#2E7D32")


def data_time(value) -> str:
    """The moment the numbers were taken, in Shanghai time, as the poster prints it."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def quarantine_label(n: int, floors_label: str) -> str:
    if not n:
        return ""
    return _("in quarantine %(n)d · floors %(floors)s") % {"n": n, "floors": floors_label}


def count_rows(data: ZoneMapData) -> list[tuple[str, int]]:
    """The live numbers, in the order the map and the poster show them."""
    c = data.counts
    return [
        (_("residents"), c.residents),
        (_("never left the city"), c.never_left),
        (_("left and returned"), c.returned),
        (_("newly arrived"), c.new_arrival),
        (_("away, not yet returned"), c.away),
        (_("in quarantine"), c.in_quarantine),
        (_("open fever alerts"), c.fever_alerts),
    ]


def visited_label(done: int, total: int) -> str:
    """A building's screening label, as the map's SVG prints it."""
    return _("visited %(done)s/%(total)s") % {"done": done, "total": total}


def screening_rows(data: ZoneMapData) -> list[tuple[str, str]]:
    """The zone's door-to-door screening, as the map's panel shows it; none without a
    campaign covering the zone."""
    s = data.screening
    if s is None:
        return []
    c = s.zone
    name = s.campaign_name + (f"（{pgettext('campaign', 'closed')}）" if s.closed else "")
    return [
        (_("Door-to-door screening"), name),
        (_("visited"), f"{c.done} / {c.total} {_('dwellings')} ({c.percent}%)"),
        (_("revisits pending"), str(c.revisit)),
        (_("refused"), str(c.refused)),
        (_("not visited"), str(c.not_visited)),
        (_("person-times"), str(c.person_times)),
    ]


def _site_plan(data: ZoneMapData, width: float, font: str) -> Drawing:
    scale = width / CANVAS_WIDTH
    height = CANVAS_HEIGHT * scale
    drawing = Drawing(width, height)
    drawing.add(Rect(0, 0, width, height, fillColor=GROUND, strokeColor=EDGE, strokeWidth=1))
    base = data.base_map
    if base is not None and base.base_image:
        from PIL import Image as PILImage

        # Fitted into the canvas keeping its proportions, as the page's SVG does.
        fit = min(width / base.image_width, height / base.image_height)
        w, h = base.image_width * fit, base.image_height * fit
        with default_storage.open(base.base_image.name, "rb") as handle:
            picture = PILImage.open(handle)
            picture.load()
        drawing.add(Image((width - w) / 2, (height - h) / 2, w, h, picture.convert("RGB")))
    for b in data.buildings:
        points = []
        for x, y in b.polygon:
            points += [x * scale, height - y * scale]
        drawing.add(
            Polygon(
                points,
                fillColor=RED_FILL if b.in_quarantine else GREY_FILL,
                strokeColor=RED if b.in_quarantine else EDGE,
                strokeWidth=2 if b.in_quarantine else 0.8,
            )
        )
        cx, cy = b.label_point
        x, y = cx * scale, height - cy * scale
        drawing.add(String(x, y + 3, b.name, fontName=font, fontSize=15, textAnchor="middle"))
        if b.in_quarantine:
            drawing.add(
                String(
                    x,
                    y - 14,
                    quarantine_label(b.in_quarantine, b.floors_label),
                    fontName=font,
                    fontSize=13,
                    fillColor=RED,
                    textAnchor="middle",
                )
            )
        if b.screening is not None and b.screening.total:
            drawing.add(
                String(
                    x,
                    y - (28 if b.in_quarantine else 14),
                    visited_label(b.screening.done, b.screening.total),
                    fontName=font,
                    fontSize=12,
                    fillColor=GREEN,
                    textAnchor="middle",
                )
            )
    return drawing


def poster_pdf(data: ZoneMapData, live_url: str) -> bytes:
    """The A3 poster of a zone map; `live_url` is encoded in its QR code."""
    zone = data.zone
    title = _("Epidemic-prevention map")
    doc = pdf_document(
        title=f"{zone.name} {title}", page_size="A3", orientation="portrait", font_size=14
    )
    doc.heading(f"{zone.name} · {title}")
    doc.paragraph(
        f"{zone.street.name} {zone.community.name} · {zone.get_kind_display()}", align="center"
    )
    doc.story.append(_site_plan(data, doc.frame_width, doc.font))
    doc.spacer(4)
    duty = "；".join(
        f"{a.staff.name}（{a.staff.role_label}{'，' + a.duty if a.duty else ''}）"
        for a in data.duty
    )
    contact = " ".join(part for part in (zone.contact_name, zone.contact_phone) if part)
    doc.key_values(
        [
            (_("zone"), f"{zone.name}（{zone.get_kind_display()}）"),
            (_("gates"), "、".join(data.gates) or "—"),
            (_("contact person"), contact or "—"),
            (_("responsible cadres"), duty or "—"),
        ],
        key_width=0.2,
    )
    doc.spacer(4)
    rows = count_rows(data)
    doc.table([label for label, _n in rows], [[str(n) for _label, n in rows]], size=16)
    doc.spacer(4)
    screening = screening_rows(data)
    if screening:
        doc.key_values(screening, key_width=0.2)
        doc.spacer(4)
    doc.paragraph(
        _("Data taken at %(time)s (Asia/Shanghai). Scan for the live map.")
        % {"time": data_time(data.taken_at)},
        align="center",
    )
    doc.qr_code(live_url, size=45, caption=live_url)
    return doc.render()
