"""Pass pages: every view for allowed, outsider (404), anonymous (login) and wrong method."""

import pytest
import time_machine
from django.urls import reverse

from fangyi.conftest import PASSWORD, make_id_number
from fangyi.core.documents import pdf_text
from fangyi.passes import ratelimit, services
from fangyi.passes.models import GateCheck, Pass, PassApplication
from fangyi.passes.tests.conftest import NOW
from fangyi.passes.tokens import check_char

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(tree):
    return services.application_submit(
        values={
            "name": "王小明",
            "doc_number": make_id_number(901),
            "phone": "13912345678",
            "dwelling_id": tree.dwellings[0].pk,
        }
    )


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_apply_page_and_submit(client, tree):
    assert client.get(reverse("passes:apply")).status_code == 200
    page = client.get(
        reverse("passes:apply"), {"zone": tree.zones[0].pk, "building": tree.buildings[0].pk}
    )
    assert tree.dwellings[0].room in page.content.decode()
    response = client.post(
        reverse("passes:apply"),
        {
            "name": "王小明",
            "doc_type": "id_card",
            "doc_number": make_id_number(901),
            "phone": "13912345678",
            "dwelling": tree.dwellings[0].pk,
        },
    )
    pass_obj = Pass.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("passes:pass", args=[pass_obj.link_key])
    assert client.put(reverse("passes:apply")).status_code == 405


def test_apply_errors_are_shown_and_nothing_saved(client, tree):
    response = client.post(reverse("passes:apply"), {"name": "", "doc_number": "1", "phone": "2"})
    assert response.status_code == 422
    assert 'data-testid="error-name"' in response.content.decode()
    assert PassApplication.objects.count() == 0


