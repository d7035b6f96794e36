"""Signed passes (P2, Ed25519) and the offline gate's server side (docs/offline.md): key
rotation, every refusal, the zone's offline list and its scope, the batch sync's
idempotence, reconciliation and the fever alert."""

import datetime as dt
import gzip
import json
import uuid
from decimal import Decimal

import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from fangyi.core.policy import PolicyValues
from fangyi.health.models import Alert
from fangyi.passes import keys, offline, scanning, selectors, services, tokens
from fangyi.passes.models import GateCheck, Pass, PassKey
from fangyi.passes.tests import test_api
from fangyi.passes.tests.conftest import NOW
from fangyi.passes.tokens import PassRefused
from fangyi.people.state import refresh as refresh_state
from fangyi.places.models import District
from fangyi.quarantine import services as quarantine

pytestmark = pytest.mark.django_db

# Every API test runs through Django's views and through the served WSGI application.
api = test_api.api


def resolve(token, now=NOW, district="440310"):
    return services.pass_resolve(token=token, district_code=district, now=now)


def refused_code(token, now=NOW, district="440310") -> str:
    with pytest.raises(PassRefused) as info:
        resolve(token, now, district)
    return info.value.code


@pytest.fixture
def issued(tree):
    tree.people[0].verified = True
    tree.people[0].save()
    refresh_state([tree.people[0].pk])
    with time_machine.travel(NOW, tick=False):
        return services.pass_issue(by=None, person=tree.people[0])


# --- tokens and keys -----------------------------------------------------------------------


def test_a_signed_token_verifies_with_the_published_key_alone(issued, tree):
    token = services.pass_token(issued)
    prefix, kid, pass_id, version, issued_at, sig = token.split(".")
    assert (prefix, pass_id, version) == ("P2", str(issued.pk), "1")
    assert int(issued_at) == int(issued.issued_at.timestamp())
    # What a phone does: the public key from /api/passes/keys, the signature over the
    # bytes before the last dot.
    published = {k["kid"]: k for k in keys.public_keys()}[kid]
    assert published["alg"] == "Ed25519" and published["district_code"] == "440310"
    public = Ed25519PublicKey.from_public_bytes(keys.b64url_decode(published["public_key"]))
    public.verify(keys.b64url_decode(sig), token.rsplit(".", 1)[0].encode("ascii"))
    assert resolve(token) == issued
    person = tree.people[0]
    for secret in (person.name, person.doc_number, person.phone, person.doc_number[-4:]):
        assert secret not in token
    # Deterministic: the pass prints the same token every time.
    assert services.pass_token(issued) == token


def test_every_altered_byte_is_refused(issued):
    token = services.pass_token(issued)
    head = len("P2.")
    codes = set()
    for i in range(head, len(token)):
        if token[i] == ".":
            continue
        for char in ("0", "9", "A", "z", "-"):
            if char == token[i]:
                continue
            altered = token[:i] + char + token[i + 1 :]
            codes.add(refused_code(altered))
    # A changed kid names no key; anything else breaks the signature or the format.
    assert codes <= {"altered", "unknown_key", "forged"}
    assert "altered" in codes and "unknown_key" in codes
    assert refused_code(token[:-3]) == "altered"
    assert refused_code(token + "A") == "altered"
    assert refused_code(token.rsplit(".", 1)[0]) == "forged"
    assert GateCheck.objects.count() == 0


