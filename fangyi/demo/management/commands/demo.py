"""`fangyi demo`: fill an empty database with the deterministic demo district."""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fangyi.demo.generate import DemoCity
from fangyi.demo.logins import DEMO_LOGINS, DEMO_PASSWORD, demo_logins
from fangyi.demo.names import CITY_DISTRICTS
from fangyi.demo.write import next_ids, write_with_django
from fangyi.duty.models import Staff
from fangyi.people.management.commands.states import states_progress
from fangyi.people.models import Person
from fangyi.people.state import refresh_all
from fangyi.places.models import District

ERR_NOT_EMPTY = (
    "The database already holds {what}; the demo only fills an empty database. "
    "Pass --if-empty to skip quietly, or empty it first (`fangyi flush`)."
)
MSG_SKIPPED = "Demo data not generated: the database already holds {what}."
ERR_SCALE = "--scale must be greater than 0 (1.0 is the whole district, ~551,000 people)."
ERR_DISTRICTS = f"--districts must be between 1 and {len(CITY_DISTRICTS)}."


def existing_data() -> str | None:
    """What makes the database non-empty for the demo, or None."""
    for model in (District, Person, Staff):
        if model.objects.exists():
            return f"{model._meta.verbose_name_plural} ({model._meta.label})"
    return None


def demo_password_hash(seed: int) -> str:
    """The demo password hashed once, with a salt from the seed so the rows are reproducible."""
    return make_password(DEMO_PASSWORD, salt=f"fangyidemo{abs(seed)}")


def build_demo(scale: float, seed: int, districts: int | None = None) -> DemoCity:
    """Plan the demo for the current database (ids after any existing rows): the demo
    district up to scale 1.0, a city of several such districts above it."""
    usernames = [username for username, _role, _place in DEMO_LOGINS]
    existing = get_user_model().objects.filter(username__in=usernames)
    return DemoCity(
        scale,
        seed,
        first_ids=next_ids(),
        skip_usernames=sorted(existing.values_list("username", flat=True)),
        password_hash=demo_password_hash(seed),
        districts=districts,
    )


class Command(BaseCommand):
    help = (
        "Generate a Pingshan-shaped demo district (6 streets, 23 communities, 233 zones and "
        "~551,000 residents at --scale 1.0), its staff and one login per role "
        f"(password {DEMO_PASSWORD!r}). The same --scale and --seed give the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale", type=float, default=0.02,
            help="fraction of the real district (default 0.02, ~11,000 residents); above 1.0 "
            "a city of several districts of Shenzhen (5.0: five of ~551,000 each)",
        )  # fmt: skip
        parser.add_argument(
            "--districts", type=int, default=None,
            help="districts sharing the scale equally (default: one per started 1.0 of "
            f"--scale, at most {len(CITY_DISTRICTS)}); e.g. --scale 0.02 --districts 5 for a "
            "tiny city",
        )  # fmt: skip
        parser.add_argument("--seed", type=int, default=2020, help="random seed (default 2020)")
        parser.add_argument(
            "--if-empty", action="store_true",
            help="do nothing (instead of failing) when the database already has data",
        )  # fmt: skip
        parser.add_argument(
            "--print-logins", action="store_true",
            help="only print the demo logins present in the database",
        )  # fmt: skip
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--no-activity",
            dest="activity",
            action="store_false",
            help="only the district, its people and staff: no facilities, quarantine cases, "
            "passes, groceries or confirmed cases (those are placed around today)",
        )

    def handle(self, *args, scale: float, seed: int, if_empty: bool, **options) -> None:
        if options["print_logins"]:
            self.print_logins()
            return
        if not scale > 0:
            raise CommandError(ERR_SCALE)
        districts = options.get("districts")
        if districts is not None and not 1 <= districts <= len(CITY_DISTRICTS):
            raise CommandError(ERR_DISTRICTS)
        what = existing_data()
        if what is not None:
            if if_empty:
                self.stdout.write(MSG_SKIPPED.format(what=what))
                return
            raise CommandError(ERR_NOT_EMPTY.format(what=what))

        started = time.monotonic()
        demo = build_demo(scale, seed, districts)
        for username in sorted(demo.skip_usernames):
            self.stdout.write(f"Login {username!r} exists already; left as it is.")
        counts = write_with_django(
            demo.batches(), total=demo.total_rows, progress=not options["no_progress"]
        )
        if options.get("activity", True):
            self.seed_activity(seed, verbose=options["verbosity"] >= 1)
        # The district was written in bulk: every person's state derived once.
        refresh_all(progress=states_progress(options["no_progress"]))
        seconds = time.monotonic() - started
        if options["verbosity"] >= 1:
            for model, rows in counts.items():
                self.stdout.write(f"{model._meta.label:<22} {rows:>10,}")
            total = sum(counts.values())
            self.stdout.write(
                self.style.SUCCESS(
                    f"Demo district (scale {scale}, seed {seed}): {total:,} rows "
                    f"in {seconds:.1f} s ({total / max(seconds, 1e-9):,.0f} rows/s)."
                )
            )
            self.print_logins()

    def seed_activity(self, seed: int, *, verbose: bool) -> None:
        """What happens around today on top of the district: facilities and quarantine
        cases, a screening campaign, passes and gate checks, grocery rounds and service
        requests, confirmed cases. Each app seeds its own part through its services."""
        from fangyi.passes.demo import seed_passes_demo
        from fangyi.quarantine.demo import seed_quarantine_demo
        from fangyi.reports.demo import seed_reports_demo
        from fangyi.screening.demo import seed_screening_demo
        from fangyi.support.demo import seed_support_demo

        started = time.monotonic()
        made = seed_quarantine_demo(seed=seed)
        if verbose:
            self.stdout.write(
                "Quarantine: {facilities} facilities, {cases} cases around today ({open} open), "
                "{checks} health checks, {missed_alerts} missed check-ins.".format(**made)
            )
        steps = (
            ("screening", seed_screening_demo),
            ("passes", seed_passes_demo),
            ("support", seed_support_demo),
            ("reports", seed_reports_demo),
        )
        timings = [("quarantine", time.monotonic() - started)]
        for name, seed_step in steps:
            started = time.monotonic()
            seed_step(seed=seed)
            timings.append((name, time.monotonic() - started))
        if verbose:
            self.stdout.write(
                "Activity seeded in " + ", ".join(f"{name} {s:.1f} s" for name, s in timings) + "."
            )

    def print_logins(self) -> None:
        """A table of the demo logins present, with their password and place."""
        logins = demo_logins()
        if not logins:
            self.stdout.write("No demo logins in this database (run `fangyi demo`).")
            return
        self.stdout.write(f"Demo logins (password {DEMO_PASSWORD}):")
        width = max(len(login.role) for login in logins)
        for login in logins:
            self.stdout.write(f"  {login.username:<10} {login.role:<{width}}  {login.place}")
