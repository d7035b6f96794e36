"""Tokens and codes: every refusal with its exact reason, and nothing recorded."""

import datetime as dt

import pytest
import time_machine
from django.core import signing

from fangyi.passes import services, tokens
from fangyi.passes.models import GateCheck
from fangyi.passes.tests.conftest import NOW
from fangyi.passes.tokens import PassRefused
from fangyi.places.models import District


@pytest.fixture
def issued(tree):
    tree.people[0].verified = True
    tree.people[0].save()
    with time_machine.travel(NOW, tick=False):
        return services.pass_issue(by=None, person=tree.people[0])


def refused(message, **kwargs):
    with pytest.raises(PassRefused) as info:
        services.pass_resolve(district_code="440310", now=NOW, **kwargs)
    assert info.value.message == message
    return info.value


def test_a_good_token_and_its_code_resolve_to_the_pass(issued):
    token = services.pass_token(issued)
    assert services.pass_resolve(token=token, district_code="440310", now=NOW) == issued
    typed = tokens.format_code(issued.code).lower().replace("-", " ")
    assert services.pass_resolve(code=typed, district_code="440310", now=NOW) == issued


def test_the_token_holds_no_personal_data(issued, tree):
    token = services.pass_token(issued)
    person = tree.people[0]
    for secret in (person.name, person.doc_number, person.phone, person.doc_number[-4:]):
        assert secret not in token


def test_forged_token(issued):
    error = refused(tokens.ERR_FORGED, token="https://example.com/not-a-pass")
    assert error.code == "forged"
    # A token signed with another secret (another deployment, a forger) is refused too.
    other = signing.Signer(key="x" * 50, salt=tokens.SALT).sign(f"P1.440310.{issued.pk}.abc")
    assert refused(tokens.ERR_ALTERED, token=other).code == "altered"


def p1_token(pass_obj) -> str:
    """The HMAC token a pass printed before signed tokens (still accepted online)."""
    return tokens.make_token(district_code="440310", pass_id=pass_obj.pk, key=pass_obj.key)


def test_altered_token(issued):
    token = p1_token(issued)
    value, signature = token.split(":")
    bumped = value.replace(f".{issued.pk}.", f".{issued.pk + 1}.")
    refused(tokens.ERR_ALTERED, token=f"{bumped}:{signature}")
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    refused(tokens.ERR_ALTERED, token=flipped)


def test_truncated_token(issued):
    token = p1_token(issued)
    refused(tokens.ERR_ALTERED, token=token[:-5])
    refused(tokens.ERR_FORGED, token=token.split(":")[0])


def test_revoked_token_and_code(issued, tree):
    revoked = services.pass_revoke(
        by=tree.users["zone"], pass_obj=issued, reason="lost phone", now=NOW
    )
    assert (revoked.revoked_by, revoked.revoke_reason) == (tree.users["zone"], "lost phone")
    assert refused(tokens.ERR_REVOKED, token=services.pass_token(issued)).code == "revoked"
    refused(tokens.ERR_REVOKED, code=issued.code)


def test_reissued_pass_refuses_the_old_one(issued):
    new = services.pass_reissue(by=None, pass_obj=issued, now=NOW)
    refused(tokens.ERR_REPLACED, token=services.pass_token(issued))
    assert (
        services.pass_resolve(token=services.pass_token(new), district_code="440310", now=NOW)
        == new
    )
    assert new.code != issued.code and new.link_key != issued.link_key


def test_expired(issued):
    later = issued.expires_at + dt.timedelta(seconds=1)
    with pytest.raises(PassRefused) as info:
        services.pass_resolve(token=services.pass_token(issued), district_code="440310", now=later)
    assert info.value.message == tokens.ERR_EXPIRED
    assert issued.expires_at - issued.issued_at == dt.timedelta(days=30)


def test_other_district(issued):
    District.objects.create(name="龙岗区", code="440307")
    other = services.pass_resolve
    with pytest.raises(PassRefused) as info:
        other(token=services.pass_token(issued), district_code="440307", now=NOW)
    assert info.value.message == tokens.ERR_OTHER_DISTRICT
    assert info.value.code == "other_district"
    with pytest.raises(PassRefused) as info:
        other(code=issued.code, district_code="440307", now=NOW)
    assert info.value.message == tokens.ERR_OTHER_DISTRICT


