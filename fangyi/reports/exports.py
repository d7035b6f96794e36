"""The daily report (日报) as xlsx: one row per community."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.core.spreadsheets import Sheet
from fangyi.reports.selectors import DailyRow, daily_rows


def daily_header() -> list[str]:
    return [
        _("street"),
        _("community"),
        _("residents"),
        _("never left the city"),
        _("left and returned"),
        _("newly arrived"),
        _("away, not yet returned"),
        _("in quarantine"),
        _("close contacts under observation"),
        _("open fever alerts"),
        _("new confirmed cases"),
        _("cumulative confirmed cases"),
        _("days since the last new case"),
    ]


def _cells(row: DailyRow) -> list:
    c = row.counts
    since = row.days_since_last
    return [
        row.street,
        row.community,
        c.residents,
        c.never_left,
        c.returned,
        c.new_arrival,
        c.away,
        c.in_quarantine,
        c.contacts,
        c.fever_alerts,
        row.new_cases,
        row.cumulative,
        since if since is not None else _("no cases"),
    ]


def daily_sheets(
    level: str, place_id: int, day: dt.date, *, on_row: Callable[[], None] | None = None
) -> list[Sheet]:
    """The report's one sheet; the last line says when the live figures were taken."""
    rows = daily_rows(level, place_id, day)
    taken = timezone.localtime().strftime("%Y-%m-%d %H:%M")

    def lines() -> Iterator[list]:
        totals = [0] * 10
        for row in rows:
            cells = _cells(row)
            totals = [t + v for t, v in zip(totals, cells[2:12], strict=True)]
            if on_row:
                on_row()
            yield cells
        yield [_("total"), "", *totals, ""]
        yield [
            _("Cases as of %(day)s; residents, quarantine and alerts as at %(taken)s.")
            % {"day": day.isoformat(), "taken": taken}
        ]

    title = _("Daily report %(day)s") % {"day": day.isoformat()}
    return [Sheet(title=title, header=daily_header(), rows=lines(), column_widths=[12, 14])]
