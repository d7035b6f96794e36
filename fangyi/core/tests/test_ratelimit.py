"""The fixed-window rate limit counts in the database: one count for every worker."""

import datetime as dt

import pytest
import time_machine
from django.core.cache import cache

from fangyi.core import ratelimit
from fangyi.core.models import RateCount
from fangyi.core.ratelimit import allow

pytestmark = pytest.mark.django_db

START = dt.datetime(2020, 2, 20, 9, 0, 10, tzinfo=dt.UTC)


def test_the_limit_counts_in_the_database_not_a_process_cache():
    with time_machine.travel(START, tick=False):
        assert allow("apply:10.0.0.1", limit=2, window=3600)
        assert allow("apply:10.0.0.1", limit=2, window=3600)
        cache.clear()  # what a process-local count would lose
        assert not allow("apply:10.0.0.1", limit=2, window=3600)
        assert allow("apply:10.0.0.2", limit=2, window=3600)  # another address
    (row,) = RateCount.objects.filter(name__startswith="apply:10.0.0.1:")
    assert row.hits == 3
    assert row.expires_at == dt.datetime(2020, 2, 20, 10, tzinfo=dt.UTC)


def test_a_new_window_starts_from_nothing():
    with time_machine.travel(START, tick=False):
        assert allow("k", limit=1, window=60)
        assert not allow("k", limit=1, window=60)
    with time_machine.travel(START + dt.timedelta(seconds=60), tick=False):
        assert allow("k", limit=1, window=60)


def test_ended_windows_are_deleted_now_and_then(monkeypatch):
    monkeypatch.setattr(ratelimit, "PURGE_EVERY", 1)
    with time_machine.travel(START, tick=False):
        allow("old", limit=5, window=60)
    with time_machine.travel(START + dt.timedelta(minutes=5), tick=False):
        allow("new", limit=5, window=60)
    assert [r.name.split(":")[0] for r in RateCount.objects.all()] == ["new"]


def test_a_long_key_keeps_its_window():
    with time_machine.travel(START, tick=False):
        assert allow("x" * 300, limit=1, window=60)
        assert not allow("x" * 300, limit=1, window=60)
    (row,) = RateCount.objects.all()
    assert len(row.name) == 200 and row.name.endswith(f":{int(START.timestamp()) // 60}")
