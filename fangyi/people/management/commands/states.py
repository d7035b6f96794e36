"""`fangyi states`: check or repair the stored epidemic states (people.state)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from fangyi.people.state import rebuild_differences, refresh_all, refresh_expired


class Command(BaseCommand):
    help = (
        "Derive every person's epidemic state from the facts again: --check lists the people "
        "whose stored state differs (exit 1 if any), --refresh stores the derived states."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--check", action="store_true", help="list differences, change nothing")
        group.add_argument("--refresh", action="store_true", help="store the derived states")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, check: bool, refresh: bool, **options) -> None:
        if check:
            refresh_expired()
            differences = rebuild_differences()
            for pid, stored, derived in differences[:50]:
                self.stdout.write(f"person {pid}: stored {stored}, from the facts {derived}")
            if differences:
                raise CommandError(f"{len(differences)} stored states differ from the facts.")
            self.stdout.write(self.style.SUCCESS("Every stored state agrees with the facts."))
            return
        changed = refresh_all(progress=states_progress(options["no_progress"]))
        self.stdout.write(self.style.SUCCESS(f"{changed:,} states changed."))


def states_progress(quiet: bool):
    """A progress callback (done, total) drawing a bar on the terminal, or None."""
    if quiet:
        return None
    bar: dict[str, tqdm] = {}

    def step(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, unit=" people", desc="states")
        bar["bar"].n = done
        bar["bar"].refresh()
        if done >= total:
            bar["bar"].close()

    return step
