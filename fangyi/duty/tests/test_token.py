"""API tokens: `fangyi token` makes, lists and revokes them; they expire; the API and the
gate-scan fast path refuse an expired or revoked token with its reason; "last used" is
written at most once a minute."""

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from fangyi.duty import services as duty_services
from fangyi.duty.models import ApiToken
from fangyi.duty.services import (
    TOKEN_DAYS,
    TokenRefused,
    api_token_create,
    api_token_principal,
    api_token_revoke,
)
from fangyi.passes.tests.wsgi import served
from fangyi.wsgi import application

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
SCAN = {"gate_id": 1, "token": "P1.x", "temperature": "36.5"}


def make_token(*args) -> str:
    out = StringIO()
    call_command("token", *args, stdout=out)
    return out.getvalue().strip()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def places(client, token: str, language: str | None = None):
    headers = bearer(token)
    if language:
        headers["Accept-Language"] = language
    return client.get("/api/places/", headers=headers)


def test_token_command_prints_a_working_token(client, tree):
    token = make_token("z_property")
    assert token.startswith("fy_")
    # Only a digest is stored, with the first characters to tell tokens apart.
    stored = ApiToken.objects.get()
    assert token not in {stored.digest, stored.prefix} and token.startswith(stored.prefix)
    assert len(stored.prefix) == 11
    response = places(client, token)
    assert response.status_code == 200
    assert response.json() == [
        {"level": "zone", "id": tree.zones[0].pk, "name": tree.zones[0].name}
    ]
    assert ApiToken.objects.get().last_used_at is not None


def test_token_for_unknown_user_fails(db):
    with pytest.raises(CommandError, match="nobody"):
        call_command("token", "nobody")


def test_token_of_deactivated_user_stops_working(client, tree):
    token = make_token("z_property")
    user = tree.users["zone"]
    user.is_active = False
    user.save()
    response = places(client, token)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


@time_machine.travel(T0, tick=False)
def test_a_token_expires_after_the_days_asked_for(client, tree):
    token = make_token("z_property", "--expires", "7")
    assert ApiToken.objects.get().expires_at == T0 + dt.timedelta(days=7)
    with time_machine.travel(T0 + dt.timedelta(days=7, seconds=-1), tick=False):
        assert places(client, token).status_code == 200
    with time_machine.travel(T0 + dt.timedelta(days=7), tick=False):
        refused = places(client, token)
        english = places(client, token, "en")
    assert refused.status_code == 401
    error = refused.json()["error"]
    # 2026-03-08 17:00 in Asia/Shanghai; the code is the same in every language.
    assert error["code"] == english.json()["error"]["code"] == "token_expired"
    assert "过期" in error["message"] and "2026" in error["message"]
    assert "expired on" in english.json()["error"]["message"]


@time_machine.travel(T0, tick=False)
def test_without_expires_a_token_lives_the_default_days(tree):
    make_token("z_property")
    assert ApiToken.objects.get().expires_at == T0 + dt.timedelta(days=TOKEN_DAYS)


@pytest.mark.parametrize("days", ["0", "-3", "367"])
def test_expires_out_of_range_is_refused_and_nothing_saved(tree, days):
    with pytest.raises(CommandError, match="366"):
        call_command("token", "z_property", "--expires", days)
    assert not ApiToken.objects.exists()


def test_revoke_by_prefix_refuses_that_token_only(client, tree):
    first = make_token("z_property")
    second = make_token("z_property")
    out = make_token("--revoke", first[:11])
    assert "Revoked" in out and first[:11] in out
    refused = places(client, first)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "token_revoked"
    assert "撤销" in refused.json()["error"]["message"]
    assert places(client, second).status_code == 200


def test_revoke_by_the_whole_token_and_twice(client, tree):
    token = make_token("z_property")
    revoked = api_token_revoke(prefix=token)
    first_time = revoked.revoked_at
    assert api_token_revoke(prefix=token).revoked_at == first_time
    assert places(client, token).json()["error"]["code"] == "token_revoked"


def test_revoke_every_token_of_a_user(client, tree):
    mine = [make_token("z_property") for _ in range(2)]
    other = make_token("b_grid")
    assert "Revoked 2" in make_token("z_property", "--revoke")
    for token in mine:
        assert places(client, token).json()["error"]["code"] == "token_revoked"
    assert places(client, other).status_code == 200


