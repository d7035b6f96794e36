"""The visit form forgives how a phone types a temperature, says whose entry is wrong,
and keeps every entry of the household when a save is refused (issue 13)."""

from __future__ import annotations

import datetime as dt
import html
import re
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from fangyi.conftest import make_id_number
from fangyi.core.models import Policy
from fangyi.core.temperature import ERR_TEMPERATURE_FORMAT, ERR_TEMPERATURE_RANGE
from fangyi.people.models import Person
from fangyi.screening import services
from fangyi.screening.choices import Outcome
from fangyi.screening.models import Visit, VisitPerson

pytestmark = pytest.mark.django_db


def _url(team, dwelling) -> str:
    return reverse("screening:visit", args=[team.pk, dwelling.pk])


def _household(tree):
    dwelling = tree.dwellings[0]
    return dwelling, list(Person.objects.filter(dwelling=dwelling).order_by("id"))


def _post(client, tree, team, data):
    client.force_login(tree.users["building"])
    dwelling, _people = _household(tree)
    return client.post(_url(team, dwelling), {"key": str(uuid.uuid4()), **data})


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _input_value(page: str, name: str) -> str | None:
    """The value an <input name=...> is rendered with (None: no value attribute)."""
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    assert tag, f"no input {name}"
    value = re.search(r'value="([^"]*)"', tag.group(0))
    return value.group(1) if value else None


def _is_checked(page: str, name: str) -> bool:
    tag = re.search(rf'<input[^>]*name="{re.escape(name)}"[^>]*>', page)
    assert tag, f"no input {name}"
    return " checked" in tag.group(0)


@pytest.mark.parametrize(
    "typed",
    ["36,8", "36.8℃", "36。8", "３６.８", "36.8度", "３６．８", "36，8", "36.8 °C", " 36.8 "],
)
def test_a_temperature_typed_on_a_phone_is_accepted(client, tree, team, typed):
    _dwelling, (a, _b) = _household(tree)
    response = _post(
        client, tree, team,
        {"outcome": Outcome.ANSWERED, f"p{a.pk}-present": "on", f"p{a.pk}-temperature": typed},
    )  # fmt: skip
    assert response.status_code == 302, _page(response)
    check = VisitPerson.objects.get(person=a)
    assert check.temperature == Decimal("36.8")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("45", ERR_TEMPERATURE_RANGE),
        ("368", ERR_TEMPERATURE_RANGE),  # the dot forgotten: never guessed
        ("3.68", ERR_TEMPERATURE_RANGE),
        ("33.9", ERR_TEMPERATURE_RANGE),
        ("36.8.1", ERR_TEMPERATURE_FORMAT),
        ("正常", ERR_TEMPERATURE_FORMAT),
    ],
)
def test_an_implausible_temperature_is_refused_naming_the_person(
    client, tree, team, typed, message
):
    _dwelling, (a, b) = _household(tree)
    response = _post(
        client, tree, team,
        {
            "outcome": Outcome.ANSWERED,
            f"p{a.pk}-present": "on", f"p{a.pk}-temperature": "36.5",
            f"p{b.pk}-present": "on", f"p{b.pk}-temperature": typed,
        },
    )  # fmt: skip
    assert response.status_code == 422
    page = _page(response)
    errors = page[page.index('data-testid="errors"') :].split("</div>")[0]
    low, high = Decimal("34.0"), Decimal("43.0")
    expected = message.format(value=typed, low=low, high=high)
    assert str(services.ERR_WHO.format(who=b.name, error=expected)) in errors
    assert a.name not in errors  # the other person's entry is fine
    assert not Visit.objects.exists() and not VisitPerson.objects.exists()


def test_the_plausible_range_is_the_policy_s(tree, team):
    Policy.objects.create(
        code="strict-thermometer",
        name="strict",
        effective_from=dt.date(2020, 1, 2),
        values={"temperature_min": "35.0", "temperature_max": "42.0"},
    )
    dwelling, (a, _b) = _household(tree)
    with pytest.raises(services.ValidationError) as exc:
        services.visit_record(
            user=tree.users["building"], team=team, dwelling=dwelling, key=uuid.uuid4(),
            outcome=Outcome.ANSWERED, people=[{"person": a, "temperature": "42.5"}],
        )  # fmt: skip
    expected = ERR_TEMPERATURE_RANGE.format(value="42.5", low="35.0", high="42.0")
    assert exc.value.message_dict == {
        "people.0.temperature": [str(services.ERR_WHO.format(who=a.name, error=expected))]
    }


