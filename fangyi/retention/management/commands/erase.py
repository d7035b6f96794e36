"""`fangyi erase PERSON_ID --user USERNAME [--dry-run]`: erase one person's file on
request (PIPL), as USERNAME (an operator, or the community secretary keeping the file)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from fangyi.duty.services import user_by_username
from fangyi.people.models import Person
from fangyi.retention.erasure import erasure_lines
from fangyi.retention.services import person_erase


class Command(BaseCommand):
    help = (
        "Erase one person's file and what hangs from it (history, cases' readings, pass "
        "applications…), keeping the counts and the access log's facts; the erasure is "
        "recorded. --dry-run says what would go and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("person_id", type=int)
        parser.add_argument("--user", required=True, metavar="USERNAME", help="who erases")
        parser.add_argument("--dry-run", action="store_true", help="change nothing")

    def handle(self, *args, person_id: int, user: str, dry_run: bool, **options):
        acting = user_by_username(user)
        if acting is None:
            raise CommandError(_("No user named %(name)s.") % {"name": user})
        person = Person.objects.filter(pk=person_id).first()
        if person is None:
            raise CommandError(_("No person file %(id)d.") % {"id": person_id})
        try:
            erasure = person_erase(by=acting, person=person, channel="command", dry_run=dry_run)
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if dry_run:
            self.stdout.write(
                _("Would erase file %(id)d (dry run, nothing changed):") % {"id": person_id}
            )
        else:
            self.stdout.write(_("Erased file %(id)d:") % {"id": person_id})
        for kind, action, n in erasure_lines(erasure.counts):
            self.stdout.write(f"  {kind} {action}: {n}")