def test_revoke_unknown_or_ambiguous_prefix_is_refused(tree):
    a, b = make_token("z_property"), make_token("z_property")
    with pytest.raises(CommandError):
        call_command("token", "--revoke", "fy_nothing0")
    # "fy_" alone matches every token: refused, nothing revoked.
    with pytest.raises(ValidationError):
        api_token_revoke(prefix="fy_")
    common = "fy_"
    for length in range(4, 12):
        if a[:length] != b[:length]:
            break
        common = a[:length]
    if len(common) > 3:
        with pytest.raises(ValidationError, match="2"):
            api_token_revoke(prefix=common)
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()


def test_revoke_needs_a_prefix_or_a_user(tree):
    with pytest.raises(CommandError):
        call_command("token", "--revoke")
    with pytest.raises(CommandError):
        call_command("token")


@time_machine.travel(T0, tick=False)
def test_list_shows_prefix_user_and_state(tree):
    works = make_token("z_property", "--label", "east gate")
    revoked = make_token("b_grid")
    make_token("--revoke", revoked[:11])
    expiring = make_token("b_grid", "--expires", "1")
    with time_machine.travel(T0 + dt.timedelta(days=2), tick=False):
        listing = make_token("--list")
        only_grid = make_token("b_grid", "--list")
    lines = {line.split("\t")[0]: line.split("\t") for line in listing.splitlines()[1:]}
    assert lines[works[:11] + "…"][1:3] == ["z_property", "east gate"]
    assert lines[works[:11] + "…"][-1] == "works"
    assert lines[revoked[:11] + "…"][-1] == "revoked"
    assert lines[expiring[:11] + "…"][-1] == "expired"
    assert works[:11] not in only_grid and revoked[:11] in only_grid
    # The token itself is never shown again.
    assert works not in listing


def test_the_scan_fast_path_refuses_expired_and_revoked_tokens(tree):
    user = tree.users["zone"]
    with time_machine.travel(T0, tick=False):
        expired = api_token_create(user=user, days=1)
        revoked = api_token_create(user=user)
    api_token_revoke(prefix=revoked)
    for token, code in ((expired, "token_expired"), (revoked, "token_revoked")):
        answer = served(application, "post", "/api/scans", SCAN, bearer(token))
        assert answer.status_code == 401
        assert answer.json()["error"]["code"] == code
    unknown = served(application, "post", "/api/scans", SCAN, bearer("fy_forged"))
    assert unknown.status_code == 401
    assert unknown.json()["error"]["code"] == "unauthenticated"


def test_last_used_is_written_at_most_once_a_minute(tree, monkeypatch):
    user = tree.users["zone"]
    with time_machine.travel(T0, tick=False):
        token = api_token_create(user=user)
    # Plain SQL (core.sql.run) is not in connection.queries: count the statements run.
    statements: list[str] = []
    real_run = duty_services.run

    def counting_run(sql, params=()):
        statements.append(sql)
        return real_run(sql, params)

    monkeypatch.setattr(duty_services, "run", counting_run)

    def use(at):
        statements.clear()
        with time_machine.travel(at, tick=False):
            assert api_token_principal(token) == (user.pk, False)
        return sum(sql.startswith("UPDATE") for sql in statements)

    assert use(T0) == 1
    assert use(T0 + dt.timedelta(seconds=30)) == 0
    assert use(T0 + dt.timedelta(seconds=59)) == 0
    assert ApiToken.objects.get().last_used_at == T0
    assert use(T0 + dt.timedelta(seconds=61)) == 1
    assert ApiToken.objects.get().last_used_at == T0 + dt.timedelta(seconds=61)


def test_a_refused_token_is_not_marked_used(tree):
    token = api_token_create(user=tree.users["zone"])
    api_token_revoke(prefix=token)
    with pytest.raises(TokenRefused):
        api_token_principal(token)
    assert ApiToken.objects.get().last_used_at is None


def test_tokens_made_before_expiry_existed_work_until_revoked(client, tree):
    token = api_token_create(user=tree.users["zone"])
    ApiToken.objects.update(expires_at=None, prefix="")
    with time_machine.travel(timezone.now() + dt.timedelta(days=3650)):
        assert places(client, token).status_code == 200
    assert "(old)" in make_token("--list")
