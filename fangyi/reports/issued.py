"""The daily report issued by the worker at the policy's time (`daily_report_time`).

Each district's report (日报) of the day is written once a day, as the leaders read it
in the morning, to VAR_DIR/reports/daily/<district id>/<date>.xlsx (a file of its own,
written beside and renamed into place, so a reader never sees half a file). The same
sheets as the page's "daily report" download (reports.exports.daily_sheets), which stays
live; the issued file is what was sent that morning, kept for the record
(`daily_report_issued` finds it). The case statistics page of a district lists the
issued reports (`issued_days`) for those whose scope holds the whole district.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from django.conf import settings
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.core.dbrouter import replica_reads
from fangyi.core.spreadsheets import write_xlsx
from fangyi.duty.selectors import place_get
from fangyi.places.models import District
from fangyi.reports.exports import daily_sheets


def issued_dir() -> Path:
    return Path(settings.VAR_DIR) / "reports" / "daily"


def daily_report_path(district_id: int, day: dt.date) -> Path:
    return issued_dir() / str(district_id) / f"{day:%Y-%m-%d}.xlsx"


def daily_report_issued(district_id: int, day: dt.date) -> Path | None:
    """The report issued for the district that day, if one was."""
    path = daily_report_path(district_id, day)
    return path if path.is_file() else None


def daily_reports_issue(*, day: dt.date | None = None) -> dict[str, int]:
    """Write every district's daily report of `day` (today); returns what was written."""
    day = day or timezone.localdate()
    districts = rows = 0
    for district_id in District.objects.order_by("pk").values_list("pk", flat=True):
        path = daily_report_path(district_id, day)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        with replica_reads():  # read-only: the replica when there is one (docs/operations.md)
            rows += write_xlsx(str(partial), daily_sheets("district", district_id, day))
        os.replace(partial, path)
        districts += 1
    return {"districts": districts, "rows": rows}


# The issued reports listed on a district's statistics page: about a month of mornings.
ISSUED_LISTED = 31


def issued_days(user, district_id: int, *, limit: int = ISSUED_LISTED) -> list[dt.date]:
    """The days a report of the district was issued, newest first, for a user whose scope
    holds the whole district (else 404: the district's numbers are not theirs to read)."""
    place_get(user, "district", district_id)
    folder = issued_dir() / str(district_id)
    days = []
    for path in folder.glob("*.xlsx") if folder.is_dir() else ():
        try:
            days.append(dt.date.fromisoformat(path.stem))
        except ValueError:  # not a report this module wrote
            continue
    return sorted(days, reverse=True)[:limit]


def issued_report(user, district_id: int, day: str) -> tuple[str, Path]:
    """The issued report of the district that day, and the name to download it under;
    404 outside the user's scope, for a day that is not a date, or that had none."""
    district = place_get(user, "district", district_id)
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise Http404 from None
    path = daily_report_issued(district.pk, date)
    if path is None:
        raise Http404
    return "{}-{}-{:%Y%m%d}.xlsx".format(district.name, _("daily report"), date), path
