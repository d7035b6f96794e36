"""Passwords: Django's validators (at least 10 characters, not a common password, not like
the user's name, not all digits), and every member of staff changes their own password
from a page linked in the header."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

from fangyi.conftest import PASSWORD
from fangyi.demo.logins import DEMO_LOGINS, DEMO_PASSWORD

NEW = "Huang-Lou-7-Floor"
PERSONAS = ["district", "street", "community", "zone", "building", "outsider"]


@pytest.mark.parametrize(
    ("password", "says"),
    [
        ("short-pw1", "至少需要 10 个字符"),
        ("qwertyuiop", "太常见"),
        ("20200214123", "只包含数字"),
        ("wangxiaoming2", "太相似"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(db, password, says):
    user = get_user_model()(username="wangxiaoming", first_name="wangxiaoming")
    with pytest.raises(ValidationError) as refused:
        validate_password(password, user)
    assert any(says in message for message in refused.value.messages), refused.value.messages


def test_the_demo_password_passes_the_validators_for_every_demo_login(db):
    # The demo generator stores it without validation; it would pass anyway.
    for username, _role, _place in DEMO_LOGINS:
        validate_password(DEMO_PASSWORD, get_user_model()(username=username))


def test_a_demo_user_logs_in_through_the_login_page(db):
    from django.contrib.auth.hashers import make_password

    # As the demo generator stores it (fangyi/demo/management/commands/demo.py).
    get_user_model().objects.create(
        username="grid", password=make_password(DEMO_PASSWORD, salt="fangyidemo1")
    )
    client = Client()
    response = client.post("/login/", {"username": "grid", "password": DEMO_PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in client.session


def test_the_header_links_to_the_password_page(client, tree):
    client.force_login(tree.users["building"])
    page = client.get("/").content.decode()
    assert 'href="/password/" data-testid="password-change">修改密码</a>' in page


def test_anonymous_is_sent_to_log_in(client, db):
    response = client.get("/password/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/password/"


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_changes_their_own_password(tree, persona):
    user = tree.users[persona]
    client = Client()
    client.force_login(user)
    page = client.get("/password/")
    assert page.status_code == 200 and "<h1>修改密码</h1>" in page.content.decode()
    response = client.post(
        "/password/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302 and response["Location"] == "/password/done/"
    # Still logged in on this device; the new password works, the old one does not.
    done = client.get(response["Location"])
    assert 'data-testid="password-changed"' in done.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW) and not user.check_password(PASSWORD)


def test_a_superuser_without_staff_record_changes_theirs(db):
    admin = get_user_model().objects.create_superuser("root", password=PASSWORD)
    client = Client()
    client.force_login(admin)
    response = client.post(
        "/password/", {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW}
    )
    assert response.status_code == 302
    admin.refresh_from_db()
    assert admin.check_password(NEW)


@pytest.mark.parametrize(
    ("old", "new1", "new2", "field", "says"),
    [
        ("wrong-old-pass", NEW, NEW, "old_password", "旧密码不正确"),
        (PASSWORD, "short-pw1", "short-pw1", "new_password2", "至少需要 10 个字符"),
        (PASSWORD, "1234567890", "1234567890", "new_password2", "只包含数字"),
        (PASSWORD, NEW, NEW + "x", "new_password2", "不一致"),
    ],
)
def test_a_refused_change_says_why_and_changes_nothing(tree, old, new1, new2, field, says):
    user = tree.users["building"]
    client = Client()
    client.force_login(user)
    response = client.post(
        "/password/", {"old_password": old, "new_password1": new1, "new_password2": new2}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert f'data-testid="error-{field}"' in page and says in page
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
