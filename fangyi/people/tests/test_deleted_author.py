"""A file changed by a staff member whose login was later deleted still opens: the history
keeps the change without an author (SET_NULL) and names it as done by the system."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from fangyi.conftest import PASSWORD, _user
from fangyi.duty.choices import Role
from fangyi.people.models import PersonEvent
from fangyi.people.services import person_update

pytestmark = pytest.mark.django_db


def test_history_of_a_deleted_staff_member_renders(client, tree):
    person = tree.people[0]
    leaving = _user("leaving", Role.GRID_WORKER, building=tree.buildings[0])
    person_update(user=leaving, person=person, values={"origin": "湖北省武汉市"})
    get_user_model().objects.filter(pk=leaving.pk).delete()
    assert PersonEvent.objects.filter(person=person, by__isnull=True).exists()

    client.login(username="b_grid", password=PASSWORD)
    page = client.get(reverse("person", args=[person.pk]))
    assert page.status_code == 200
    assert "系统" in page.content.decode()
