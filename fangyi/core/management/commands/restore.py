"""`fangyi restore FILE`: put a backup made by `fangyi backup` into an empty database.

Refuses a database that has tables, so a restore never mixes with, or overwrites, live
data. Run `fangyi migrate` afterwards when the code is newer than the backup. Exit code
0 when restored, 1 (with the reason on stderr) when not.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from fangyi.core.backup import BackupError, restore_database


class Command(BaseCommand):
    help = (
        "Restore a backup written by `fangyi backup` into the database, which must be empty "
        "(a new SQLite file, or a new PostgreSQL database)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the backup file to restore")
        parser.add_argument(
            "--database", default=DEFAULT_DB_ALIAS, help="the database alias (default: default)"
        )

    def handle(self, *args, file: Path, database: str, **options):
        try:
            restore_database(connections[database].settings_dict, file, say=self.stdout.write)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
