"""Prometheus metrics at `/metrics` (prometheus_client), and the request observer.

Plain prometheus_client rather than django-prometheus (docs/operations.md says why):
the request metrics are one middleware here, labelled by the view's name (never the raw
path, whose ids would make a series per person), and the domain figures are a collector
that reads the database at scrape time (fangyi.metrics, above the apps: core knows no
domain app). Apps count what happens in this process through the metrics defined here
(`GATE_CHECKS`).

`/metrics` answers loopback and the addresses and networks of FANGYI_METRICS_ALLOWED
(settings.METRICS_ALLOWED) only, and 404 to anybody else, like a URL that does not exist.
A request that came through a proxy not named in FANGYI_TRUSTED_PROXIES (it carries
X-Forwarded-For, and its client cannot be known) is refused too: otherwise a proxy on the
same machine would hand the metrics to the world as "loopback".

Under gunicorn each worker process counts its own requests; set PROMETHEUS_MULTIPROC_DIR
(an empty directory, emptied at each start) to add them up across workers.
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from fangyi.core.middleware import client_ip
from fangyi.core.request_log import log_request

# One series per counter, not two: `_created` would double the gate × colour series.
disable_created_metrics()

GATE_CHECKS = Counter(
    "fangyi_gate_checks",
    "Gate checks recorded by this process, by gate and colour shown.",
    ["gate", "colour"],
)
REQUESTS = Counter(
    "fangyi_requests",
    "Requests answered, by view name, method and status class.",
    ["view", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "fangyi_request_duration_seconds",
    "Time to answer a request, by view name.",
    ["view"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)

# The methods a label may name; anything else is "other" (a client may send any word).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNRESOLVED = "<unresolved>"

# Collectors that read the database at scrape time, added by the layer above the apps.
_collectors: list[Collector] = []


def register_collector(collector: Collector) -> None:
    if collector not in _collectors:
        _collectors.append(collector)


def gate_check_counted(*, gate_id: int, colour: str) -> None:
    """Count one gate check made by this process."""
    GATE_CHECKS.labels(gate=str(gate_id), colour=colour).inc()


# --- who may read them ---------------------------------------------------------------------


def metrics_allowed(request: HttpRequest) -> bool:
    """Loopback and settings.METRICS_ALLOWED; never a request from an unnamed proxy."""
    remote = request.META.get("REMOTE_ADDR")
    if request.META.get("HTTP_X_FORWARDED_FOR") and remote not in settings.TRUSTED_PROXIES:
        return False
    address = client_ip(request)
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return True
    return any(ip in network for network in settings.METRICS_ALLOWED)


class _Scrape:
    """What one scrape reads: the process's (or all workers') metrics and the collectors."""

    def __init__(self, base: Any, extra: list[Collector]):
        self.base, self.extra = base, extra

    def collect(self):
        yield from self.base.collect()
        for collector in self.extra:
            yield from collector.collect()


def _base_registry() -> Any:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        return registry
    return REGISTRY


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "HEAD") or not metrics_allowed(request):
        raise Http404
    output = generate_latest(_Scrape(_base_registry(), _collectors))
    return HttpResponse(output, content_type=CONTENT_TYPE_LATEST)


# --- every request -------------------------------------------------------------------------


def view_name(request: HttpRequest) -> str:
    """The URL's name (`passes:gate`), else the view's dotted path; never the raw path."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNRESOLVED
    return match.view_name or match._func_path or UNRESOLVED


class RequestObserverMiddleware:
    """Times every request: counts it and its latency by view name and, when
    FANGYI_LOG_FORMAT=json, logs one JSON line (logger `fangyi.request`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        seconds = time.perf_counter() - started
        view = view_name(request)
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(view=view, method=method, status=f"{response.status_code // 100}xx").inc()
        REQUEST_SECONDS.labels(view=view).observe(seconds)
        if settings.LOG_FORMAT == "json":
            log_request(request, response.status_code, seconds, view)
        return response
