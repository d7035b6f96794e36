"""`fangyi export people --zone Z|--community C|… --user U FILE.xlsx [--reveal]`."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404
from tqdm import tqdm

from fangyi.duty.selectors import MODELS, place_get
from fangyi.duty.services import user_by_username
from fangyi.screening.exporting import people_export, people_to_export

ERR_PLACE = "Name exactly one place: --district, --street, --community, --zone or --building."
ERR_NOT_FOUND = "No {level} {value!r} in the scope of {username}."
ERR_USER = "No user {username!r}."


class Command(BaseCommand):
    help = (
        "Export the people of a place to xlsx, as a user (their scope applies). ID numbers "
        "and phones are masked unless --reveal, which writes an access-log row per person."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        people = sub.add_parser("people", help="export person files")
        people.add_argument("file", help="the .xlsx to write")
        for level in MODELS:
            people.add_argument(f"--{level}", help=f"{level} code or id")
        people.add_argument("--user", required=True, help="export as this user")
        people.add_argument("--reveal", action="store_true", help="unmasked, logged")
        people.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, file: str, user: str, reveal: bool, **options) -> None:
        account = user_by_username(user)
        if account is None:
            raise CommandError(ERR_USER.format(username=user))
        chosen = [(level, options[level]) for level in MODELS if options.get(level)]
        if len(chosen) != 1:
            raise CommandError(ERR_PLACE)
        level, value = chosen[0]
        model = MODELS[level]
        found = None
        if hasattr(model, "code"):
            found = model.objects.filter(code=value).first()
        if found is None and str(value).isdigit():
            found = model.objects.filter(pk=int(value)).first()
        try:
            if found is None:
                raise Http404
            place = place_get(account, level, found.pk)
        except Http404 as exc:
            raise CommandError(
                ERR_NOT_FOUND.format(level=level, value=value, username=user)
            ) from exc
        total = people_to_export(account, level, place).count()
        bar = tqdm(total=total, unit=" rows", disable=options["no_progress"], file=self.stderr)
        last = [0]

        def progress(n: int) -> None:
            bar.update(n - last[0])
            last[0] = n

        try:
            rows = people_export(
                user=account, level=level, place=place, target=file, reveal=reveal,
                ip=None, progress=progress,
            )  # fmt: skip
        finally:
            bar.close()
        self.stdout.write(self.style.SUCCESS(f"{rows:,} people of {place.name} → {file}"))
