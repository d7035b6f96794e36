"""`fangyi passkeys`: list or rotate the districts' keys that sign pass tokens
(passes.keys, docs/offline.md)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from fangyi.passes.keys import key_rotate, keys_ensure
from fangyi.passes.models import PassKey
from fangyi.places.models import District


class Command(BaseCommand):
    help = (
        "list: the pass signing keys with their validity. rotate: a new signing key for "
        "each district (or --district CODE) from now; the keys it replaces keep verifying "
        "for --retire-after DAYS (default 14; 0 refuses them at once)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="the keys and their validity")
        rotate = sub.add_parser("rotate", help="a new signing key")
        rotate.add_argument("--district", help="the district's code (default: every district)")
        rotate.add_argument(
            "--retire-after",
            type=int,
            default=14,
            metavar="DAYS",
            help="days the replaced keys keep verifying (default 14)",
        )

    def handle(self, *args, action: str, **options) -> None:
        if action == "rotate":
            self._rotate(options["district"], options["retire_after"])
        else:
            keys_ensure()
        now = timezone.now()
        for key in PassKey.objects.select_related("district").order_by("district__code", "number"):
            if key.not_after is not None and key.not_after <= now:
                state = "retired"
            elif key.not_after is not None:
                state = "verifies until " + timezone.localtime(key.not_after).strftime(
                    "%Y-%m-%d %H:%M"
                )
            else:
                state = "signs"
            since = timezone.localtime(key.not_before).strftime("%Y-%m-%d %H:%M")
            self.stdout.write(f"{key.kid:<16} {key.district.code:<10} from {since}  {state}")

    def _rotate(self, code: str | None, days: int) -> None:
        if days < 0:
            raise CommandError("--retire-after must be 0 or more days.")
        districts = District.objects.order_by("code")
        if code is not None:
            districts = districts.filter(code=code)
            if not districts.exists():
                raise CommandError(f"No district has the code {code}.")
        for district in districts:
            key = key_rotate(district=district, retire_after_days=days)
            self.stdout.write(self.style.SUCCESS(f"{district.code}: {key.kid} signs from now."))
