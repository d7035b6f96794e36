"""`fangyi worker`: run background jobs and the periodic tasks (docs/jobs.md)."""

from __future__ import annotations

import logging

from django.core.management.base import BaseCommand, CommandParser

from fangyi.jobs import worker


class Command(BaseCommand):
    help = (
        "Run the background worker: queued jobs (imports, exports) and the periodic tasks "
        "(missed check-ins, states, daily report, purge). Run one or more per deployment; "
        "SIGTERM or Ctrl-C stops it, giving a running job back to the queue."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds to wait when the queue is empty (1)",
        )
        parser.add_argument(
            "--worker-id", default="", help="a name unique among workers (host-pid-random)"
        )
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="run queued jobs only; another worker keeps the schedule",
        )

    def handle(self, *args, **options) -> None:
        level = logging.WARNING if options["verbosity"] < 1 else logging.INFO
        for name in ("fangyi.jobs", "django_tasks_db", "django_tasks"):
            logging.getLogger(name).setLevel(level)
        worker_id = options["worker_id"] or worker.new_worker_id()
        if options["verbosity"] >= 1:
            self.stdout.write(f"fangyi worker {worker_id} started (Ctrl-C stops it)")
        worker.serve(
            worker_id=worker_id,
            interval=max(0.05, options["interval"]),
            periodic=not options["no_periodic"],
        )
