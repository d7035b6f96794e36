from django.core.management.base import BaseCommand, CommandError

from fangyi.duty.services import api_token_create, user_by_username


class Command(BaseCommand):
    help = "Create an API token for a user and print it (it is shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--label", default="cli")

    def handle(self, *args, username, label, **options):
        user = user_by_username(username)
        if user is None:
            raise CommandError(f"No user named {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is not active.")
        self.stdout.write(api_token_create(user=user, label=label))
