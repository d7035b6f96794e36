"""`fangyi purge [--dry-run]`: remove the personal data the policy no longer needs.

Run daily (docs/retention.md has the cron line); running it twice removes nothing more.
"""

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from fangyi.retention.services import retention_purge


class Command(BaseCommand):
    help = (
        "Remove personal data the policy in force no longer needs (gate checks, visitors' "
        "names and phones, rejected pass applications, health checks of closed cases, "
        "expired job files, old login records…) and print the count of each kind."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be removed, change nothing"
        )

    def handle(self, *args, dry_run: bool, **options):
        result = retention_purge(dry_run=dry_run)
        self.stdout.write(
            _("Policy in force: %(policy)s") % {"policy": result.policy}
            + "\n"
            + (_("Would remove (dry run, nothing changed):") if dry_run else _("Removed:"))
        )
        for _kind, label, n in result.lines():
            self.stdout.write(f"  {label}: {n}")
        self.stdout.write(_("Total: %(n)d") % {"n": result.total})
