"""GET /api/offline/key: the key that seals the offline pages' store (docs/offline.md)."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from fangyi.conftest import PASSWORD
from fangyi.duty.services import api_token_create

URL = "/api/offline/key"

pytestmark = pytest.mark.django_db


def _login(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password=PASSWORD)
    return client


def _raw(key: str) -> bytes:
    return base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))


def test_anonymous_gets_401_and_no_key():
    response = Client().get(URL)
    assert response.status_code == 401
    assert "key" not in response.json()


def test_a_logged_in_user_gets_a_key_never_cached(tree):
    user = tree.users["building"]
    response = _login("b_grid").get(URL)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert len(_raw(body["key"])) == 32
    assert body["user_id"] == user.pk and body["kid"]
    # The session's expiry: the store's data is kept no longer than the login.
    expires = dt.datetime.fromisoformat(body["expires_at"])
    assert timezone.now() < expires <= timezone.now() + dt.timedelta(weeks=2, minutes=1)


def test_the_same_user_gets_the_same_key_in_a_new_login_another_user_another_key(tree):
    first = _login("b_grid").get(URL).json()
    again = _login("b_grid").get(URL).json()  # a new session, as after an expiry
    other = _login("c_secretary").get(URL).json()
    assert (again["key"], again["kid"]) == (first["key"], first["kid"])
    assert other["key"] != first["key"] and other["kid"] != first["kid"]


def test_a_password_change_changes_the_key(tree):
    before = _login("b_grid").get(URL).json()
    user = get_user_model().objects.get(username="b_grid")
    user.set_password("another-pass-456")
    user.save()
    client = Client()
    assert client.login(username="b_grid", password="another-pass-456")
    after = client.get(URL).json()
    assert after["key"] != before["key"] and after["kid"] != before["kid"]


def test_the_key_is_not_kept_in_the_session(tree):
    client = _login("b_grid")
    key = client.get(URL).json()["key"]
    sessions = [str(s.get_decoded()) for s in Session.objects.all()]
    assert sessions and not any(key in s for s in sessions)  # derived when asked


def test_a_bearer_token_gets_the_same_users_key(tree):
    user = tree.users["building"]
    token = api_token_create(user=user)
    by_token = Client().get(URL, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert by_token.status_code == 200
    assert by_token.json()["key"] == _login("b_grid").get(URL).json()["key"]
