"""A policy version that takes effect later changes how long a contact is watched and a
returnee monitored: on its first day every state those days decide is derived again
under it (issue 14's review), so the gate and the maps follow the new policy and
`rebuild_differences()` stays empty."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from fangyi.core.models import Policy
from fangyi.health import exposures
from fangyi.people import services as people_services
from fangyi.people.models import Person
from fangyi.people.state import rebuild_differences, refresh, refresh_expired

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y, m, d, hh=10) -> dt.datetime:
    return dt.datetime(y, m, d, hh, tzinfo=SHANGHAI)


def state(person) -> str:
    return Person.objects.get(pk=person.pk).epidemic_state


def test_a_new_policy_versions_days_apply_from_its_first_day(tree):
    leader = tree.users["district"]
    index, contact, returnee, earlier = (
        tree.people[0],
        tree.people[4],
        tree.people[8],
        tree.people[9],
    )
    Person.objects.update(verified=True)
    with time_machine.travel(at(2020, 2, 20), tick=False):
        refresh([p.pk for p in tree.people])
        exposures.exposure_record(
            by=leader, index_person=index, contact=contact, kind="work",
            first_exposure_on=dt.date(2020, 2, 18), last_exposure_on=dt.date(2020, 2, 18),
        )  # fmt: skip
        people_services.person_update(
            user=leader, person=returnee,
            values={"travel_status": "returned", "return_date": dt.date(2020, 2, 19)},
        )  # fmt: skip
        people_services.person_update(
            user=leader, person=earlier,
            values={"travel_status": "returned", "return_date": dt.date(2020, 2, 1)},
        )  # fmt: skip
        assert (state(contact), state(returnee), state(earlier)) == (
            "contact",
            "returnee",
            "clear",
        )
        # From 25 February contacts are watched 7 days, returnees monitored 28.
        Policy.objects.create(
            code="shorter-watch", name="缩短观察期", effective_from=dt.date(2020, 2, 25),
            values={"quarantine_days": 7, "pass_returnee_days": 28},
        )  # fmt: skip
        assert rebuild_differences() == []
    with time_machine.travel(at(2020, 2, 26), tick=False):
        refresh_expired()
        # 18 Feb + 7 days: watched through 24 Feb; 1 Feb + 28 days: through 28 Feb.
        assert (state(contact), state(returnee), state(earlier)) == (
            "clear",
            "returnee",
            "returnee",
        )
        assert rebuild_differences() == []
