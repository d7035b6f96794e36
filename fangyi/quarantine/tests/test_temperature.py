"""Health checks read temperatures as the screening form does (`core.temperature`): as a
phone types them, within the case's policy range, refused with the same messages naming
the value typed; in the service, the staff form, the resident's check-in page and the API.
"""

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
from fangyi.duty.services import api_token_create
from fangyi.quarantine import services
from fangyi.quarantine.checkin import checkin_token
from fangyi.quarantine.models import HealthCheck
from fangyi.quarantine.tests.conftest import at

TYPED = ["36,8", "36.8℃", "36。8", "３６．８", "36.8度", "36，8", "36.8 °C", " 36.8 "]


@pytest.fixture
def case(tree, facilities):
    with time_machine.travel(at(2020, 2, 18, 9), tick=False):
        return services.case_intake(
            by=tree.users["zone"],
            person=tree.people[0],
            reason="returned",
            arrived_at=at(2020, 2, 18, 9),
            first_state="home",
        )


@pytest.mark.parametrize("typed", TYPED)
def test_the_service_reads_a_temperature_as_a_phone_types_it(case, typed):
    with time_machine.travel(at(2020, 2, 18, 10), tick=False):
        check = services.health_check_record(case=case, temperature=typed)
    assert check.temperature == Decimal("36.8")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("45", ERR_TEMPERATURE_RANGE),
        ("3.68", ERR_TEMPERATURE_RANGE),
        ("368", ERR_TEMPERATURE_RANGE),
        ("abc", ERR_TEMPERATURE_FORMAT),
        ("NaN", ERR_TEMPERATURE_FORMAT),
        ("36..8", ERR_TEMPERATURE_FORMAT),
    ],
)
def test_a_wrong_temperature_is_refused_with_the_screening_form_s_message(case, typed, message):
    with pytest.raises(ValidationError) as refused:
        services.health_check_record(case=case, temperature=typed)
    expected = message.format(value=typed, low=Decimal("34.0"), high=Decimal("43.0"))
    assert refused.value.message_dict == {"temperature": [str(expected)]}
    assert not HealthCheck.objects.exists()


def test_nothing_typed_is_refused(case):
    with pytest.raises(ValidationError) as refused:
        services.health_check_record(case=case, temperature="  ")
    assert refused.value.message_dict == {"temperature": [str(services.ERR_TEMPERATURE_MISSING)]}


def test_the_plausible_range_is_the_case_s_policy(tree, facilities):
    Policy.objects.create(
        code="strict-thermometer",
        name="strict",
        effective_from=dt.date(2020, 1, 2),
        values={"temperature_min": "35.0", "temperature_max": "42.0"},
    )
    with time_machine.travel(at(2020, 2, 18, 9), tick=False):
        case = services.case_intake(
            by=None,
            person=tree.people[0],
            reason="returned",
            arrived_at=at(2020, 2, 18, 9),
            first_state="home",
        )
        with pytest.raises(ValidationError) as refused:
            services.health_check_record(case=case, temperature="42,5")
    expected = ERR_TEMPERATURE_RANGE.format(value="42,5", low="35.0", high="42.0")
    assert refused.value.message_dict == {"temperature": [str(expected)]}


def test_the_staff_form_and_the_check_in_page_read_it_too(client, case):
    client.login(username="z_property", password=PASSWORD)
    with time_machine.travel(at(2020, 2, 18, 10), tick=False):
        response = client.post(
            reverse("quarantine:action", args=[case.pk, "check"]), {"temperature": "36.8 °C"}
        )
        assert response.status_code == 302
        response = client.post(
            reverse("quarantine:action", args=[case.pk, "check"]), {"temperature": "3a.6"}
        )
        assert response.status_code == 422
        expected = ERR_TEMPERATURE_FORMAT.format(value="3a.6")
        assert str(expected) in response.content.decode()
    client.logout()
    with time_machine.travel(at(2020, 2, 18, 18), tick=False):
        response = client.post(
            reverse("checkin", args=[checkin_token(case)]), {"temperature": "３６．８℃"}
        )
    assert response.status_code == 200 and 'data-testid="error-temperature"' not in (
        response.content.decode()
    )
    assert list(HealthCheck.objects.values_list("temperature", flat=True)) == [
        Decimal("36.8"),
        Decimal("36.8"),
    ]


def test_the_api_reads_it_too(client, tree, case):
    token = api_token_create(user=tree.users["zone"])
    url = f"/api/quarantine/cases/{case.pk}/checks"
    headers = {"Authorization": f"Bearer {token}"}
    with time_machine.travel(at(2020, 2, 18, 10), tick=False):
        response = client.post(
            url, {"temperature": "36。8"}, content_type="application/json", headers=headers
        )
        assert response.status_code == 201, response.content
        assert response.json()["temperature"] == "36.8"
        response = client.post(
            url, {"temperature": "45"}, content_type="application/json", headers=headers
        )
    assert response.status_code == 422
    expected = ERR_TEMPERATURE_RANGE.format(value="45", low="34.0", high="43.0")
    assert response.json()["error"]["fields"] == {"temperature": [str(expected)]}
