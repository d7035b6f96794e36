"""Date inputs carry ISO values in every language (an `<input type=date>` shows nothing else).

Django's Chinese input formats start with `2026/11/28`: the returnee's return date came
up blank on the edit page and re-saving the file was refused for want of it.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import translation

from fangyi.conftest import PASSWORD
from fangyi.people.choices import TravelStatus
from fangyi.people.models import Person
from fangyi.quarantine.forms import IntakeForm

pytestmark = pytest.mark.django_db


def _value(html: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
    assert match, f"no input named {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else ""


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_returnee_is_edited_and_saved_again_with_the_return_date_kept(client, tree, language):
    person = tree.people[0]
    Person.objects.filter(pk=person.pk).update(
        travel_status=TravelStatus.RETURNED, return_date=dt.date(2026, 11, 28)
    )
    client.login(username="b_grid", password=PASSWORD)
    client.cookies["django_language"] = language
    page = client.get(reverse("person_edit", args=[person.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert _value(html, "return_date") == "2026-11-28"

    # The browser sends back what the page holds; the file saves unchanged.
    form = {name: _value(html, name) for name in ("name", "origin", "return_date")}
    form |= {
        "doc_type": person.doc_type,
        "travel_status": TravelStatus.RETURNED,
        "health_status": person.health_status,
    }
    answer = client.post(reverse("person_edit", args=[person.pk]), form)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    person.refresh_from_db()
    assert person.return_date == dt.date(2026, 11, 28)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_datetime_inputs_render_iso_and_read_it_back(language):
    arrived = dt.datetime(2026, 12, 1, 20, 15, tzinfo=dt.UTC) - dt.timedelta(hours=8)
    with translation.override(language):
        field = IntakeForm(initial={"arrived_at": arrived})["arrived_at"]
        assert 'value="2026-12-01T20:15"' in str(field)
        # What a datetime-local input sends, and what people type in Chinese, both read.
        for typed in ("2026-12-01T20:15", "2026-12-01 20:15"):
            cleaned = IntakeForm.base_fields["arrived_at"].clean(typed)
            assert cleaned.astimezone(dt.UTC) == arrived
