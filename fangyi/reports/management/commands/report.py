"""`fangyi report daily --date D --out FILE`: the daily report (日报) as xlsx."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from fangyi.core.dbrouter import replica_reads
from fangyi.core.spreadsheets import write_xlsx
from fangyi.places.models import District
from fangyi.reports.exports import daily_sheets
from fangyi.reports.selectors import STATS_LEVELS

ERR_DATE = "--date must be a date like 2020-02-15."
ERR_PLACE = "--place must be level:id with level one of district, street, community."
ERR_NO_DISTRICT = "No district in the database (run `fangyi demo` or create one)."


def _date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise CommandError(ERR_DATE) from None


class Command(BaseCommand):
    help = "Reports for leaders. `daily`: the daily report, one row per community, as xlsx."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="report", required=True, title="reports")
        daily = commands.add_parser("daily", help="the daily report (xlsx)")
        daily.add_argument("--date", type=_date, default=None, help="YYYY-MM-DD (today)")
        daily.add_argument("--out", required=True, help="the xlsx file to write")
        daily.add_argument(
            "--place", default="", help="district:ID, street:ID or community:ID (the district)"
        )
        daily.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, report: str, **options) -> None:
        day = options["date"] or timezone.localdate()
        level, place_id = self._place(options["place"])
        bar = None
        if not options["no_progress"]:
            from tqdm import tqdm

            bar = tqdm(unit=" rows", desc="daily report", file=self.stderr._out)

        def progress(rows: int) -> None:
            if bar is not None:
                bar.update(rows - bar.n)

        try:
            # The report reads much and writes nothing: from the replica (core.dbrouter).
            with replica_reads():
                sheets = daily_sheets(level, place_id, day)
                rows = write_xlsx(options["out"], sheets, progress=progress, progress_every=10)
        finally:
            if bar is not None:
                bar.close()
        if options["verbosity"] >= 1:
            self.stdout.write(f"Daily report {day:%Y-%m-%d}: {rows} rows → {options['out']}")

    def _place(self, raw: str) -> tuple[str, int]:
        if not raw:
            district = District.objects.order_by("code").values_list("pk", flat=True).first()
            if district is None:
                raise CommandError(ERR_NO_DISTRICT)
            return "district", district
        level, _sep, pk = raw.partition(":")
        if level not in STATS_LEVELS[:3] or not pk.isdigit():
            raise CommandError(ERR_PLACE)
        return level, int(pk)
