"""The demo quarantine: cases at every stage around today, obeying the rules."""

import datetime as dt

import time_machine
from django.core.management import call_command

from fangyi.health.models import Alert
from fangyi.quarantine.choices import CaseState, FacilityKind
from fangyi.quarantine.models import Facility, QuarantineCase
from fangyi.quarantine.selectors import case_days, worklist_due_release
from fangyi.quarantine.tests.conftest import at


def test_demo_cases_cover_every_stage(db, django_user_model):
    with time_machine.travel(at(2026, 3, 10, 15), tick=False):
        call_command("demo", scale=0.003, seed=3, no_progress=True, verbosity=0)
        today = dt.date(2026, 3, 10)
        cases = list(QuarantineCase.objects.select_related("policy"))
        states = {c.state for c in cases}
        assert {CaseState.STATION, CaseState.HOME, CaseState.OBSERVATION} <= states
        for case in cases:
            days = case_days(case, today)
            assert 1 <= days.day <= 15 and days.in_quarantine
        leader = django_user_model.objects.get(username="leader")
        due = worklist_due_release(leader, today)
        assert due and all(case_days(c, today).day == 15 for c in due)
        # The demo doctor is on duty at the station of their community.
        doctor = django_user_model.objects.get(username="doctor")
        station = Facility.objects.get(staff__user=doctor)
        assert station.kind == FacilityKind.STATION
        assert Alert.objects.filter(kind="missed_check").exists()
        # The demo logins' zone has cases, so the zone logins see some.
        guard_zone = doctor.staff.assignments.get().community.zones.order_by("code").first()
        assert QuarantineCase.objects.filter(zone=guard_zone).exists()
