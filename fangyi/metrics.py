"""The domain's figures for Prometheus, read from the database at scrape time.

Above every app (like fangyi.api): core.metrics serves `/metrics` and counts what one
process does; this collector adds what the database knows, the same whichever app node
is scraped:

- `fangyi_gate_checks_today{gate, colour}`: today's checks (Asia/Shanghai) per gate and
  colour shown: one GROUP BY over today's rows, found through the index on the time;
- `fangyi_alerts_open{kind, status}`: alerts not closed (health.Alert), by kind;
- `fangyi_jobs_waiting` and `fangyi_jobs_oldest_waiting_seconds`: background jobs
  waiting to start (fangyi.jobs) and how long the oldest has waited.

Labels are ids and codes only: no name, no person. A scrape reads at most every
CACHE_SECONDS per process, so several scrapers cost no more than one. When the database
cannot be read the scrape still answers, with the process's own metrics and
`fangyi_database_figures_up 0` (1 when the figures above were read).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Iterator

from django.db import DatabaseError
from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from fangyi.core.metrics import register_collector

CACHE_SECONDS = 10.0

logger = logging.getLogger(__name__)


def _today_start() -> dt.datetime:
    today = timezone.localdate()
    return timezone.make_aware(dt.datetime.combine(today, dt.time.min))


def gate_checks_today() -> list[tuple[int, str, int]]:
    """(gate id, colour, checks) of today's checks."""
    from fangyi.passes.models import GateCheck

    rows = (
        GateCheck.objects.filter(at__gte=_today_start())
        .order_by()
        .values_list("gate_id", "colour")
        .annotate(n=Count("id"))
    )
    return [(gate, colour, n) for gate, colour, n in rows]


def open_alerts() -> list[tuple[str, str, int]]:
    """(kind, status, count) of the alerts not closed."""
    from fangyi.health.choices import AlertStatus
    from fangyi.health.models import Alert

    rows = (
        Alert.objects.exclude(status=AlertStatus.CLOSED)
        .order_by()
        .values_list("kind", "status")
        .annotate(n=Count("id"))
    )
    return [(kind, status, n) for kind, status, n in rows]


def jobs_waiting(now: dt.datetime) -> tuple[int, float]:
    """(jobs waiting to start, seconds the oldest has waited)."""
    from fangyi.jobs.choices import JobStatus
    from fangyi.jobs.models import Job

    figures = Job.objects.filter(status=JobStatus.QUEUED).aggregate(
        n=Count("id"), oldest=Min("created_at")
    )
    oldest = figures["oldest"]
    return figures["n"], max((now - oldest).total_seconds(), 0.0) if oldest else 0.0


class DomainCollector(Collector):
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] | None = None

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            now = time.monotonic()
            if self._cached is None or now - self._cached[0] >= CACHE_SECONDS:
                try:
                    figures = [*self._read(), self._up(1)]
                except DatabaseError as exc:
                    logger.warning("metrics: the database figures could not be read: %r", exc)
                    figures = [self._up(0)]
                self._cached = (now, figures)
            return iter(self._cached[1])

    @staticmethod
    def _up(value: int) -> Metric:
        return GaugeMetricFamily(
            "fangyi_database_figures_up",
            "1 when the figures from the database were read at this scrape, else 0.",
            value,
        )

    def clear(self) -> None:
        with self._lock:
            self._cached = None

    def _read(self) -> list[Metric]:
        checks = GaugeMetricFamily(
            "fangyi_gate_checks_today",
            "Gate checks recorded today (Asia/Shanghai), by gate and colour shown.",
            labels=["gate", "colour"],
        )
        for gate, colour, n in gate_checks_today():
            checks.add_metric([str(gate), colour], n)
        alerts = GaugeMetricFamily(
            "fangyi_alerts_open",
            "Alerts not closed, by kind and status.",
            labels=["kind", "status"],
        )
        for kind, status, n in open_alerts():
            alerts.add_metric([kind, status], n)
        waiting, age = jobs_waiting(timezone.now())
        return [
            checks,
            alerts,
            GaugeMetricFamily("fangyi_jobs_waiting", "Background jobs waiting to start.", waiting),
            GaugeMetricFamily(
                "fangyi_jobs_oldest_waiting_seconds",
                "How long the oldest waiting background job has waited, in seconds.",
                age,
            ),
        ]


COLLECTOR = DomainCollector()
register_collector(COLLECTOR)