def test_mistyped_and_unknown_codes(issued):
    code = issued.code
    wrong = ("0" if code[0] != "0" else "1") + code[1:]
    refused(tokens.ERR_CODE_CHECK, code=wrong)
    refused(tokens.ERR_UNKNOWN, code="ABC")
    body = "ZZZZZZZZZZ" if not code.startswith("ZZZZ") else "YYYYYYYYYY"
    refused(tokens.ERR_UNKNOWN, code=body + tokens.check_char(body))


def test_lookalike_letters_are_read_as_digits():
    body = "1000000000"
    code = body + tokens.check_char(body)
    assert tokens.normalise_code("I000-O000-00" + code[-1].lower()) == code
    assert tokens.normalise_code("l000 0000 00" + code[-1]) == code


def test_every_single_character_typo_is_caught():
    body = "K7QM4RT9XP"
    for i in range(len(body)):
        for char in tokens.ALPHABET:
            if char != body[i]:
                typo = body[:i] + char + body[i + 1 :]
                assert tokens.check_char(typo) != tokens.check_char(body)


def test_a_refused_real_pass_is_kept_as_a_refused_check(issued, gate, guard, tree):
    """A person stood at the gate with a pass that no longer admits: the check is kept
    (colour refused, the refusal as reason, turned away), so the board counts it; a token
    that is no pass of this system keeps nothing."""
    from fangyi.health.models import Alert
    from fangyi.passes import selectors

    token = services.pass_token(issued)
    services.pass_revoke(by=None, pass_obj=issued, reason="lost", now=NOW)
    with time_machine.travel(NOW, tick=False):
        with pytest.raises(PassRefused) as info:
            services.gate_check_record(by=guard, gate=gate, token=token, temperature="36.5")
        assert info.value.code == "revoked"
        # The signature's end changed (never to itself: a signature ending in "AA", one in
        # 256, made this "forgery" the genuine token and a third row).
        altered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
        for forged in ("garbage", altered):
            with pytest.raises(PassRefused):
                services.gate_check_record(by=guard, gate=gate, token=forged, temperature="36.5")
        # The typed code of the same pass, with a fever: held, and the zone's doctor told.
        with pytest.raises(PassRefused):
            services.gate_check_record(by=guard, gate=gate, code=issued.code, temperature="38.4")
    first, second = GateCheck.objects.order_by("id")
    assert info.value.check_id == first.pk
    assert (first.colour, first.reason, first.decision, first.fever) == (
        "refused", "revoked", "turned_away", False,
    )  # fmt: skip
    assert (first.pass_obj_id, first.person_id, first.guard, first.method) == (
        issued.pk, issued.person_id, guard, "scan",
    )  # fmt: skip
    assert (second.method, second.fever, second.decision) == ("code", True, "held")
    assert Alert.objects.get(kind="fever").gate_check_id == second.pk
    assert (str(first.get_colour_display()), str(first.get_reason_display())) == (
        "拒绝", "通行证已作废",
    )  # fmt: skip
    board = selectors.gate_board(tree.users["district"], day=NOW.date())
    assert sum(row["checks"] for row in board) == 2
    assert sum(row["reds"] + row["yellows"] for row in board) == 0


@pytest.mark.parametrize("code", ["replaced", "rejected", "expired", "other_district"])
def test_every_refusal_of_a_real_pass_is_kept(issued, gate, guard, tree, code):
    from fangyi.passes.models import Pass

    if code == "replaced":
        services.pass_reissue(by=None, pass_obj=issued, now=NOW)
    elif code == "rejected":
        Pass.objects.filter(pk=issued.pk).update(
            revoked_at=NOW, revoke_reason=services.REJECTED_REVOKE_REASON
        )
    elif code == "expired":
        Pass.objects.filter(pk=issued.pk).update(expires_at=NOW - dt.timedelta(minutes=1))
    else:
        other = District.objects.create(name="龙岗区", code="440307")
        Pass.objects.filter(pk=issued.pk).update(district=other)
    with time_machine.travel(NOW, tick=False), pytest.raises(PassRefused) as info:
        services.gate_check_record(by=guard, gate=gate, code=issued.code, temperature="36.5")
    assert info.value.code == code
    check = GateCheck.objects.get()
    assert (check.colour, check.reason, check.pass_obj_id) == ("refused", code, issued.pk)
