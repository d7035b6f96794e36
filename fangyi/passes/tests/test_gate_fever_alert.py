"""A fever at the gate is one alert of the one alert model (health.Alert): the person's
stored state is "review" at once (not only when the gate reads the facts again), the
alert is on the zone doctor's alerts page with the gate and time, and the review that
clears it stores the state back. people.state.rebuild_differences() stays empty."""

from __future__ import annotations

import time_machine
from django.urls import reverse

from fangyi.health.models import Alert
from fangyi.passes import services
from fangyi.passes.tests.conftest import at
from fangyi.people.choices import EpidemicState
from fangyi.people.state import rebuild_differences, refresh_all

NOW = at(2020, 3, 1, 9)


def test_a_gate_fever_stores_the_state_and_the_review_clears_it(
    client, green_pass, gate, guard, tree
):
    person = green_pass.person
    with time_machine.travel(NOW, tick=False):
        refresh_all()
        services.gate_check_record(by=guard, gate=gate, code=green_pass.code, temperature="38.0")
        person.refresh_from_db()
        assert person.epidemic_state == EpidemicState.REVIEW
        assert rebuild_differences() == []
        alert = Alert.objects.get()
        assert (alert.kind, alert.source, alert.zone_id) == ("fever", "gate", person.zone_id)
        client.force_login(tree.users["zone"])
        page = client.get(reverse("alerts:list")).content.decode()
        assert f'data-testid="alert-{alert.pk}"' in page and gate.name in page
        services.fever_alert_review(by=tree.users["zone"], alert=alert, outcome="referred")
        person.refresh_from_db()
        assert person.epidemic_state == EpidemicState.CLEAR
        assert rebuild_differences() == []
    alert.refresh_from_db()
    assert (alert.status, alert.note) == ("closed", "已转诊就医")
