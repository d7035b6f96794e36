"""Operators cannot delete or edit history and log rows in the admin."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from axes.models import AccessLog as LoginLog
from django.contrib import admin
from django.test import RequestFactory

from fangyi.audit.models import AccessLog
from fangyi.people.models import Person, PersonEvent
from fangyi.quarantine.models import CaseEvent
from fangyi.retention.models import Erasure, Purge
from fangyi.retention.services import person_erase, retention_purge
from fangyi.retention.tests.conftest import PHONE

# History and logs: never deleted or changed by hand (the purge removes what expired).
RECORDS = [Person, PersonEvent, CaseEvent, AccessLog, LoginLog, AccessFailureLog, Erasure, Purge]


@pytest.fixture
def rows(filed, operator):
    """One row of each kind (a login record, a failed login, an erasure, a purge…)."""
    common = {"user_agent": "ua", "ip_address": "10.0.0.1", "http_accept": "*/*"}
    LoginLog.objects.create(username="op", **common)
    AccessFailureLog.objects.create(username="op", **common)
    AccessAttempt.objects.create(username="op", failures_since_start=5, **common)
    retention_purge()
    return filed


@pytest.mark.parametrize("model", RECORDS, ids=lambda m: m._meta.label)
def test_records_cannot_be_deleted_or_changed(model, operator):
    request = RequestFactory().get("/admin/")
    request.user = operator
    model_admin = admin.site._registry.get(model)
    if model_admin is None:
        return  # not in the admin at all (case events): nothing to delete there
    assert not model_admin.has_delete_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_add_permission(request)


def test_case_events_are_not_in_the_admin():
    assert CaseEvent not in admin.site._registry


def test_delete_pages_refuse_the_operator(client, rows, operator):
    person = rows.person
    erasure = person_erase(by=operator, person=person)
    client.force_login(operator)
    for model, pk in (
        (Person, person.pk),
        (AccessLog, AccessLog.objects.first().pk),
        (LoginLog, LoginLog.objects.first().pk),
        (AccessFailureLog, AccessFailureLog.objects.get().pk),
        (Erasure, erasure.pk),
        (Purge, Purge.objects.get().pk),
    ):
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/{pk}/delete/"
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"post": "yes"}).status_code == 403, url
        assert model.objects.filter(pk=pk).exists(), url
        listing = client.get(f"/admin/{model._meta.app_label}/{model._meta.model_name}/")
        assert listing.status_code == 200
        assert b"delete_selected" not in listing.content, url


def test_history_delete_page_refuses_the_operator(client, filed, operator):
    event = PersonEvent.objects.get(person=filed.person)
    client.force_login(operator)
    url = f"/admin/people/personevent/{event.pk}/delete/"
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert client.post(
        "/admin/people/personevent/",
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    ).status_code in (200, 302)
    assert PersonEvent.objects.filter(pk=event.pk).exists()


def test_failed_login_counts_stay_deletable_to_unlock(client, rows, operator):
    attempt = AccessAttempt.objects.get()
    client.force_login(operator)
    url = f"/admin/axes/accessattempt/{attempt.pk}/delete/"
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not AccessAttempt.objects.exists()


def test_history_in_the_admin_masks_numbers(client, filed, operator, tree):
    other = tree.people[1]
    PersonEvent.objects.create(
        person=filed.person,
        action="merged",
        changes={"merged_file": [{"doc_number": other.doc_number, "phone": other.phone}, None]},
    )
    client.force_login(operator)
    for event in PersonEvent.objects.filter(person=filed.person):
        page = client.get(f"/admin/people/personevent/{event.pk}/change/").content.decode()
        assert "139****5678" in page or "****" in page
        for number in (PHONE, "13800000000", other.doc_number, other.phone):
            assert number not in page, number