def test_a_refused_save_keeps_every_entry_of_the_household(client, tree, team):
    _dwelling, (a, b) = _household(tree)
    data = {
        "outcome": Outcome.ANSWERED,
        f"p{a.pk}-present": "on",
        f"p{a.pk}-temperature": "3a.6",
        f"p{a.pk}-came_from": "湖北武汉",
        f"p{b.pk}-temperature": "36,6",  # not ticked present: b was out
        f"p{b.pk}-symptoms": "on",
        f"p{b.pk}-phone": "13912345678",
        f"p{b.pk}-came_on": "2020-02-03",
        "new0-name": "陈新来",
        "new0-doc_type": "passport",
        "new0-doc_number": "E12345678",
        "new0-temperature": "37,9",
        "new0-symptoms": "on",
        "notes": "下午再来",
    }
    response = _post(client, tree, team, data)
    assert response.status_code == 422
    page = _page(response)
    assert _input_value(page, f"p{a.pk}-temperature") == "3a.6"
    assert _input_value(page, f"p{a.pk}-came_from") == "湖北武汉"
    assert _is_checked(page, f"p{a.pk}-present")
    assert not _is_checked(page, f"p{b.pk}-present")
    assert _input_value(page, f"p{b.pk}-temperature") == "36,6"
    assert _is_checked(page, f"p{b.pk}-symptoms")
    assert _input_value(page, f"p{b.pk}-phone") == "13912345678"
    assert _input_value(page, f"p{b.pk}-came_on") == "2020-02-03"
    assert _input_value(page, "new0-name") == "陈新来"
    assert _input_value(page, "new0-doc_number") == "E12345678"
    assert _input_value(page, "new0-temperature") == "37,9"
    assert _is_checked(page, "new0-symptoms")
    assert re.search(r'<option value="passport" selected>', page)
    assert _input_value(page, "notes") == "下午再来"
    assert (
        _is_checked(page, "outcome")
        and 'value="answered" data-testid="outcome-answered" checked' in page
    )
    # The slot typed in is shown open; the same key is kept, so a retry is one visit.
    assert re.search(r'data-testid="new-person-1" open', page)
    assert _input_value(page, "key") == response.wsgi_request.POST["key"]
    assert not Visit.objects.exists() and not Person.objects.filter(name="陈新来").exists()

    # Corrected, the same entries are saved as typed.
    data[f"p{a.pk}-temperature"] = "36。6"
    response = _post(client, tree, team, data)
    assert response.status_code == 302
    checks = {c.person.name: c for c in VisitPerson.objects.select_related("person")}
    assert checks[a.name].temperature == Decimal("36.6") and checks[a.name].present
    assert checks[b.name].temperature is None and not checks[b.name].present
    assert checks["陈新来"].temperature == Decimal("37.9") and checks["陈新来"].new_file
    b.refresh_from_db()
    assert b.phone == "13912345678" and b.return_date == dt.date(2020, 2, 3)


def test_the_temperature_of_someone_out_is_not_read(client, tree, team):
    _dwelling, (a, _b) = _household(tree)
    response = _post(
        client, tree, team, {"outcome": Outcome.ANSWERED, f"p{a.pk}-temperature": "99"}
    )
    assert response.status_code == 302
    assert VisitPerson.objects.get(person=a).temperature is None


def test_a_new_person_is_named_by_the_name_typed_or_the_slot(client, tree, team):
    response = _post(
        client, tree, team,
        {
            "outcome": Outcome.ANSWERED,
            "new0-name": "陈新来", "new0-doc_number": make_id_number(808), "new0-temperature": "50",
            "new2-doc_number": "123",  # a number without a name, in the third slot
        },
    )  # fmt: skip
    assert response.status_code == 422
    page = _page(response)
    errors = page[page.index('data-testid="errors"') :].split("</div>")[0]
    expected = ERR_TEMPERATURE_RANGE.format(value="50", low="34.0", high="43.0")
    assert str(services.ERR_WHO.format(who="陈新来", error=expected)) in errors
    # The slot's own number is named, even though it is the second person sent.
    unnamed = str(services.ERR_NEW_PERSON.format(n=3))
    assert re.search(rf'<a href="#new2">{re.escape(unnamed)}', errors)
    assert not Person.objects.filter(name="陈新来").exists()


def test_a_bad_date_names_the_person_and_the_field(client, tree, team):
    _dwelling, (a, _b) = _household(tree)
    response = _post(
        client, tree, team,
        {"outcome": Outcome.ANSWERED, f"p{a.pk}-present": "on", f"p{a.pk}-came_on": "2020-02-31"},
    )  # fmt: skip
    assert response.status_code == 422
    errors = _page(response).split('data-testid="errors"')[1].split("</div>")[0]
    assert f'<a href="#p{a.pk}">{a.name}' in errors
    assert not Visit.objects.exists()


def test_the_api_reads_a_temperature_as_the_form_does(client, tree, team):
    dwelling, (a, b) = _household(tree)
    client.force_login(tree.users["building"])
    response = client.post(
        "/api/screening/visits",
        {
            "key": str(uuid.uuid4()), "team_id": team.pk, "dwelling_id": dwelling.pk,
            "outcome": "answered",
            "people": [{"person_id": a.pk, "present": True, "temperature": "36，7℃"},
                       {"person_id": b.pk, "present": True, "temperature": "47"}],
        },
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 422, response.content
    fields = response.json()["error"]["fields"]
    assert list(fields) == ["people.1.temperature"] and b.name in fields["people.1.temperature"][0]
