"""The operators' admin renders every model's list and never shows raw ID numbers."""

import pytest
from django.contrib import admin


@pytest.fixture
def operator(client, tree, django_user_model):
    django_user_model.objects.create_superuser("op", password="op-pass-123")
    client.login(username="op", password="op-pass-123")
    return client


def test_every_changelist_renders(operator, tree):
    for model in admin.site._registry:
        if model._meta.app_label in {"places", "people", "duty", "audit"}:
            url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
            assert operator.get(url).status_code == 200, url


def test_person_admin_masks_numbers(operator, tree):
    person = tree.people[0]
    for url in ("/admin/people/person/", f"/admin/people/person/{person.pk}/change/"):
        page = operator.get(url).content.decode()
        assert person.doc_number not in page and person.phone not in page, url


def test_non_operator_cannot_use_admin(client, tree):
    client.login(username="d_leader", password="test-pass-123")
    response = client.get("/admin/people/person/")
    assert response.status_code == 302
