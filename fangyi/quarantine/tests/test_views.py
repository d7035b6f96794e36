"""Quarantine pages: scope, actions, the self check-in link, PDFs and xlsx read back."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from fangyi.conftest import PASSWORD, make_id_number
from fangyi.core.documents import pdf_text
from fangyi.core.spreadsheets import read_xlsx_rows
from fangyi.health.models import Alert
from fangyi.people.models import Person
from fangyi.quarantine import services
from fangyi.quarantine.checkin import (
    ERR_ALTERED,
    ERR_EXPIRED,
    ERR_REPLACED,
    checkin_reissue,
    checkin_token,
)
from fangyi.quarantine.choices import CaseState
from fangyi.quarantine.models import HealthCheck, QuarantineCase
from fangyi.quarantine.tests.conftest import at


@pytest.fixture
def case(tree, facilities):
    with time_machine.travel(at(2020, 2, 18, 9), tick=False):
        return services.case_intake(
            by=tree.users["zone"],
            person=tree.people[0],
            reason="returned",
            arrived_at=at(2020, 2, 18, 9),
            facility=facilities["station"],
            origin="湖北省武汉市",
        )


def login(client, username):
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("d_leader", 200),
        ("s_cadre", 200),
        ("c_secretary", 200),
        ("z_property", 200),
        ("b_grid", 200),
        ("outsider", 404),
    ],
)
def test_case_page_scope(client, case, username, status):
    login(client, username)
    assert client.get(reverse("quarantine:case", args=[case.pk])).status_code == status


def test_station_doctor_sees_cases_at_the_station_only(client, case, doctor, tree, facilities):
    client.force_login(doctor)
    assert client.get(reverse("quarantine:case", args=[case.pk])).status_code == 200
    # Once the person has gone home, the case is no longer the station's.
    with time_machine.travel(at(2020, 2, 20, 18), tick=False):
        test = services.test_record(by=None, case=case, sampled_on=dt.date(2020, 2, 19))
        services.test_set_result(by=None, test=test, result="negative")
        services.case_move_home(by=tree.users["zone"], case=case)
    assert client.get(reverse("quarantine:case", args=[case.pk])).status_code == 404


def test_case_page_shows_day_n_of_14(client, case, settings):
    login(client, "z_property")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with time_machine.travel(at(2020, 2, 23, 10), tick=False):
        page = client.get(reverse("quarantine:case", args=[case.pk])).content.decode()
    assert "Day 6 of 14, release on 2020-03-03" in page
    assert "Station day 6; 0 station days left; may go home from 2020-02-20." in page


def test_illegal_action_shows_the_message_and_changes_nothing(client, case):
    login(client, "z_property")
    with time_machine.travel(at(2020, 2, 19, 10), tick=False):
        response = client.post(reverse("quarantine:action", args=[case.pk, "move_home"]), {})
    assert response.status_code == 422
    assert "2020-02-20" in response.content.decode()  # may go home from station day 3
    case.refresh_from_db()
    assert case.state == CaseState.STATION


def test_worklists_are_scoped_and_export_xlsx(client, case, tree):
    with time_machine.travel(at(2020, 2, 19, 8), tick=False):
        services.health_check_record(case=case, temperature="38.2")
    login(client, "z_property")
    page = client.get(reverse("quarantine:worklists"), {"list": "fever"}).content.decode()
    assert case.case_no in page
    response = client.get(reverse("quarantine:worklists"), {"list": "fever", "format": "xlsx"})
    rows = read_xlsx_rows(b"".join(response.streaming_content))
    assert rows[1][0] == case.case_no and rows[1][1] == tree.people[0].name
    assert tree.people[0].doc_number not in str(rows)
    client.logout()
    login(client, "outsider")
    page = client.get(reverse("quarantine:worklists"), {"list": "fever"}).content.decode()
    assert case.case_no not in page


def test_worklist_due_release_uses_the_derived_date(client, case):
    login(client, "z_property")
    with time_machine.travel(at(2020, 3, 2, 10), tick=False):
        page = client.get(reverse("quarantine:worklists"), {"list": "due_release"}).content.decode()
    assert case.case_no not in page
    with time_machine.travel(at(2020, 3, 3, 10), tick=False):
        page = client.get(reverse("quarantine:worklists"), {"list": "due_release"}).content.decode()
    assert case.case_no in page


def test_alert_acknowledge_and_close_from_the_page(client, case):
    with time_machine.travel(at(2020, 2, 19, 8), tick=False):
        services.health_check_record(case=case, temperature="37.8")
    alert = Alert.objects.get()
    login(client, "b_grid")
    client.post(reverse("quarantine:alert", args=[alert.pk, "acknowledge"]))
    client.post(reverse("quarantine:alert", args=[alert.pk, "close"]), {"note": "复测正常"})
    alert.refresh_from_db()
    assert alert.status == "closed" and alert.note == "复测正常"
    client.logout()
    login(client, "outsider")
    response = client.post(reverse("quarantine:alert", args=[alert.pk, "close"]), {"note": "x"})
    assert response.status_code == 404


def test_checkin_link_accepts_only_its_own_case(client, case, tree, facilities):
    token = checkin_token(case)
    with time_machine.travel(at(2020, 2, 19, 8), tick=False):
        page = client.get(reverse("checkin", args=[token])).content.decode()
        assert tree.people[0].name not in page  # the name is masked on the public page
        assert tree.people[0].name[0] in page
        response = client.post(reverse("checkin", args=[token]), {"temperature": "36.6"})
    assert response.status_code == 200
    check = HealthCheck.objects.get()
    assert (check.case_id, check.channel, str(check.temperature)) == (case.pk, "self", "36.6")
    # Another person's case cannot be reached by editing the id in the token.
    with time_machine.travel(at(2020, 2, 18, 9), tick=False):
        other = services.case_intake(
            by=None,
            person=tree.people[1],
            reason="returned",
            arrived_at=at(2020, 2, 18, 9),
            first_state="home",
        )
    forged = token.replace(f"{case.pk}.", f"{other.pk}.", 1)
    response = client.get(reverse("checkin", args=[forged]))
    assert response.status_code == 404
    assert str(ERR_ALTERED) in response.content.decode()


def test_checkin_link_replaced_and_expired(client, case, tree):
    old = checkin_token(case)
    checkin_reissue(case)
    response = client.get(reverse("checkin", args=[old]))
    assert response.status_code == 404 and str(ERR_REPLACED) in response.content.decode()
    new = checkin_token(case)
    with time_machine.travel(at(2020, 2, 19, 10), tick=False):
        services.case_release(by=tree.users["zone"], case=case, kind="early", note="误报")
    response = client.get(reverse("checkin", args=[new]))
    assert response.status_code == 404 and str(ERR_EXPIRED) in response.content.decode()


def test_checkin_bad_temperature_is_named(client, case):
    response = client.post(reverse("checkin", args=[checkin_token(case)]), {"temperature": "abc"})
    assert 'data-testid="error-temperature"' in response.content.decode()
    assert not HealthCheck.objects.exists()


def test_pdfs_read_back(client, case, tree):
    login(client, "z_property")
    response = client.get(reverse("quarantine:document", args=[case.pk, "notice"]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    assert tree.people[0].name in text and case.case_no in text
    assert "2020-02-18" in text and "2020-03-03" in text
    # The notice carries the person's own check-in link as a QR code a phone can read.
    import pypdfium2
    import zxingcpp

    image = pypdfium2.PdfDocument(response.content)[0].render(scale=3).to_pil()
    (code,) = zxingcpp.read_barcodes(image)
    assert code.text.endswith(reverse("checkin", args=[checkin_token(case)]))
    # No certificate before release.
    assert (
        client.get(reverse("quarantine:document", args=[case.pk, "certificate"])).status_code == 404
    )
    with time_machine.travel(at(2020, 2, 25, 10), tick=False):
        services.case_release(by=tree.users["zone"], case=case, kind="early", note="核酸阴性")
        response = client.get(reverse("quarantine:document", args=[case.pk, "certificate"]))
    text = pdf_text(response.content)
    assert tree.people[0].name in text and "2020-02-25" in text


def test_intake_registers_an_unknown_person_pending_verification(client, tree, facilities):
    login(client, "z_property")
    number = make_id_number(612)
    response = client.post(
        reverse("quarantine:intake"),
        {
            "doc_type": "id_card",
            "doc_number": number,
            "name": "新来人",
            "reason": "returned",
            "origin": "湖北省孝感市",
            "arrived_at": "2026-11-28T21:30",
            "first_state": "station",
            "facility": facilities["station"].pk,
            "dwelling": tree.dwellings[0].pk,
        },
    )
    case = QuarantineCase.objects.get()
    assert response.status_code == 302
    person = Person.objects.get(doc_number=number)
    assert (case.person, person.verified, person.travel_status) == (person, False, "returned")
    assert (person.dwelling, person.return_date) == (tree.dwellings[0], dt.date(2026, 11, 28))
    assert case.start_date == dt.date(2026, 11, 28)


def test_intake_with_bad_id_number_saves_nothing(client, tree, facilities):
    login(client, "z_property")
    bad = make_id_number(613)[:-1] + "0"
    if bad == make_id_number(613):
        bad = bad[:-1] + "1"
    response = client.post(
        reverse("quarantine:intake"),
        {
            "doc_type": "id_card",
            "doc_number": bad,
            "name": "坏号",
            "reason": "returned",
            "arrived_at": "2026-11-28T21:30",
            "first_state": "home",
        },
    )
    assert 'data-testid="error-doc_number"' in response.content.decode()
    assert not QuarantineCase.objects.exists()
    assert not Person.objects.filter(name="坏号").exists()


def test_person_page_shows_the_quarantine(client, case, tree):
    login(client, "b_grid")
    with time_machine.travel(at(2020, 2, 23, 10), tick=False):
        page = client.get(reverse("person", args=[tree.people[0].pk])).content.decode()
    assert case.case_no in page and "2020-03-03" in page


def test_facility_board(client, case, facilities):
    login(client, "b_grid")
    page = client.get(reverse("quarantine:facilities")).content.decode()
    assert "六和温馨驿站" in page and "坪山指定观察点" in page


def test_case_page_has_no_duplicate_ids(client, case):
    import re
    from collections import Counter

    login(client, "z_property")
    page = client.get(reverse("quarantine:case", args=[case.pk])).content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', page))
    assert ids and not [i for i, n in ids.items() if n > 1]


def test_worklist_rows_give_the_day_line_and_what_is_due(client, case):
    login(client, "z_property")
    with time_machine.travel(at(2020, 3, 3, 10), tick=False):
        page = client.get(reverse("quarantine:worklists"), {"list": "due_release"}).content.decode()
    row = page[page.index('data-testid="worklist-name"') :]
    row = row[: row.index("</tr>")]
    assert "第 15 天（共 14 天），2020-03-03 解除隔离" in row
    assert '<td class="due" data-testid="worklist-due"><b>待解除隔离</b>' in row


def test_case_page_puts_what_is_due_and_the_actions_before_the_checks(client, case):
    with time_machine.travel(at(2020, 2, 19, 10), tick=False):
        test = services.test_record(by=None, case=case, sampled_on=dt.date(2020, 2, 19))
    for day in range(19, 26):
        for hour in (8, 18):
            services.health_check_record(
                case=case, temperature="36.5", channel="self", now=at(2020, 2, day, hour)
            )
    login(client, "z_property")
    with time_machine.travel(at(2020, 2, 26, 10), tick=False):
        page = client.get(reverse("quarantine:case", args=[case.pk])).content.decode()
    marks = [
        'data-testid="dayline"',
        'data-testid="due"',
        f'action="/quarantine/cases/{case.pk}/tests/{test.pk}/result/"',
        'class="actions"',
        'data-testid="checks"',
        'data-testid="earlier-checks"',
        'data-testid="case-history"',
    ]
    positions = [page.index(mark) for mark in marks]
    assert positions == sorted(positions), marks
    checks = page[page.index('data-testid="checks"') : page.index('data-testid="earlier-checks"')]
    assert checks.count("<tr><td>") == 5
    assert "2020-02-25 18:00" in checks and "2020-02-23 18:00" in checks
    assert "更早的监测记录 9 条" in page
