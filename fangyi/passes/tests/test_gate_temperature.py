"""The gate reads a temperature as the screening and quarantine forms do (`core.temperature`):
as a phone types it, within the range of the policy in force, refused with the same
messages naming the value typed; for a pass and for a visitor, on the page and the API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from fangyi.conftest import PASSWORD
from fangyi.core.models import Policy
from fangyi.core.temperature import ERR_TEMPERATURE_FORMAT, ERR_TEMPERATURE_RANGE
from fangyi.passes import services
from fangyi.passes.models import GateCheck
from fangyi.passes.tests.conftest import NOW

TYPED = ["36,8", "36.8℃", "36。8", "３６．８", "36.8度", "36，8", "36.8 °C"]


@pytest.mark.parametrize("typed", TYPED)
def test_a_pass_checked_with_a_temperature_as_a_phone_types_it(green_pass, gate, guard, typed):
    with time_machine.travel(NOW, tick=False):
        result = services.gate_check_record(
            by=guard, gate=gate, code=green_pass.code, temperature=typed
        )
    assert result.check.temperature == Decimal("36.8")
    assert result.verdict.colour == "green"


def test_a_visitor_s_temperature_is_read_the_same_way(gate, guard):
    with time_machine.travel(NOW, tick=False):
        result = services.gate_check_record(
            by=guard, gate=gate, temperature="３７．５℃", visitor={"name": "快递员张三"}
        )
    assert result.check.temperature == Decimal("37.5") and result.verdict.fever


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("45", ERR_TEMPERATURE_RANGE),
        ("368", ERR_TEMPERATURE_RANGE),
        ("3a.6", ERR_TEMPERATURE_FORMAT),
    ],
)
def test_a_wrong_temperature_is_refused_naming_what_was_typed(
    green_pass, gate, guard, typed, message
):
    expected = message.format(value=typed, low="34.0", high="43.0")
    with time_machine.travel(NOW, tick=False):
        for visitor in (None, {"name": "快递员张三"}):
            with pytest.raises(ValidationError) as refused:
                services.gate_check_record(
                    by=guard, gate=gate, code=green_pass.code, temperature=typed, visitor=visitor
                )
            assert refused.value.message_dict == {"temperature": [str(expected)]}
    assert not GateCheck.objects.exists()


def test_the_range_is_the_policy_in_force(green_pass, gate, guard):
    Policy.objects.create(
        code="strict-thermometer",
        name="strict",
        effective_from=dt.date(2020, 2, 19),
        values={"temperature_min": "35.0", "temperature_max": "42.0"},
    )
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as refused:
        services.gate_check_record(by=guard, gate=gate, code=green_pass.code, temperature="42,5")
    expected = ERR_TEMPERATURE_RANGE.format(value="42,5", low="35.0", high="42.0")
    assert refused.value.message_dict == {"temperature": [str(expected)]}


def test_the_gate_page_keeps_the_entry_and_names_it(client, green_pass, gate, guard):
    client.login(username="guard1", password=PASSWORD)
    url = reverse("passes:check", args=[gate.pk])
    with time_machine.travel(NOW, tick=False):
        response = client.post(url, {"code": green_pass.code, "temperature": "36..8"})
        assert response.status_code == 422
        page = response.content.decode()
        assert str(ERR_TEMPERATURE_FORMAT.format(value="36..8")) in page
        assert 'value="36..8"' in page
        response = client.post(url, {"code": green_pass.code, "temperature": "36。8"})
    assert response.status_code == 200
    assert GateCheck.objects.get().temperature == Decimal("36.8")
