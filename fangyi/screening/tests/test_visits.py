"""Visits: the revisit list, a double submit recorded once, person-times, history, scope."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
import time_machine
from django.core.exceptions import ValidationError

from fangyi.conftest import make_id_number
from fangyi.people.models import Person
from fangyi.screening import selectors, services
from fangyi.screening.choices import DwellingStatus, Outcome
from fangyi.screening.models import Visit, VisitPerson

pytestmark = pytest.mark.django_db


def _record(tree, team, dwelling, outcome, **kwargs):
    return services.visit_record(
        user=tree.users["building"],
        team=team,
        dwelling=dwelling,
        key=kwargs.pop("key", uuid.uuid4()),
        outcome=outcome,
        **kwargs,
    )


def test_list_puts_not_visited_first_and_nobody_home_on_revisit(tree, team):
    d101, d102 = tree.dwellings[0], tree.dwellings[1]
    _record(tree, team, d101, Outcome.NOBODY_HOME)
    rows = selectors.team_dwellings(tree.users["building"], team)
    assert [(r.dwelling.pk, r.status) for r in rows] == [
        (d102.pk, DwellingStatus.NOT_VISITED),
        (d101.pk, DwellingStatus.REVISIT),
    ]
    _record(tree, team, d101, Outcome.ANSWERED)
    rows = selectors.team_dwellings(tree.users["building"], team)
    assert rows[-1].dwelling.pk == d101.pk and rows[-1].status == DwellingStatus.DONE


def test_double_submit_is_recorded_once(tree, team):
    key = uuid.uuid4()
    dwelling = tree.dwellings[0]
    people = [{"person": p, "present": True} for p in Person.objects.filter(dwelling=dwelling)]
    first, created = _record(tree, team, dwelling, Outcome.ANSWERED, key=key, people=people)
    again, created_again = _record(tree, team, dwelling, Outcome.ANSWERED, key=key, people=people)
    assert created and not created_again and first.pk == again.pk
    assert Visit.objects.count() == 1 and VisitPerson.objects.count() == 2


def test_person_times_and_history_show_the_team(tree, team):
    dwelling = tree.dwellings[0]
    a, b = Person.objects.filter(dwelling=dwelling).order_by("id")
    with time_machine.travel(dt.datetime(2020, 2, 20, 10, tzinfo=dt.UTC), tick=False):
        _record(
            tree,
            team,
            dwelling,
            Outcome.ANSWERED,
            people=[
                {"person": a, "present": True, "temperature": "37.5", "phone": "13912345678"},
                {"person": b, "present": False},
            ],
            new_people=[{"name": "新住户", "doc_number": make_id_number(900)}],
        )
        _record(tree, team, dwelling, Outcome.ANSWERED, people=[{"person": a}])
    progress = selectors.campaign_progress(team.campaign)
    # a twice, b absent, the new person once.
    assert progress.teams[team.pk].person_times == 3
    assert progress.campaign.person_times == 3
    assert progress.teams[team.pk].done == 1 and progress.teams[team.pk].total == 2
    a.refresh_from_db()
    assert a.phone == "13912345678" and a.health_status == "symptoms"
    event = a.events.get()
    assert event.source == "screening team 第一小组" and event.by == tree.users["building"]
    new = Person.objects.get(name="新住户")
    assert not new.verified and new.dwelling == dwelling
    assert new.events.get().source == "screening team 第一小组"
    (day,) = selectors.daily_summary(team.campaign)
    assert (day.day, day.visits, day.person_times, day.new_files) == (dt.date(2020, 2, 20), 2, 3, 1)


def test_bad_new_person_saves_nothing(tree, team):
    with pytest.raises(ValidationError) as exc:
        _record(
            tree, team, tree.dwellings[0], Outcome.ANSWERED,
            new_people=[{"name": "错号", "doc_number": "123"}],
        )  # fmt: skip
    assert "new_people.0.doc_number" in exc.value.message_dict
    assert not Visit.objects.exists() and not Person.objects.filter(name="错号").exists()


def test_team_sees_only_its_own_dwellings(tree, team, other_team):
    mine = {r.dwelling.pk for r in selectors.team_dwellings(tree.users["building"], team)}
    assert mine == {tree.dwellings[0].pk, tree.dwellings[1].pk}
    with pytest.raises(ValidationError):
        _record(tree, team, tree.dwellings[2], Outcome.ANSWERED)  # building 2: not ours


def test_team_member_must_cover_the_buildings(tree, campaign):
    outsider = tree.users["outsider"].staff
    others = [tree.users["zone"].staff, tree.users["community"].staff]
    with pytest.raises(ValidationError) as exc:
        services.team_create(
            user=tree.users["community"], campaign=campaign, name="x",
            members=[outsider, *others], leader=outsider, areas=[(tree.buildings[0], None)],
        )  # fmt: skip
    assert "members" in exc.value.message_dict


def test_progress_query_count_is_bounded(tree, team, django_assert_max_num_queries):
    for dwelling in tree.dwellings[:2]:
        _record(tree, team, dwelling, Outcome.VACANT)
    with django_assert_max_num_queries(8):
        progress = selectors.campaign_progress(team.campaign)
    assert progress.campaign.total == 8 and progress.campaign.done == 2
    assert progress.unassigned == 6
