"""`fangyi token`: make, list and revoke API tokens.

fangyi token USER [--expires DAYS] [--label TEXT]   a new token, printed once
fangyi token --list [USER]                         tokens, by prefix, with their state
fangyi token --revoke PREFIX                       revoke one token (its prefix or itself)
fangyi token USER --revoke                         revoke every token of USER
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from fangyi.duty.models import ApiToken
from fangyi.duty.services import (
    TOKEN_DAYS,
    TOKEN_PREFIX,
    api_token_create,
    api_token_revoke,
    api_tokens_revoke_for_user,
    user_by_username,
)

ALL_OF_USER = object()


class Command(BaseCommand):
    help = (
        "Create an API token for a user and print it (it is shown only once); "
        "--list shows tokens, --revoke stops one (by its prefix) or all of a user's."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?")
        parser.add_argument("--label", default="cli")
        parser.add_argument(
            "--expires",
            type=int,
            default=TOKEN_DAYS,
            metavar="DAYS",
            help=f"days the new token works (default {TOKEN_DAYS})",
        )
        parser.add_argument(
            "--revoke",
            nargs="?",
            const=ALL_OF_USER,
            metavar="PREFIX",
            help=f"revoke the token starting with PREFIX ({TOKEN_PREFIX}…, as --list shows); "
            "with USER and no PREFIX, every token of USER",
        )
        parser.add_argument("--list", action="store_true", help="list tokens (of USER)")

    def handle(self, *args, username, label, expires, revoke, list, **options):
        user = None
        if username is not None:
            user = user_by_username(username)
            if user is None:
                raise CommandError(f"No user named {username!r}.")
        if list:
            return self._list(user)
        if revoke is ALL_OF_USER:
            if user is None:
                raise CommandError("Give the user whose tokens to revoke, or a token's prefix.")
            count = api_tokens_revoke_for_user(user=user)
            self.stdout.write(f"Revoked {count} token(s) of {username}.")
            return
        if revoke is not None:
            if user is not None:
                raise CommandError("Give either a token's prefix or a user, not both.")
            try:
                token = api_token_revoke(prefix=revoke)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
            self.stdout.write(f"Revoked {token.prefix}… of {token.user}.")
            return
        if user is None:
            raise CommandError("Give the user to make a token for (or --list, --revoke).")
        if not user.is_active:
            raise CommandError(f"User {username!r} is not active.")
        try:
            token = api_token_create(user=user, label=label, days=expires)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(token)

    def _list(self, user) -> None:
        tokens = ApiToken.objects.select_related("user")
        if user is not None:
            tokens = tokens.filter(user=user)
        now = timezone.now()

        def when(value):
            return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "-"

        self.stdout.write("prefix\tuser\tlabel\tcreated\texpires\tlast used\tstate")
        for token in tokens:
            if token.revoked_at:
                state = "revoked"
            elif token.expires_at and token.expires_at <= now:
                state = "expired"
            else:
                state = "works"
            self.stdout.write(
                "\t".join(
                    [
                        f"{token.prefix or '(old)'}…",
                        token.user.get_username(),
                        token.label,
                        when(token.created_at),
                        when(token.expires_at) if token.expires_at else "never",
                        when(token.last_used_at),
                        state,
                    ]
                )
            )