def test_an_unknown_kid_is_refused_even_with_a_good_signature(issued):
    """A key pair nobody registered (another deployment, a forger) signs a valid-looking
    token: its kid is unknown here."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    payload = keys.signed_payload(
        kid="440310-9-beef", pass_id=issued.pk, version=1, issued=issued.issued_at
    )
    sig = keys.b64url(Ed25519PrivateKey.generate().sign(payload.encode()))
    assert refused_code(f"{payload}.{sig}") == "unknown_key"
    assert str(tokens.REFUSALS["unknown_key"]) == str(tokens.ERR_UNKNOWN_KEY)


def test_rotation_old_key_verifies_until_its_end_then_is_refused(issued, tree):
    old_token = services.pass_token(issued)
    old_kid = old_token.split(".")[1]
    rotated_at = NOW + dt.timedelta(days=1)
    new_key = keys.key_rotate(district=tree.district, retire_after_days=7, now=rotated_at)
    new_token = keys.sign_token(issued, rotated_at)  # the pass page from then on
    assert new_token.split(".")[1] == new_key.kid != old_kid
    published = {k["kid"] for k in keys.public_keys(now=rotated_at)}
    assert published == {old_kid, new_key.kid}
    # Both verify during the 7 days.
    day_6 = rotated_at + dt.timedelta(days=6)
    assert resolve(old_token, day_6) == issued == resolve(new_token, day_6)
    # After: the old key is refused by name, the new one goes on.
    day_8 = rotated_at + dt.timedelta(days=8)
    assert refused_code(old_token, day_8) == "key_retired"
    assert resolve(new_token, day_8) == issued
    assert {k["kid"] for k in keys.public_keys(now=day_8)} == {new_key.kid}


def test_a_key_before_its_not_before_is_refused_beyond_the_clock_skew(issued, tree):
    """A key made for tomorrow (published ahead, or stolen) verifies nothing checked
    today: the check's time must be past its not_before, less the clocks' error."""
    tomorrow = NOW + dt.timedelta(days=1)
    key = keys.key_rotate(district=tree.district, retire_after_days=None, now=tomorrow)
    token = keys.sign_token(issued, tomorrow)
    assert token.split(".")[1] == key.kid
    assert refused_code(token, NOW) == "not_yet_valid"
    assert refused_code(token, tomorrow - keys.CLOCK_SKEW - dt.timedelta(seconds=1)) == (
        "not_yet_valid"
    )
    assert resolve(token, tomorrow - keys.CLOCK_SKEW + dt.timedelta(seconds=1)) == issued
    assert resolve(token, tomorrow) == issued
    message = str(tokens.REFUSALS["not_yet_valid"])
    assert "时间" in message or "时钟" in message  # said in Chinese, the default


def test_a_token_issued_in_the_future_is_refused(issued):
    later = NOW + dt.timedelta(hours=1)
    Pass.objects.filter(pk=issued.pk).update(issued_at=later)
    issued.refresh_from_db()
    token = services.pass_token(issued)
    assert int(token.split(".")[4]) == int(later.timestamp())
    assert refused_code(token, NOW) == "not_yet_valid"
    assert refused_code(token, later - keys.CLOCK_SKEW - dt.timedelta(seconds=1)) == (
        "not_yet_valid"
    )
    assert resolve(token, later - keys.CLOCK_SKEW + dt.timedelta(seconds=1)) == issued


def test_the_keys_and_the_list_say_the_clock_skew(client, api, guard, gate, issued):
    body = client.get("/api/passes/keys").json()
    assert body["clock_skew_seconds"] == 300 == keys.CLOCK_SKEW.total_seconds()
    assert all(k["not_before"] for k in body["keys"])
    with time_machine.travel(NOW, tick=False):
        listed = api(guard, "get", f"/gates/{gate.pk}/offline-list").json()
    assert listed["clock_skew_seconds"] == 300


def test_a_replaced_version_is_refused(issued):
    token = services.pass_token(issued)
    Pass.objects.filter(pk=issued.pk).update(version=2)  # reprinted under the same id
    assert refused_code(token) == "replaced"
    issued.refresh_from_db()
    assert resolve(services.pass_token(issued)) == issued


def test_a_reissued_pass_counts_its_version_on(issued):
    new = services.pass_reissue(by=None, pass_obj=issued, now=NOW)
    assert (issued.version, new.version) == (1, 2)
    assert refused_code(services.pass_token(issued)) == "replaced"
    assert resolve(services.pass_token(new)) == new


def test_another_district_s_pass_is_refused(issued):
    District.objects.create(name="龙岗区", code="440307")
    assert refused_code(services.pass_token(issued), district="440307") == "other_district"


def test_p1_tokens_printed_before_still_work_online(api, guard, gate, issued):
    p1 = tokens.make_token(district_code="440310", pass_id=issued.pk, key=issued.key)
    with time_machine.travel(NOW, tick=False):
        response = api(
            guard, "post", "/scans", {"gate_id": gate.pk, "token": p1, "temperature": "36.5"}
        )
        assert response.status_code == 201, response.content
        assert response.json()["colour"] == "green"
        signed = services.pass_token(issued)
        response = api(
            guard, "post", "/scans", {"gate_id": gate.pk, "token": signed, "temperature": "36.5"}
        )
    assert response.status_code == 201 and response.json()["colour"] == "green"
    altered = signed[:-2] + ("AA" if signed[-2:] != "AA" else "BB")
    response = api(
        guard, "post", "/scans", {"gate_id": gate.pk, "token": altered, "temperature": "36.5"}
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "altered"


def test_private_keys_are_sealed_with_the_secret_key(issued, settings):
    services.pass_token(issued)
    key = PassKey.objects.get()
    assert len(keys.b64url_decode(key.private_key_sealed)) == 12 + 32 + 16
    keys.forget_keys()
    old_secret = settings.SECRET_KEY
    settings.SECRET_KEY = "another-secret-" + "x" * 40
    with pytest.raises(ValueError):
        keys.unseal(key.private_key_sealed, key.kid)
    settings.SECRET_KEY_FALLBACKS = [old_secret]  # a changed SECRET_KEY keeps the old one
    assert keys.unseal(key.private_key_sealed, key.kid)


def test_passkeys_command_rotates_and_lists(issued, tree, capsys):
    services.pass_token(issued)
    call_command("passkeys", "rotate", "--retire-after", "3")
    out = capsys.readouterr().out
    assert "440310" in out and "signs" in out and "verifies until" in out
    first, second = PassKey.objects.order_by("number")
    assert second.not_after is None and first.not_after is not None
    call_command("passkeys", "list")
    assert first.kid in capsys.readouterr().out
    with pytest.raises(Exception, match="No district has the code 999"):
        call_command("passkeys", "rotate", "--district", "999")


def test_keys_endpoint_needs_no_login_and_holds_no_personal_data(client, issued, tree):
    response = client.get("/api/passes/keys")
    assert response.status_code == 200
    body = response.json()
    assert [k["district_code"] for k in body["keys"]] == ["440310"]
    text = response.content.decode()
    for person in tree.people:
        assert person.name not in text and person.doc_number not in text
    assert "private" not in text


def test_policy_offline_list_age_is_validated():
    assert PolicyValues().offline_list_max_age_minutes == 30
    assert (
        PolicyValues.from_json({"offline_list_max_age_minutes": 10}).offline_list_max_age_minutes
        == 10
    )
    for bad in (0, -5, "30", 2000, True):
        with pytest.raises(ImproperlyConfigured, match="offline_list_max_age_minutes"):
            PolicyValues.from_json({"offline_list_max_age_minutes": bad})


# --- the offline list ----------------------------------------------------------------------


@pytest.fixture
def zone_passes(tree, observation):
    """Passes of zone Z1's people: green, red (home quarantine), yellow (not verified),
    revoked, replaced; and a red of zone Z3 (another zone)."""
    z1 = [p for p in tree.people if p.zone_id == tree.zones[0].pk]
    z3 = [p for p in tree.people if p.zone_id == tree.zones[2].pk]
    for person in (*z1, *z3):
        person.verified = True
        person.save()
    z1[2].verified = False
    z1[2].save()
    refresh_state([p.pk for p in (*z1, *z3)])
    with time_machine.travel(NOW, tick=False):
        made = {
            "green": services.pass_issue(by=None, person=z1[0]),
            "red": services.pass_issue(by=None, person=z1[1]),
            "yellow": services.pass_issue(by=None, person=z1[2]),
            "revoked": services.pass_issue(by=None, person=z1[3]),
            "old": services.pass_issue(by=None, person=z1[4]),
            "other_zone": services.pass_issue(by=None, person=z3[0]),
        }
        made["new"] = services.pass_reissue(by=None, pass_obj=made["old"])
        services.pass_revoke(by=None, pass_obj=made["revoked"], reason="lost phone")
        for person in (z1[1], z3[0]):
            quarantine.case_intake(
                by=None, person=person, reason="close_contact", arrived_at=NOW,
                first_state="home", now=NOW,
            )  # fmt: skip
    return made


def test_the_offline_list_holds_the_zone_s_passes_that_are_not_green(
    api,
    guard,
    gate,
    zone_passes,
    tree,
):
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        response = api(guard, "get", f"/gates/{gate.pk}/offline-list")
    assert response.status_code == 200, response.content
    body = response.json()
    p = {name: str(obj.pk) for name, obj in zone_passes.items()}
    assert body["passes"] == {
        p["red"]: {"v": 1, "c": "red", "r": "quarantine"},
        p["yellow"]: {"v": 1, "c": "yellow", "r": "unverified"},
        p["revoked"]: {"v": 1, "c": "refused", "r": "revoked"},
        p["old"]: {"v": 1, "c": "refused", "r": "replaced"},
    }
    assert p["green"] not in body["passes"] and p["new"] not in body["passes"]
    assert p["other_zone"] not in body["passes"]
    assert (body["gate_id"], body["zone_id"], body["district_code"]) == (
        gate.pk, gate.zone_id, "440310",
    )  # fmt: skip
    assert (body["max_age_minutes"], body["fever_threshold"]) == (30, "37.3")
    assert body["observation_point"]["name"] == "坪山指定观察点"
    assert [k["kid"] for k in body["keys"]] == [k.kid for k in PassKey.objects.all()]
    # No personal data: no name, document number, phone or address of anybody.
    text = response.content.decode()
    for person in tree.people:
        for secret in (person.name, person.doc_number, person.phone, person.doc_number[-6:]):
            assert secret not in text
    # Each listed pass, as the phone reads it, is what the gate says online.
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        for name in ("red", "yellow"):
            online = api(guard, "post", "/scans", {
                "gate_id": gate.pk, "token": services.pass_token(zone_passes[name]),
                "temperature": "36.5",
            }).json()  # fmt: skip
            assert (online["colour"], online["reason"]) == (
                body["passes"][p[name]]["c"], body["passes"][p[name]]["r"],
            )  # fmt: skip


def test_the_offline_list_is_for_the_gate_s_staff_only(
    api,
    tree,
    gate,
    guard,
    other_guard,
    zone_passes,
):
    url = f"/gates/{gate.pk}/offline-list"
    assert api(other_guard, "get", url).status_code == 404  # a guard of another zone
    assert api(tree.users["outsider"], "get", url).status_code == 404
    assert api(tree.users["building"], "get", url).status_code == 404  # not the gate's zone
    assert api(None, "get", url).status_code == 401
    for persona in ("district", "street", "community", "zone"):
        assert api(tree.users[persona], "get", url).status_code == 200, persona
    assert api(guard, "get", "/gates/999999/offline-list").status_code == 404


# --- the batch ---------------------------------------------------------------------------


def _check(pass_obj, *, minutes=10, colour="green", temperature="36.5", **extra):
    return {
        "client_id": str(uuid.uuid4()),
        "token": services.pass_token(pass_obj),
        "temperature": temperature,
        "checked_at": (NOW + dt.timedelta(minutes=minutes)).isoformat(),
        "offline_colour": colour,
        "list_taken_at": NOW.isoformat(),
    } | extra


def test_a_batch_sent_twice_makes_its_rows_once(api, guard, gate, zone_passes):
    batch = {
        "gate_id": gate.pk,
        "checks": [
            _check(zone_passes["green"], minutes=10),
            _check(zone_passes["red"], minutes=11, colour="red"),
            _check(zone_passes["revoked"], minutes=12, colour="refused"),
        ],
    }
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        first = api(guard, "post", "/scans/batch", batch)
        assert first.status_code == 200, first.content
        second = api(guard, "post", "/scans/batch", batch)
    one, two = first.json()["results"], second.json()["results"]
    assert [r["status"] for r in one] == ["created", "created", "refused"]
    assert [r["status"] for r in two] == ["duplicate", "duplicate", "duplicate"]
    assert [r["check_id"] for r in one] == [r["check_id"] for r in two]
    assert None not in [r["check_id"] for r in one]
    assert [(r["colour"], r["reason"], r["differs"]) for r in one] == [
        ("green", "clear", False), ("red", "quarantine", False), ("refused", "revoked", False),
    ]  # fmt: skip
    assert [(r["colour"], r["reason"], r["differs"]) for r in two] == [
        (r["colour"], r["reason"], r["differs"]) for r in one
    ]
    # The revoked pass's check is kept too: somebody stood at the gate, turned away.
    assert GateCheck.objects.count() == 3
    refused = GateCheck.objects.get(pk=one[2]["check_id"])
    assert (refused.colour, refused.reason, refused.decision, refused.offline_colour) == (
        "refused", "revoked", "turned_away", "refused",
    )  # fmt: skip
    assert refused.pass_obj_id == zone_passes["revoked"].pk
    assert str(refused.client_id) == batch["checks"][2]["client_id"]
    green = GateCheck.objects.get(pk=one[0]["check_id"])
    # Recorded as at the check's time, by the guard, marked as made offline.
    assert green.at == NOW + dt.timedelta(minutes=10)
    assert (green.guard, green.offline_colour, green.list_taken_at) == (guard, "green", NOW)
    assert str(green.client_id) == batch["checks"][0]["client_id"]
    assert not Alert.objects.filter(kind="offline_mismatch").exists()


def test_a_person_who_turned_red_after_the_list_is_reconciled(
    api,
    guard,
    gate,
    zone_passes,
    tree,
):
    """The list was taken at NOW with the pass green; the holder became a close contact at
    NOW + 5 min; the phone, offline, let them in green at NOW + 10 min."""
    holder = zone_passes["green"].person
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        quarantine.case_intake(
            by=None, person=holder, reason="close_contact", arrived_at=NOW, first_state="home",
        )  # fmt: skip
    batch = {"gate_id": gate.pk, "checks": [_check(zone_passes["green"], minutes=10)]}
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        result = api(guard, "post", "/scans/batch", batch).json()["results"][0]
        again = api(guard, "post", "/scans/batch", batch).json()["results"][0]
    assert (result["status"], result["colour"], result["differs"]) == ("created", "red", True)
    assert (again["status"], again["differs"]) == ("duplicate", True)
    alert = Alert.objects.get(kind="offline_mismatch")  # one, however often it is sent
    assert (alert.person, alert.gate_check_id, alert.zone_id) == (
        holder, result["check_id"], gate.zone_id,
    )  # fmt: skip
    assert "offline green → red" in alert.detail
    assert str(alert.get_kind_display()) == "离线核验颜色与服务器不同"
    # The duty chain of the zone sees it; the board counts it and shows the line.
    board = api(tree.users["community"], "get", "/gate-board?day=2020-02-20").json()
    assert sum(row["reconciliations"] for row in board) == 1
    from fangyi.passes import selectors

    lines = selectors.reconciliation_lines(tree.users["zone"], day=dt.date(2020, 2, 20))
    assert [line.pk for line in lines] == [result["check_id"]]
    assert selectors.reconciliation_lines(tree.users["outsider"], day=dt.date(2020, 2, 20)) == []


def test_a_pass_revoked_after_the_check_still_admits_it(api, guard, gate, zone_passes):
    green = zone_passes["green"]
    with time_machine.travel(NOW + dt.timedelta(minutes=30), tick=False):
        services.pass_revoke(by=None, pass_obj=green, reason="lost phone")
    batch = {
        "gate_id": gate.pk,
        "checks": [
            _check(green, minutes=20),  # before the revocation: admitted
            _check(green, minutes=40),  # after: refused, and the phone said green
        ],
    }
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        results = api(guard, "post", "/scans/batch", batch).json()["results"]
        api(guard, "post", "/scans/batch", batch)
    assert [(r["status"], r["colour"], r["differs"]) for r in results] == [
        ("created", "green", False), ("refused", "refused", True),
    ]  # fmt: skip
    assert results[1]["reason"] == "revoked"
    # The refused one is a check (the board counts it, with its reconciliation line) and
    # its one alert, though the batch came twice, is keyed on it.
    refused = GateCheck.objects.get(pk=results[1]["check_id"])
    assert (refused.colour, refused.reason, refused.offline_colour) == (
        "refused", "revoked", "green",
    )  # fmt: skip
    assert refused.at == NOW + dt.timedelta(minutes=40)
    alert = Alert.objects.get(kind="offline_mismatch")
    assert (alert.gate_check_id, alert.person) == (refused.pk, green.person)
    assert GateCheck.objects.count() == 2
    board = api(guard.__class__.objects.get(username="c_secretary"), "get",
                "/gate-board?day=2020-02-20").json()  # fmt: skip
    assert sum(row["checks"] for row in board) == 2
    assert sum(row["reconciliations"] for row in board) == 1


def test_a_fever_recorded_offline_raises_the_fever_alert(api, guard, gate, zone_passes):
    batch = {
        "gate_id": gate.pk,
        "checks": [_check(zone_passes["green"], temperature="38.1", colour="yellow")],
    }
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        result = api(guard, "post", "/scans/batch", batch).json()["results"][0]
    assert (result["colour"], result["reason"], result["differs"]) == ("yellow", "fever_now", False)
    check = GateCheck.objects.get(pk=result["check_id"])
    assert check.fever and check.temperature == Decimal("38.1") and check.decision == "held"
    alert = Alert.objects.get(kind="fever")
    assert (alert.gate_check_id, alert.person, alert.date) == (
        check.pk, zone_passes["green"].person, dt.date(2020, 2, 20),
    )  # fmt: skip


def test_batch_refusals_and_bad_checks(api, guard, other_guard, gate, zone_passes):
    good = _check(zone_passes["green"])
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        # Another zone's guard: the gate does not exist for them; nothing recorded.
        response = api(other_guard, "post", "/scans/batch", {"gate_id": gate.pk, "checks": [good]})
        assert response.status_code == 404
        assert GateCheck.objects.count() == 0
        # More than 500: refused whole, naming the field.
        many = {"gate_id": gate.pk, "checks": [good] * 501}
        response = api(guard, "post", "/scans/batch", many)
        assert response.status_code == 422 and "checks" in json.dumps(response.json())
        assert GateCheck.objects.count() == 0
        # Bad items are answered one by one; the good one is recorded.
        batch = {"gate_id": gate.pk, "checks": [
            good,
            _check(zone_passes["green"], temperature="99"),
            _check(zone_passes["green"], colour="blue"),
            _check(zone_passes["green"], minutes=24 * 60),
            good | {"temperature": "36.6"},
            _check(zone_passes["green"], token="garbage"),
        ]}  # fmt: skip
        results = api(guard, "post", "/scans/batch", batch).json()["results"]
    assert [r["status"] for r in results] == [
        "created", "invalid", "invalid", "invalid", "invalid", "refused",
    ]  # fmt: skip
    assert "temperature" in results[1]["reason"] and "offline_colour" in results[2]["reason"]
    assert "checked_at" in results[3]["reason"] and "client_id" in results[4]["reason"]
    assert results[5]["reason"] == "forged"
    assert GateCheck.objects.count() == 1


# --- the decision taken offline ------------------------------------------------------------


def _sync(api, guard, gate, *checks):
    batch = {"gate_id": gate.pk, "checks": list(checks)}
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        first = api(guard, "post", "/scans/batch", batch)
        assert first.status_code == 200, first.content
        again = api(guard, "post", "/scans/batch", batch).json()["results"]
    results = first.json()["results"]
    # Sent twice: the same answers, nothing made twice.
    assert [(r["check_id"], r["differs"]) for r in again] == [
        (r["check_id"], r["differs"]) for r in results
    ]
    return results


def test_the_decision_taken_offline_is_kept_as_the_check_s_decision(api, guard, gate, zone_passes):
    """A guard offline let a yellow in temporarily and turned a refused pass away: the
    checks say so, as a decision taken online would. An old phone that sends no decision
    still works: its check is recorded undecided."""
    results = _sync(
        api, guard, gate,
        _check(zone_passes["yellow"], colour="yellow", offline_decision="temporary"),
        _check(zone_passes["revoked"], minutes=11, colour="refused",
               offline_decision="turned_away"),
        _check(zone_passes["green"], minutes=12, offline_decision="let_in"),
        _check(zone_passes["green"], minutes=13),
    )  # fmt: skip
    assert [(r["status"], r["colour"], r["differs"]) for r in results] == [
        ("created", "yellow", False), ("refused", "refused", False),
        ("created", "green", False), ("created", "green", False),
    ]  # fmt: skip
    checks = [GateCheck.objects.get(pk=r["check_id"]) for r in results]
    assert [c.decision for c in checks] == ["temporary", "turned_away", "let_in", ""]
    assert checks[0].decided_at == checks[0].at == NOW + dt.timedelta(minutes=10)
    assert not Alert.objects.filter(kind="offline_mismatch").exists()


def test_a_person_let_in_who_is_red_for_the_server_is_reconciled_with_the_decision(
    api, guard, gate, zone_passes, tree, observation
):
    """Turned red after the list: the guard let them in green. The check keeps what
    happened (let in), not a decision the red would allow, and nobody is sent anywhere by
    the sync; the alert says what the guard did."""
    holder = zone_passes["green"].person
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        quarantine.case_intake(
            by=None, person=holder, reason="close_contact", arrived_at=NOW, first_state="home",
        )  # fmt: skip
    (result,) = _sync(api, guard, gate, _check(zone_passes["green"], offline_decision="let_in"))
    assert (result["colour"], result["differs"]) == ("red", True)
    check = GateCheck.objects.get(pk=result["check_id"])
    assert (check.colour, check.decision, check.offline_colour) == ("red", "let_in", "green")
    alert = Alert.objects.get(kind="offline_mismatch")
    assert alert.gate_check_id == check.pk and "offline green (let_in) → red" in alert.detail
    assert not Alert.objects.filter(kind="gate_observation").exists()


def test_a_decision_the_server_s_answer_does_not_allow_is_a_mismatch(
    api, guard, gate, zone_passes, tree
):
    """Same colour, other decision: the phone showed yellow and the guard sent the person
    to the health station, but for the server they are yellow as not verified (no
    returnee): the decision differs, so the check is reconciled and alerted; the station
    is not told to expect them."""
    (result,) = _sync(
        api, guard, gate,
        _check(zone_passes["yellow"], colour="yellow", offline_decision="station"),
    )  # fmt: skip
    assert (result["colour"], result["reason"], result["differs"]) == (
        "yellow", "unverified", True,
    )  # fmt: skip
    check = GateCheck.objects.get(pk=result["check_id"])
    assert check.decision == "station" and check.differs_offline
    assert Alert.objects.get(kind="offline_mismatch").gate_check_id == check.pk
    assert not Alert.objects.exclude(kind="offline_mismatch").exists()
    # The board's line and count, as for a colour that differs.
    board = api(tree.users["community"], "get", "/gate-board?day=2020-02-20").json()
    assert sum(row["reconciliations"] for row in board) == 1
    lines = selectors.reconciliation_lines(tree.users["zone"], day=dt.date(2020, 2, 20))
    assert [line.pk for line in lines] == [check.pk]


def test_the_board_s_filter_is_the_decision_rule():
    """choices.decision_allowed_q (the board's filter) allows exactly what decisions_for
    allows, for every colour, fever, reason and decision."""
    from fangyi.passes.choices import CHECK_REASONS, CheckColour, Decision, decisions_for
    from fangyi.passes.choices import decision_allowed_q as allowed_q

    q = allowed_q()

    def matches(row) -> bool:  # evaluate the Q on a dict, as the database would
        def test(node) -> bool:
            results = []
            for child in node.children:
                if isinstance(child, tuple):
                    field, value = child
                    name, _, lookup = field.partition("__")
                    results.append(row[name] in value if lookup == "in" else row[name] == value)
                else:
                    results.append(test(child))
            found = all(results) if node.connector == "AND" else any(results)
            return not found if node.negated else found

        return test(q)

    for colour in CheckColour.values:
        for fever in (False, True):
            for reason, _label in CHECK_REASONS:
                for decision in Decision.values:
                    row = {"colour": colour, "fever": fever, "reason": reason, "decision": decision}
                    expected = decision == "" or decision in decisions_for(colour, fever, reason)
                    assert matches(row) == expected, row


def test_a_red_sent_to_the_observation_point_offline_is_followed_as_online(
    api, guard, gate, zone_passes, observation
):
    (result,) = _sync(
        api, guard, gate, _check(zone_passes["red"], colour="red", offline_decision="observation")
    )
    assert (result["colour"], result["differs"]) == ("red", False)
    check = GateCheck.objects.get(pk=result["check_id"])
    assert check.decision == "observation"
    referral = Alert.objects.get(kind="gate_observation")  # as online: passes.referrals
    assert (referral.gate_check_id, referral.person) == (check.pk, zone_passes["red"].person)


def test_a_decision_the_phone_could_not_offer_is_refused_by_name(api, guard, gate, zone_passes):
    results = _sync(
        api, guard, gate,
        _check(zone_passes["red"], colour="red", offline_decision="let_in"),
        _check(zone_passes["green"], minutes=11, offline_decision="fly"),
        _check(zone_passes["green"], minutes=12, temperature="38.5", colour="yellow",
               offline_decision="let_in"),
    )  # fmt: skip
    assert [r["status"] for r in results] == ["invalid", "invalid", "invalid"]
    for r in results:
        assert r["reason"].startswith("offline_decision: ") and r["check_id"] is None
    # In Chinese, the default: the colour shown and the decisions the page offers.
    assert "红码" in results[0]["reason"] and "转送指定观察点" in results[0]["reason"]
    assert "离线" in results[0]["reason"]
    assert "留观待复核（发热）" in results[2]["reason"]
    assert GateCheck.objects.count() == 0


def test_the_list_size_for_a_zone_stays_small(tree, guard, gate, zone_passes):
    with time_machine.travel(NOW, tick=False):
        body = offline.offline_list(user=guard, gate_id=gate.pk)
    raw = json.dumps(body, ensure_ascii=False).encode()
    assert len(gzip.compress(raw)) < 2000


def test_the_gate_board_page_shows_the_reconciliation_line(
    api, client, guard, gate, zone_passes, tree
):
    holder = zone_passes["green"].person
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        quarantine.case_intake(
            by=None, person=holder, reason="close_contact", arrived_at=NOW, first_state="home",
        )  # fmt: skip
    batch = {"gate_id": gate.pk, "checks": [_check(zone_passes["green"], minutes=10)]}
    with time_machine.travel(NOW + dt.timedelta(hours=1), tick=False):
        assert api(guard, "post", "/scans/batch", batch).status_code == 200
    client.force_login(tree.users["zone"])
    page = client.get("/passes/board/?day=2020-02-20").content.decode()
    assert 'data-testid="reconciliation"' in page
    line = page.split('data-testid="reconciliation">')[1].split("</li>")[0]
    assert f"通行证 {zone_passes['green'].pk}" in line and "离线显示绿" in line
    assert "红" in line and holder.name not in page
    client.force_login(tree.users["outsider"])  # another street's zone: no line
    assert (
        'data-testid="reconciliation"'
        not in client.get("/passes/board/?day=2020-02-20").content.decode()
    )


@pytest.mark.django_db(transaction=True)
def test_the_same_batch_sent_at_once_by_four_requests_makes_its_rows_once(
    tree, guard, gate, observation
):
    """The unique (client id, time) index decides between requests that race: the loser
    answers `duplicate` with the winner's row."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises writers)")
    import threading

    person = tree.people[0]
    person.verified = True
    person.save()
    refresh_state([person.pk])
    pass_obj = services.pass_issue(by=None, person=person)
    now = timezone.now()
    checks = [
        offline.OfflineCheck(
            client_id=uuid.uuid4(),
            token=services.pass_token(pass_obj),
            temperature=t,
            checked_at=now - dt.timedelta(minutes=m),
            offline_colour=c,
            list_taken_at=now,
        )
        for t, m, c in (("36.5", 3, "green"), ("38.2", 2, "yellow"), ("36.6", 1, "red"))
    ]
    # A revoked pass the phone let in: a refused check and its alert, once.
    revoked = services.pass_issue(by=None, person=tree.people[1])
    services.pass_revoke(by=None, pass_obj=revoked, reason="lost phone", now=now)
    checks.append(
        offline.OfflineCheck(
            client_id=uuid.uuid4(),
            token=services.pass_token(revoked),
            temperature="36.4",
            checked_at=now,
            offline_colour="green",
            list_taken_at=now,
        )
    )
    principal = scanning.Principal(guard.pk)
    answers: list[list[dict]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def send():
        try:
            barrier.wait()
            answers.append(offline.scan_batch(principal=principal, gate_id=gate.pk, checks=checks))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert GateCheck.objects.count() == 4
    ids = {tuple(r["check_id"] for r in answer) for answer in answers}
    assert len(ids) == 1 and None not in next(iter(ids))
    for i in range(3):
        assert sorted(a[i]["status"] for a in answers).count("created") == 1
    assert sorted(a[3]["status"] for a in answers).count("refused") == 1
    assert Alert.objects.filter(kind="fever").count() == 1
    # The "red" shown and the revoked pass let in, each once, keyed on its check.
    mismatches = Alert.objects.filter(kind="offline_mismatch")
    assert mismatches.count() == 2
    assert set(mismatches.values_list("gate_check_id", flat=True)) == {
        answers[0][2]["check_id"],
        answers[0][3]["check_id"],
    }
