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
from fangyi.core.text import enumerate_items
from fangyi.reports.choices import CANVAS_HEIGHT, CANVAS_WIDTH
from fangyi.reports.labels import fit_label
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
        (_("close contacts under observation"), c.contacts),
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
        (_("visited"), "{} / {} {} ({}%)".format(c.done, c.total, _("dwellings"), c.percent)),
        (_("revisits pending"), str(c.revisit)),
        (_("refused"), str(c.refused)),
        (_("not visited"), str(c.not_visited)),
        (_("person-times"), str(c.person_times)),
    ]


# Label sizes on the poster, in points: the biggest, and the smallest worth printing.
LABEL_MAX_PT = 15.0
# The site plan is never drawn narrower than this share of the page, whatever the rest
# holds; below it the duty chain is printed by counts instead of names.
MIN_PLAN_SHARE = 0.45
FLOORS_PER_LINE = 4
# Room kept free at the foot of the page (points), for the rounding of measurements.
SLACK = 8


def poster_label_lines(b) -> list[str]:
    """A building's label on the poster: name, people in quarantine, their floors and
    the dwellings visited (the poster has room for the floors; the screen has not)."""
    lines = [b.name]
    if b.in_quarantine:
        lines.append(_("in quarantine %(n)d") % {"n": b.in_quarantine})
        # A few floors a line, so that a tower with many reads at a useful size.
        floors = [str(f) for f in b.quarantine_floors]
        for i in range(0, len(floors), FLOORS_PER_LINE):
            chunk = enumerate_items(floors[i : i + FLOORS_PER_LINE])
            lines.append(_("floors %(floors)s") % {"floors": chunk} if i == 0 else chunk)
    if b.screening is not None and b.screening.total:
        lines.append(visited_label(b.screening.done, b.screening.total))
    return lines


def _site_plan(data: ZoneMapData, width: float, font: str) -> Drawing:
    scale = width / CANVAS_WIDTH
    height = CANVAS_HEIGHT * scale
    drawing = Drawing(width, height)
    drawing.hAlign = "CENTER"
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
        lines = poster_label_lines(b)
        label = fit_label(
            b.polygon,
            lines,
            max_size=LABEL_MAX_PT / scale,
            # "floors 2、7" and "visited 3/9" may break at their space, not the count.
            breakable=frozenset(range(2 if b.in_quarantine else 1, len(lines))),
        )
        if label is None:
            continue
        # The name in black, the quarantine lines in red, the screening line in green.
        covered = b.screening is not None and b.screening.total
        colours = [colors.black] + [RED] * (len(lines) - 1 - (1 if covered else 0))
        colours += [GREEN] if covered else []
        for parts, colour in zip(label.baselines, colours, strict=True):
            for text, y in parts:
                drawing.add(
                    String(
                        label.x * scale,
                        height - y * scale,
                        text.strip(),
                        fontName=font,
                        fontSize=label.size * scale,
                        fillColor=colour,
                        textAnchor="middle",
                    )
                )
    return drawing


def duty_rows(data: ZoneMapData, *, by_count: bool = False) -> list[tuple[str, str]]:
    """The duty chain as the poster prints it: one row per level, buildings first, each
    role's people named and volunteers counted; `by_count` counts everyone (for a chain
    too long for the page)."""
    rows = []
    for group in data.duty_groups:
        if by_count:
            counts: dict[str, int] = {}
            for p in group.people:
                counts[p.role] = counts.get(p.role, 0) + 1
            for c in group.counted:
                counts[c.role] = counts.get(c.role, 0) + c.count
            text = "；".join(
                _("%(role)s: %(n)d people") % {"role": role, "n": n} for role, n in counts.items()
            )
        else:
            text = group.text()
        key = group.level_label + (f"（{group.place}）" if group.place else "")
        rows.append((key, text))
    return rows


def poster_pdf(data: ZoneMapData, live_url: str) -> bytes:
    """The A3 poster of a zone map, always on one page; `live_url` is in its QR code.

    Everything but the site plan is laid out first and measured; the plan gets the
    height that is left (at most the page's width), so a long duty chain shrinks the
    plan instead of pushing the QR code onto a second page."""
    for by_count in (False, True):
        doc = _poster(data, live_url, by_count=by_count)
        if doc is not None:
            return doc.render()
    raise AssertionError("unreachable: the counted chain always fits")  # pragma: no cover


def _poster(data: ZoneMapData, live_url: str, *, by_count: bool):
    zone = data.zone
    title = _("Epidemic-prevention map")
    doc = pdf_document(
        title=f"{zone.name} {title}", page_size="A3", orientation="portrait", font_size=14
    )
    doc.heading(f"{zone.name} · {title}")
    doc.paragraph(
        f"{zone.street.name} {zone.community.name} · {zone.get_kind_display()}", align="center"
    )
    plan_at = len(doc.story)
    doc.spacer(4)
    contact = " ".join(part for part in (zone.contact_name, zone.contact_phone) if part)
    doc.key_values(
        [
            (_("zone"), f"{zone.name}（{zone.get_kind_display()}）"),
            (_("gates"), enumerate_items(data.gates) or "—"),
            (_("contact person"), contact or "—"),
        ],
        key_width=0.2,
    )
    duty = duty_rows(data, by_count=by_count)
    doc.paragraph(_("Responsible cadres"), size=15)
    doc.key_values(duty or [(_("responsible cadres"), "—")], key_width=0.2, size=12)
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
    # The frame's usable size: the page less its margins and platypus's 6 pt padding.
    width = doc.page_size[0] - 2 * doc.margin - 12
    height = doc.page_size[1] - 2 * doc.margin - 12
    used = sum(_height(f, width, height) for f in doc.story) + SLACK
    plan_width = min(doc.frame_width - 12, (height - used) * CANVAS_WIDTH / CANVAS_HEIGHT)
    if plan_width < MIN_PLAN_SHARE * (doc.frame_width - 12):
        return None
    doc.story.insert(plan_at, _site_plan(data, plan_width, doc.font))
    return doc


def _height(flowable, width: float, height: float) -> float:
    """The height a flowable takes in the frame, with its spaces (a KeepTogether block,
    which measures only on a canvas, by its parts)."""
    parts = getattr(flowable, "_content", None)
    if parts is not None:
        return sum(_height(part, width, height) for part in parts)
    _w, h = flowable.wrap(width, height)
    return h + flowable.getSpaceBefore() + flowable.getSpaceAfter()
