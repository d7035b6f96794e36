"""`fangyi import people FILE --zone Z [--commit]`: import a resident list into a zone."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from fangyi.duty.services import user_by_username
from fangyi.places.models import Zone
from fangyi.screening.importing import ImportFileError, detect_header, people_import, read_table

ERR_ZONE = "No zone with code or id {zone!r}."
ERR_USER = "No user {username!r}."


class Command(BaseCommand):
    help = (
        "Import a resident list (.xlsx or .csv) into a zone: a dry run with a report per "
        "row, or with --commit an all-or-nothing import (re-importing updates, never "
        "duplicates)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        people = sub.add_parser("people", help="import person files")
        people.add_argument("file", help=".xlsx or .csv (UTF-8 or GBK)")
        people.add_argument("--zone", required=True, help="zone code (or id)")
        people.add_argument("--commit", action="store_true", help="write (default: dry run)")
        people.add_argument(
            "--user", help="import as this user (scope and history); default: operator"
        )
        people.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, what: str, file: str, zone: str, commit: bool, **options) -> None:
        found = Zone.objects.filter(code=zone).first()
        if found is None and zone.isdigit():
            found = Zone.objects.filter(pk=int(zone)).first()
        if found is None:
            raise CommandError(ERR_ZONE.format(zone=zone))
        user = None
        if options.get("user"):
            user = user_by_username(options["user"])
            if user is None:
                raise CommandError(ERR_USER.format(username=options["user"]))
        try:
            table = read_table(file)
            head = []
            for row in table:
                head.append(row)
                if len(head) >= 30:
                    break
            header = detect_header(head)
        except (ImportFileError, OSError) as exc:
            raise CommandError(str(getattr(exc, "message", exc))) from exc
        self.stdout.write(
            "Header on row {row}: {cols}".format(
                row=header.row,
                cols=", ".join(
                    f"{header.column_name(c)} → {name}"
                    for c, name in sorted(header.mapping.items())
                ),
            )
        )

        def rows():
            yield from head
            yield from table

        bar = tqdm(unit=" rows", disable=options["no_progress"], file=self.stderr)
        last = [0]

        def progress(n: int) -> None:
            bar.update(n - last[0])
            last[0] = n

        try:
            report = people_import(
                user=user, zone=found, rows=rows(), header=header, commit=commit, progress=progress
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        except ImportFileError as exc:
            raise CommandError(str(exc.message)) from exc
        finally:
            bar.close()
        for p in report.problems:
            self.stdout.write(f"row {p.row}\t{p.column}\t{p.message}")
        summary = (
            f"{report.rows} rows: {report.created} new, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.new_dwellings} new dwellings, "
            f"{len(report.problems)} problems."
        )
        if report.problems:
            raise CommandError(summary + " Nothing imported.")
        if report.committed:
            self.stdout.write(self.style.SUCCESS(summary + " Imported."))
        else:
            self.stdout.write(summary + " Dry run: add --commit to import.")
