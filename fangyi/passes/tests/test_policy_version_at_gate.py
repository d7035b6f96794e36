"""A policy version added with `fangyi policy add` changes the gate check from its first
day, through the page and the device alike, and not the day before."""

from __future__ import annotations

from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from fangyi.duty.services import api_token_create
from fangyi.passes import services
from fangyi.passes.models import GateCheck
from fangyi.passes.tests.conftest import NOW, at
from fangyi.passes.tests.wsgi import served
from fangyi.wsgi import application


@pytest.fixture
def bearer(guard):
    return {"Authorization": f"Bearer {api_token_create(user=guard)}"}


def test_a_new_fever_threshold_applies_from_its_day(tree, guard, gate, green_pass, bearer):
    with time_machine.travel(NOW, tick=False):
        call_command(
            "policy", "add", "pingshan-2020-02-21", "--name", "坪山 2月21日起",
            "--from", "2020-02-21", "--set", "fever_threshold=37.5", stdout=StringIO(),
        )  # fmt: skip
        before = services.gate_check_record(
            by=guard, gate=gate, code=green_pass.code, temperature="37.4"
        )
    with time_machine.travel(at(2020, 2, 21, 9, 0), tick=False):
        after = services.gate_check_record(
            by=guard, gate=gate, code=green_pass.code, temperature="37.4"
        )
        device = served(
            application, "post", "/api/scans",
            {"gate_id": gate.pk, "code": green_pass.code, "temperature": "37.4"}, bearer,
        )  # fmt: skip
    assert device.status_code == 201
    assert (device.json()["fever"], device.json()["policy"]) == (False, "pingshan-2020-02-21")
    checks = list(GateCheck.objects.order_by("id").select_related("policy"))
    assert [(c.fever, c.policy.code) for c in checks] == [
        (True, "pingshan-2020"),
        (False, "pingshan-2020-02-21"),
        (False, "pingshan-2020-02-21"),
    ]
    assert before.check.pk == checks[0].pk and after.check.pk == checks[1].pk
