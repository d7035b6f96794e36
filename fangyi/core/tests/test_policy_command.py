"""`fangyi policy`: a new policy version without SQL (core.policy_versions), in force from
its day and not before, every value checked, nothing saved when one is wrong."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from fangyi.core.models import Policy
from fangyi.core.policy import policy_in_force, values_of

pytestmark = pytest.mark.django_db

TODAY = dt.datetime(2020, 2, 20, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))


def policy(*args: str) -> str:
    out = StringIO()
    with time_machine.travel(TODAY, tick=False), translation.override("en"):
        call_command("policy", *args, stdout=out)
    return out.getvalue()


def test_a_new_version_is_in_force_from_its_day_and_not_before():
    said = policy(
        "add", "pingshan-2020-02-21", "--name", "坪山 2020年2月21日", "--from", "2020-02-21",
        "--notes", "区指挥部通知", "--set", "fever_threshold=37.5", "--set", "daily_report_time=07:30",
        "--set", "high_risk_areas=湖北，温州", "--set", "release_requires_negative_test=no",
    )  # fmt: skip
    assert "pingshan-2020-02-21 is in force from 2020-02-21" in said
    assert "fever_threshold = 37.5" in said
    new = Policy.objects.get(code="pingshan-2020-02-21")
    assert policy_in_force(dt.date(2020, 2, 20)).code == "pingshan-2020"
    assert policy_in_force(dt.date(2020, 2, 21)) == new
    values = values_of(new)
    assert values.fever_threshold == Decimal("37.5")
    assert values.daily_report_time == "07:30"
    assert values.high_risk_areas == ("湖北", "温州")
    assert values.release_requires_negative_test is False
    assert values.quarantine_days == 14  # the rest as in the version it follows
    assert new.notes == "区指挥部通知"
    listed = policy()
    assert "* pingshan-2020 " in listed and "  pingshan-2020-02-21 " in listed
    assert "fever_threshold=37.5" in listed
    shown = policy("show", "pingshan-2020-02-21")
    assert "  quarantine_days = 14" in shown and "  fever_threshold = 37.5" in shown


def test_a_preset_is_put_in_force_by_a_dated_copy():
    policy(
        "add", "hangzhou-2020-03", "--name", "杭州式", "--from", "2020-03-01",
        "--base", "hangzhou-2020", "--set", "quarantine_days=14",
    )  # fmt: skip
    values = values_of(policy_in_force(dt.date(2020, 3, 1)))
    assert (values.pass_red_green_after_days, values.pass_returned_case_colour) == (14, "yellow")


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--from", "2020-02-19", "--set", "fever_threshold=37.5"], "cannot start before today"),
        (["--from", "2020-02-21", "--set", "fever=37.5"], "“fever” is not a policy value"),
        (
            ["--from", "2020-02-21", "--set", "fever_threshold=abc"],
            "fever_threshold must be a number",
        ),
        (["--from", "2020-02-21", "--set", "quarantine_days=14.5"], "must be a whole number"),
        (["--from", "2020-02-21", "--set", "fever_threshold=45"], "break a rule of the policy"),
        (
            ["--from", "2020-02-21", "--set", "daily_report_time=8am"],
            "daily_report_time must be a time",
        ),
        (
            ["--from", "2020-02-21", "--set", "grocery_order_cutoff=25:00"],
            "grocery_order_cutoff must",
        ),
        (
            ["--from", "2020-02-21", "--set", 'check_slots=[["pm","20:00"],["am","12:00"]]'],
            "check_slots must be named slots with end times in order",
        ),
        (["--from", "2020-02-21", "--set", 'check_slots=[["am","noon"]]'], "check_slots must"),
        (
            ["--from", "2020-02-21", "--base", "nope", "--set", "quarantine_days=7"],
            "No policy version",
        ),
        (["--from", "2020-02-21"], "Name at least one value"),
        (["--from", "21/02/2020", "--set", "quarantine_days=7"], "--from must be a date"),
        (["--from", "2020-02-21", "--set", "quarantine_days"], "Write each change as name=value"),
    ],
)
def test_what_is_wrong_is_named_and_nothing_saved(args, says):
    before = Policy.objects.count()
    with pytest.raises(CommandError) as error:
        policy("add", "pingshan-new", "--name", "新", *args)
    assert says in str(error.value)
    assert Policy.objects.count() == before


def test_a_code_is_not_reused_and_the_message_is_chinese_by_default():
    before = Policy.objects.count()
    out = StringIO()
    translation.deactivate()  # as in a fresh `fangyi` process: no language chosen
    with time_machine.travel(TODAY, tick=False), pytest.raises(CommandError) as error:
        call_command(
            "policy", "add", "pingshan-2020", "--name", "x", "--from", "2020-02-21",
            "--set", "quarantine_days=7", stdout=out,
        )  # fmt: skip
    assert "已有代码为 pingshan-2020 的政策版本" in str(error.value)
    assert Policy.objects.count() == before


def test_a_version_not_yet_started_can_be_withdrawn_one_in_force_cannot():
    policy(
        "add", "pingshan-2020-03", "--name", "三月", "--from", "2020-03-01",
        "--set", "quarantine_days=21",
    )  # fmt: skip
    assert policy_in_force(dt.date(2020, 3, 1)).code == "pingshan-2020-03"
    said = policy("withdraw", "pingshan-2020-03")
    assert "pingshan-2020-03 is withdrawn" in said
    assert policy_in_force(dt.date(2020, 3, 1)).code == "pingshan-2020"
    assert "Withdrawn on 2020-02-20; it was to start on 2020-03-01." in (
        Policy.objects.get(code="pingshan-2020-03").notes
    )
    with pytest.raises(CommandError) as error:
        policy("withdraw", "pingshan-2020")
    assert "in force since 2020-01-01" in str(error.value)
    with pytest.raises(CommandError):
        policy("withdraw", "nope")


def test_a_broken_rule_is_said_in_chinese():
    """The policy's own rules (core.policy.PolicyValues.from_json) speak the reader's
    language: an operator adding a version in Chinese reads the rule in Chinese."""
    translation.deactivate()  # as in a fresh `fangyi` process
    with time_machine.travel(TODAY, tick=False), pytest.raises(CommandError) as error:
        call_command(
            "policy", "add", "pingshan-hot", "--name", "x", "--from", "2020-02-21",
            "--set", "fever_threshold=45", stdout=StringIO(),
        )  # fmt: skip
    assert "未保存任何内容" in str(error.value)
    assert "政策体温参数须满足" in str(error.value) and "must be" not in str(error.value)
