"""`fangyi partitions [--ensure]`: the monthly partitions of the event tables on
PostgreSQL, with their rows; `--ensure` first makes the current and next months' ones
(what the worker does daily). docs/operations.md, "Partitions"."""

from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.retention.partitions import PARTITIONED, ensure_partitions, partitions_of, rows_in


class Command(BaseCommand):
    help = (
        "List the monthly partitions of gate checks, health checks and the access log "
        "(PostgreSQL) with their row counts; --ensure makes the missing ones ahead first."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--ensure",
            action="store_true",
            help="make this month's and the next two months' partitions where missing",
        )
        parser.add_argument(
            "--months-ahead", type=int, default=2, help="with --ensure: months ahead to make"
        )

    def handle(self, *args, ensure: bool, months_ahead: int, **options):
        if connection.vendor != "postgresql":
            self.stdout.write(_("This database is not PostgreSQL: its tables are not partitioned."))
            return
        if ensure:
            made = ensure_partitions(months_ahead=months_ahead)
            self.stdout.write(_("Partitions made: %(n)d") % {"n": len(made)})
            for name in made:
                self.stdout.write(f"  {name}")
        for table in PARTITIONED:
            parts = partitions_of(table)
            if not parts:
                self.stdout.write(_("%(table)s: not partitioned") % {"table": table})
                continue
            self.stdout.write(table)
            for part in parts:
                if part.is_default:
                    span = _("default (rows of no month partition)")
                else:
                    assert part.start is not None and part.end is not None
                    span = f"{timezone.localtime(part.start):%Y-%m-%d} – {timezone.localtime(part.end):%Y-%m-%d}"
                self.stdout.write(
                    "  "
                    + _("%(name)s  %(span)s  rows: %(rows)d")
                    % {"name": part.name, "span": span, "rows": rows_in(part)}
                )
