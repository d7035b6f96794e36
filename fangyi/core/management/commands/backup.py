"""`fangyi backup FILE`: a consistent copy of the whole database, taken while it serves.

docs/backup.md has the cron line and the restore; exit code 0 when FILE is written and
checked, 1 (with the reason on stderr) when not.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from fangyi.core.backup import BackupError, backup_database


class Command(BaseCommand):
    help = (
        "Write a backup of the database to FILE (SQLite: the online backup API; "
        "PostgreSQL: pg_dump custom format). FILE must not exist; restore with "
        "`fangyi restore FILE` into an empty database."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the backup file to write (must not exist)")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="the database alias (default: default)"
        )

    def handle(self, *args, file: Path, database: str, **options):
        try:
            backup_database(connections[database].settings_dict, file, say=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
