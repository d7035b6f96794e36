"""Login lockout (django-axes): after repeated failed logins an account, and separately a
client address, is paused for a while; the user gets a page saying so in their language.
Logins without a request (the test client's login(), force_login) are untouched."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from fangyi.conftest import PASSWORD

ACCOUNT_LIMIT = settings.AXES_FAILURE_LIMIT
ADDRESS_LIMIT = settings.LOGIN_FAILURES_PER_ADDRESS
T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)


def log_in(username, password, address="10.1.1.1", path="/login/", language=None):
    client = Client(REMOTE_ADDR=address)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.post(path, {"username": username, "password": password})
    return client, response


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail(username, times, address="10.1.1.1"):
    for _ in range(times):
        _client, response = log_in(username, "wrong-password", address)
        assert response.status_code in (200, 429)


def test_the_limits_are_what_the_readme_says():
    assert (ACCOUNT_LIMIT, ADDRESS_LIMIT) == (5, 20)
    assert dt.timedelta(minutes=15) == settings.AXES_COOLOFF_TIME


def test_a_few_failures_do_not_lock(tree):
    fail("b_grid", ACCOUNT_LIMIT - 1)
    client, response = log_in("b_grid", PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_an_account_is_locked_after_repeated_failures_with_a_chinese_page(tree):
    fail("b_grid", ACCOUNT_LIMIT)
    client, response = log_in("b_grid", PASSWORD)
    assert response.status_code == 429
    assert not logged_in(client)
    page = response.content.decode()
    assert 'data-testid="locked-out"' in page
    assert "暂停登录" in page and "15 分钟" in page
    assert 'href="/login/"' in page


def test_the_lockout_page_in_english(tree):
    fail("b_grid", ACCOUNT_LIMIT)
    _client, response = log_in("b_grid", PASSWORD, language="en")
    assert response.status_code == 429
    assert "logging in is paused for 15 minutes" in response.content.decode()


def test_an_account_is_locked_whatever_address_the_failures_come_from(tree):
    for n in range(ACCOUNT_LIMIT):
        fail("b_grid", 1, address=f"10.2.0.{n}")
    client, response = log_in("b_grid", PASSWORD, address="10.9.9.9")
    assert response.status_code == 429 and not logged_in(client)
    # Other accounts from those addresses are not affected.
    client, response = log_in("z_property", PASSWORD, address="10.2.0.1")
    assert response.status_code == 302 and logged_in(client)


def test_an_address_is_locked_after_many_failures_on_several_accounts(tree):
    # Each account stays under its own limit, but the address reaches its limit.
    names = ["d_leader", "s_cadre", "c_secretary", "z_property", "outsider"]
    per_name = ADDRESS_LIMIT // len(names)
    assert per_name < ACCOUNT_LIMIT
    for name in names:
        fail(name, per_name, address="10.3.3.3")
    client, response = log_in("b_grid", PASSWORD, address="10.3.3.3")
    assert response.status_code == 429 and not logged_in(client)
    # The same person from another address logs in.
    client, response = log_in("b_grid", PASSWORD, address="10.4.4.4")
    assert response.status_code == 302 and logged_in(client)


def test_an_address_under_its_limit_is_not_locked(tree):
    for name in ["d_leader", "s_cadre", "c_secretary", "z_property"]:
        fail(name, ACCOUNT_LIMIT - 1, address="10.3.3.4")
    assert 4 * (ACCOUNT_LIMIT - 1) < ADDRESS_LIMIT
    client, response = log_in("b_grid", PASSWORD, address="10.3.3.4")
    assert response.status_code == 302 and logged_in(client)


def test_the_lock_ends_after_the_cool_off(tree):
    with time_machine.travel(T0, tick=False):
        fail("b_grid", ACCOUNT_LIMIT)
    with time_machine.travel(T0 + dt.timedelta(minutes=14), tick=False):
        _client, response = log_in("b_grid", PASSWORD)
        assert response.status_code == 429
    # A try during the lock starts the wait again (minute 14 + 15).
    with time_machine.travel(T0 + dt.timedelta(minutes=29, seconds=1), tick=False):
        client, response = log_in("b_grid", PASSWORD)
        assert response.status_code == 302 and logged_in(client)


def test_the_admin_login_is_locked_too(tree):
    admin = get_user_model().objects.create_superuser("root", password=PASSWORD)
    for _ in range(ACCOUNT_LIMIT):
        log_in(admin.username, "wrong-password", path="/admin/login/")
    client, response = log_in(admin.username, PASSWORD, path="/admin/login/")
    assert response.status_code == 429 and not logged_in(client)


def test_the_operator_can_unlock_an_account(tree):
    from django.core.management import call_command

    fail("b_grid", ACCOUNT_LIMIT)
    call_command("axes_reset_username", "b_grid")
    client, response = log_in("b_grid", PASSWORD)
    assert response.status_code == 302 and logged_in(client)


def test_logins_without_a_request_still_work(client, tree):
    # The suite's own logins: the test client's login() and force_login().
    assert client.login(username="b_grid", password=PASSWORD)
    assert client.get("/").status_code == 200
    assert not client.login(username="b_grid", password="wrong-password")
    other = Client()
    other.force_login(tree.users["zone"])
    assert other.get("/").status_code == 200


@pytest.mark.parametrize("wrong", ["", "x" * 200])
def test_a_failed_login_shows_the_form_again(tree, wrong):
    _client, response = log_in("b_grid", wrong or "nope")
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


def via_proxy(username, password, forwarded, proxy="127.0.0.1"):
    client = Client(REMOTE_ADDR=proxy)
    response = client.post(
        "/login/", {"username": username, "password": password}, HTTP_X_FORWARDED_FOR=forwarded
    )
    return client, response


def test_behind_a_trusted_proxy_each_client_is_counted_by_its_own_address(tree, settings):
    settings.TRUSTED_PROXIES = frozenset({"127.0.0.1"})
    names = ["d_leader", "s_cadre", "c_secretary", "z_property", "outsider"]
    for name in names:
        for _ in range(ADDRESS_LIMIT // len(names)):
            via_proxy(name, "wrong-password", "203.0.113.7")
    # The attacker's address is paused; a colleague behind the same proxy is not.
    _client, response = via_proxy("b_grid", PASSWORD, "203.0.113.7")
    assert response.status_code == 429
    client, response = via_proxy("b_grid", PASSWORD, "198.51.100.2")
    assert response.status_code == 302 and logged_in(client)


def test_an_address_a_client_writes_itself_is_not_believed(tree, settings):
    settings.TRUSTED_PROXIES = frozenset({"127.0.0.1"})
    names = ["d_leader", "s_cadre", "c_secretary", "z_property", "outsider"]
    for n, name in enumerate(names):
        for m in range(ADDRESS_LIMIT // len(names)):
            # A forged first hop changes every time; the proxy appends the real one.
            via_proxy(name, "wrong-password", f"10.9.{n}.{m}, 203.0.113.7")
    _client, response = via_proxy("b_grid", PASSWORD, "1.2.3.4, 203.0.113.7")
    assert response.status_code == 429
    # Without a trusted proxy, X-Forwarded-For is ignored altogether.
    settings.TRUSTED_PROXIES = frozenset()
    for _ in range(ADDRESS_LIMIT):
        _c, response = via_proxy("nobody", "wrong-password", "203.0.113.99", proxy="10.5.5.5")
    _client, response = via_proxy("b_grid", PASSWORD, "203.0.113.100", proxy="10.5.5.5")
    assert response.status_code == 429