def test_apply_is_rate_limited_per_address(client, tree, monkeypatch):
    monkeypatch.setattr(ratelimit, "APPLY_LIMIT", 2)
    for _ in range(2):
        assert client.post(reverse("passes:apply"), {"name": ""}).status_code == 422
    assert client.post(reverse("passes:apply"), {"name": ""}).status_code == 429
    other = client.post(reverse("passes:apply"), {"name": ""}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 422


def test_pass_page_shows_only_its_own_pass(client, pending, green_pass):
    url = reverse("passes:pass", args=[pending.pass_obj.link_key])
    page = client.get(url).content.decode()
    assert 'data-colour="pending"' in page and "<svg" in page
    assert "王*明" in page and "王小明" not in page
    assert green_pass.person.name not in page and green_pass.code not in page
    assert pending.application.doc_number not in page and "13912345678" not in page
    assert client.get(reverse("passes:pass", args=["nope"])).status_code == 404
    assert client.post(url).status_code == 405
    status = client.get(reverse("passes:pass_status", args=[pending.pass_obj.link_key]))
    assert 'hx-trigger="every 15s"' in status.content.decode()


def test_rejected_application_shows_the_reason(client, pending, tree):
    services.application_reject(
        by=tree.users["building"], application=pending.application, reason="房号不符"
    )
    page = client.get(reverse("passes:pass", args=[pending.pass_obj.link_key])).content.decode()
    assert 'data-colour="rejected"' in page and "房号不符" in page and "<svg" not in page


def test_paper_pass_pdf(client, green_pass):
    response = client.get(reverse("passes:pass_pdf", args=[green_pass.link_key]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert green_pass.code[:4] in text and green_pass.person.name not in text


# --- guards -----------------------------------------------------------------------------


def test_gate_pages_need_a_login(client, gate):
    for url in (
        reverse("passes:gates"),
        reverse("passes:gate", args=[gate.pk]),
        reverse("passes:queue"),
        reverse("passes:board"),
        reverse("passes:fevers"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
    response = client.post(reverse("passes:check", args=[gate.pk]), {})
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_guard_checks_only_at_their_gate(client, guard, gate, tree, green_pass):
    login(client, guard)
    assert client.get(reverse("passes:gates")).status_code == 302  # the one gate
    assert client.get(reverse("passes:gate", args=[gate.pk])).status_code == 200
    other_gate = tree.zones[1].gates.get()
    assert client.get(reverse("passes:gate", args=[other_gate.pk])).status_code == 404
    response = client.post(
        reverse("passes:check", args=[other_gate.pk]),
        {"code": green_pass.code, "temperature": "36.5"},
    )
    assert response.status_code == 404 and GateCheck.objects.count() == 0
    assert client.get(reverse("passes:check", args=[gate.pk])).status_code == 405


def test_check_shows_full_screen_colour_and_records_the_decision(client, guard, gate, green_pass):
    login(client, guard)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            reverse("passes:check", args=[gate.pk]),
            {"code": green_pass.code, "temperature": "36.5"},
        )
    page = response.content.decode()
    assert 'data-colour="green"' in page and "居*1" in page and "decide-let_in" in page
    check = GateCheck.objects.get()
    response = client.post(reverse("passes:decide", args=[check.pk]), {"decision": "let_in"})
    assert response.status_code == 302
    check.refresh_from_db()
    assert check.decision == "let_in"


def test_refused_code_is_shown_with_its_reason(client, guard, gate, green_pass):
    services.pass_revoke(by=None, pass_obj=green_pass, reason="lost")
    login(client, guard)
    response = client.post(
        reverse("passes:check", args=[gate.pk]), {"code": green_pass.code, "temperature": "36.5"}
    )
    assert response.status_code == 422 and 'data-code="revoked"' in response.content.decode()


@pytest.mark.parametrize("slip", ["check_character", "missing_character", "unknown_code"])
def test_a_mistyped_code_looks_like_a_typo_not_a_red_screen(client, guard, gate, green_pass, slip):
    code = green_pass.code
    typed = {
        "check_character": code[:-1] + ("2" if code[-1] != "2" else "3"),
        "missing_character": code[:-2],
        "unknown_code": "0000000000" + check_char("0000000000"),
    }[slip]
    login(client, guard)
    response = client.post(
        reverse("passes:check", args=[gate.pk]), {"code": typed, "temperature": "36.5"}
    )
    page = response.content.decode()
    assert response.status_code == 422
    assert 'data-testid="typo"' in page and "无法识别" in page
    assert 'data-testid="refused"' not in page and "fullscreen" not in page
    assert "请按访客登记" not in page and "无效通行证" not in page
    assert f'value="{typed}"' in page  # kept, to correct
    assert GateCheck.objects.count() == 0


def test_a_forged_token_keeps_its_refusal(client, guard, gate, green_pass):
    login(client, guard)
    token = services.pass_token(green_pass)[:-2] + "xx"
    response = client.post(
        reverse("passes:check", args=[gate.pk]), {"token": token, "temperature": "36.5"}
    )
    page = response.content.decode()
    assert response.status_code == 422 and 'data-code="altered"' in page
    assert 'data-testid="typo"' not in page


def test_other_guard_cannot_decide_my_check(client, guard, other_guard, gate, green_pass):
    result = services.gate_check_record(
        by=guard, gate=gate, code=green_pass.code, temperature="36.5"
    )
    login(client, other_guard)
    response = client.post(reverse("passes:decide", args=[result.check.pk]), {"decision": "let_in"})
    assert response.status_code == 404


def test_visitor_form(client, guard, gate):
    login(client, guard)
    response = client.post(
        reverse("passes:visitor", args=[gate.pk]), {"visitor_name": "张三", "temperature": "36.6"}
    )
    assert 'data-colour="yellow"' in response.content.decode()
    assert GateCheck.objects.get().visitor_name == "张三"


# --- queue, person passes, board, fevers --------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "sees"),
    [("building", True), ("zone", True), ("district", True), ("outsider", False)],
)
def test_queue_is_scoped(client, tree, pending, persona, sees):
    login(client, tree.users[persona])
    page = client.get(reverse("passes:queue")).content.decode()
    assert ("王小明" in page) == sees
    url = reverse("passes:application", args=[pending.application.pk, "approve"])
    response = client.post(url)
    assert response.status_code == (302 if sees else 404)
    assert client.get(url).status_code == 405


def test_queue_reject_from_the_page(client, tree, pending):
    login(client, tree.users["building"])
    url = reverse("passes:application", args=[pending.application.pk, "reject"])
    client.post(url, {"reason": "不是本楼住户"})
    assert PassApplication.objects.get().reject_reason == "不是本楼住户"


def test_queue_query_count_is_bounded(client, tree, django_assert_max_num_queries):
    for seq in range(5):
        services.application_submit(
            values={
                "name": f"申请人{seq}",
                "doc_number": make_id_number(800 + seq),
                "phone": "13912345678",
                "dwelling_id": tree.dwellings[seq % 2].pk,
            }
        )
    login(client, tree.users["building"])
    with django_assert_max_num_queries(8):
        assert client.get(reverse("passes:queue")).status_code == 200


@pytest.mark.parametrize(("persona", "status"), [("building", 200), ("outsider", 404)])
def test_person_passes_page(client, tree, green_pass, persona, status):
    login(client, tree.users[persona])
    url = reverse("passes:person", args=[green_pass.person.pk])
    assert client.get(url).status_code == status
    response = client.post(reverse("passes:person_action", args=[green_pass.person.pk, "issue"]))
    assert response.status_code == (302 if status == 200 else 404)


def test_reissue_and_revoke_from_the_person_page(client, tree, green_pass):
    login(client, tree.users["building"])
    person = green_pass.person
    client.post(reverse("passes:person_action", args=[person.pk, "issue"]))
    assert Pass.objects.filter(person=person, revoked_at__isnull=True).count() == 1
    client.post(reverse("passes:person_action", args=[person.pk, "revoke"]), {"reason": "搬走"})
    assert Pass.objects.filter(person=person, revoked_at__isnull=True).count() == 0


def _checks(tree, guard, gate, green_pass):
    with time_machine.travel(NOW, tick=False):
        for temperature in ("36.5", "36.6", "38.0"):
            services.gate_check_record(
                by=guard, gate=gate, code=green_pass.code, temperature=temperature
            )


@pytest.mark.parametrize(
    ("persona", "checks"),
    [("zone", 3), ("community", 3), ("district", 3), ("building", 0), ("outsider", 0)],
)
def test_board_is_scoped(
    client, tree, guard, gate, green_pass, persona, checks, django_assert_max_num_queries
):
    _checks(tree, guard, gate, green_pass)
    login(client, tree.users[persona])
    with django_assert_max_num_queries(8):
        page = client.get(reverse("passes:board"), {"day": "2020-02-20"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    body = page.content.decode()
    if checks:
        assert "东门" in body and body.count('<td class="num">3</td>') >= 1
    else:
        assert "东门" not in body


def test_the_board_counts_refused_passes_apart_in_chinese(client, tree, guard, gate, green_pass):
    """A real pass that no longer admits is a check of a person who stood at the gate:
    counted in the total and in a column of its own, not among the reds."""
    from fangyi.passes.tokens import PassRefused

    _checks(tree, guard, gate, green_pass)
    services.pass_revoke(by=None, pass_obj=green_pass, reason="lost", now=NOW)
    with time_machine.travel(NOW, tick=False):
        for _ in range(2):
            with pytest.raises(PassRefused):
                services.gate_check_record(
                    by=guard, gate=gate, code=green_pass.code, temperature="36.5"
                )
    login(client, tree.users["community"])
    body = client.get(reverse("passes:board"), {"day": "2020-02-20"}).content.decode()
    assert "检查 5 人次，红码 0，黄码 1，拒绝 2，发热 1" in body, body[body.find("totals") :][:120]
    assert '<th class="num">拒绝</th>' in body
    assert '<td class="num" data-testid="refused">2</td>' in body


@pytest.mark.parametrize(("persona", "status"), [("zone", 302), ("outsider", 404)])
def test_fever_review_page(client, tree, guard, gate, green_pass, persona, status):
    _checks(tree, guard, gate, green_pass)
    login(client, tree.users[persona])
    page = client.get(reverse("passes:fevers")).content.decode()
    from fangyi.health.models import Alert

    alert = Alert.objects.get()
    assert (f"fever-{alert.pk}" in page) == (status == 302)
    response = client.post(reverse("passes:fever_review", args=[alert.pk]), {"outcome": "cleared"})
    assert response.status_code == status
    assert client.get(reverse("passes:fever_review", args=[alert.pk])).status_code == 405


def test_the_fever_list_links_to_the_file_only_for_those_who_may_open_it(
    client, tree, guard, gate, green_pass
):
    from fangyi.duty.models import Assignment

    _checks(tree, guard, gate, green_pass)
    person_link = reverse("person", args=[green_pass.person_id])
    login(client, tree.users["zone"])
    assert person_link in client.get(reverse("passes:fevers")).content.decode()
    # A guard of the zone sees the alert, the masked name, and no link it could not open.
    Assignment.objects.create(staff=guard.staff, zone=gate.zone)
    login(client, guard)
    page = client.get(reverse("passes:fevers")).content.decode()
    assert "fever-" in page and person_link not in page
    assert client.get(person_link).status_code == 404


# --- pages residents open from a link follow the phone's language ----------------------

RESIDENT_VIEWS = ["apply", "apply_buildings", "apply_rooms", "pass", "pass_status", "pass_pdf"]


def resident_url(name, tree, green_pass):
    if name.startswith("pass"):
        return reverse(f"passes:{name}", args=[green_pass.link_key])
    query = {"apply": "", "apply_buildings": f"?zone={tree.zones[0].pk}"}
    return reverse(f"passes:{name}") + query.get(name, f"?building={tree.buildings[0].pk}")


@pytest.mark.parametrize("name", RESIDENT_VIEWS)
def test_resident_pages_follow_the_phones_language(client, tree, green_pass, name):
    """A resident whose phone speaks English (no language chosen with the switch) gets
    English; staff pages stay Chinese first."""
    url = resident_url(name, tree, green_pass)
    english = client.get(url, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert english.status_code == 200
    assert english["Content-Language"] == "en"
    chinese = client.get(url, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert chinese["Content-Language"] == "zh-hans"
    if name == "pass":
        assert "Electronic pass" in english.content.decode()
        assert "电子通行证" in chinese.content.decode()
    client.cookies["django_language"] = "zh-hans"  # the switch wins
    assert client.get(url, headers={"Accept-Language": "en"})["Content-Language"] == "zh-hans"


def test_staff_pages_do_not_follow_the_phones_language(client, tree):
    login(client, tree.users["building"])
    page = client.get(reverse("passes:queue"), headers={"Accept-Language": "en"})
    assert page["Content-Language"] == "zh-hans"
