"""The demo builds whatever the day and hour: its activity (cases, orders, deliveries) is
placed around "now", and every service it calls keeps its rules (a volunteer is sent
only to a person quarantined at home, never to one at a station)."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from fangyi.health.models import Alert
from fangyi.people.state import rebuild_differences
from fangyi.support.models import Order

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("when", "seed"),
    [
        (dt.datetime(2026, 12, 2, 10, 0), 7),  # failed when doors went to station cases
        (dt.datetime(2026, 12, 4, 8, 0), 2020),  # `make run`'s seed, before the cutoff
        (dt.datetime(2026, 12, 2, 0, 40), 7),  # after midnight: the gates' board was empty
    ],
)
def test_the_demo_builds_at_any_time(when, seed, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with time_machine.travel(when.replace(tzinfo=SHANGHAI), tick=False):
        call_command("demo", scale=0.004, seed=seed, no_progress=True, stdout=io.StringIO())
        # Every bag sent to a door goes to somebody quarantined at home.
        sent = Order.objects.filter(deliverer__isnull=False).exclude(
            person__quarantine_cases__state="home"
        )
        assert not sent.exists()
        # Every person's stored state is what the facts give (the demo writes in bulk).
        assert rebuild_differences() == []
        # The gates have a board with a fever to review, whatever the hour.
        assert Alert.objects.filter(source="gate", kind="fever", status="open").exists()
