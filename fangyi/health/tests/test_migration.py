"""The data migration health 0002: the quarantine alerts and the gate fever alerts are
copied into the one alert table, with their person's places, source and review."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("health", "0001_exposures")]
AFTER = [("health", "0002_one_alert_model")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_old_alerts_are_copied(tree):
    leaves = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        apps = _migrate(BEFORE)
        person = tree.people[0]
        Case = apps.get_model("quarantine", "QuarantineCase")
        Policy = apps.get_model("core", "Policy")
        HealthCheck = apps.get_model("quarantine", "HealthCheck")
        Old = apps.get_model("quarantine", "Alert")
        GateCheck = apps.get_model("passes", "GateCheck")
        GateFever = apps.get_model("passes", "GateFeverAlert")
        User = apps.get_model("auth", "User")
        reviewer = User.objects.create(username="reviewer")
        guard = User.objects.create(username="guard")
        # (A transactional test before this one flushed the seeded policy versions.)
        policy = Policy.objects.order_by("id").first() or Policy.objects.create(
            code="pingshan-2020", name="坪山 2020", effective_from=dt.date(2020, 1, 1), values={}
        )
        case = Case.objects.create(
            person_id=person.pk, zone_id=person.zone_id, reason="returnee",
            arrived_at=timezone.now(), start_date=dt.date(2026, 3, 1), policy=policy,
            state="home", case_no="C-1",
        )  # fmt: skip
        check = HealthCheck.objects.create(
            case=case, date=dt.date(2026, 3, 2), slot="am", at=timezone.now(),
            temperature=Decimal("38.1"), symptoms=[], channel="staff",
        )  # fmt: skip
        Old.objects.create(
            case=case, zone_id=person.zone_id, kind="fever", date=dt.date(2026, 3, 2),
            slot="am", health_check=check, detail="38.1", status="acknowledged",
            acknowledged_by=reviewer, acknowledged_at=timezone.now(),
        )  # fmt: skip
        Old.objects.create(
            case=case, zone_id=person.zone_id, kind="missed_check", date=dt.date(2026, 3, 3),
            slot="pm",
        )  # fmt: skip
        gate = tree.zones[2].gates.first()
        at = dt.datetime(2026, 3, 4, 23, 30, tzinfo=dt.UTC)  # 3-5 in Shanghai
        visitor_check = GateCheck.objects.create(
            gate_id=gate.pk, zone_id=gate.zone_id, at=at, guard=guard, method="visitor",
            visitor_name="访客", temperature=Decimal("38.5"), fever=True, colour="yellow",
            reason="fever_now", policy=policy,
        )  # fmt: skip
        GateFever.objects.create(
            check_obj=visitor_check, zone_id=gate.zone_id, temperature=Decimal("38.5"),
            status="referred", created_at=at, reviewed_by=reviewer, reviewed_at=at,
            note="送医",
        )  # fmt: skip
        person_check = GateCheck.objects.create(
            gate_id=gate.pk, zone_id=gate.zone_id, at=at, guard=guard, method="scan", person_id=person.pk,
            temperature=Decimal("37.9"), fever=True, colour="yellow", reason="fever_now",
            policy=policy,
        )  # fmt: skip
        GateFever.objects.create(
            check_obj=person_check, person_id=person.pk, zone_id=gate.zone_id,
            temperature=Decimal("37.9"), status="open", created_at=at,
        )  # fmt: skip

        apps = _migrate(AFTER)
        Alert = apps.get_model("health", "Alert")
        rows = {(a.kind, a.source, a.gate_check_id): a for a in Alert.objects.all()}
        assert len(rows) == 4
        fever = rows[("fever", "checkin", None)]
        assert (fever.person_id, fever.case_id, fever.health_check_id) == (
            person.pk, case.pk, check.pk,
        )  # fmt: skip
        assert (fever.status, fever.acknowledged_by_id) == ("acknowledged", reviewer.pk)
        assert (fever.temperature, fever.building_id) == (Decimal("38.1"), person.building_id)
        missed = rows[("missed_check", "checkin", None)]
        assert (missed.date, missed.slot, missed.status) == (dt.date(2026, 3, 3), "pm", "open")
        visitor = rows[("fever", "gate", visitor_check.pk)]
        assert visitor.person_id is None
        assert (visitor.zone_id, visitor.community_id) == (gate.zone_id, tree.communities[1].pk)
        assert (visitor.status, visitor.closed_by_id) == ("closed", reviewer.pk)
        assert visitor.note == "referred for medical care: 送医"
        assert visitor.date == dt.date(2026, 3, 5)
        held = rows[("fever", "gate", person_check.pk)]
        # A resident's gate alert is routed by the resident's places, not the gate's.
        assert (held.person_id, held.zone_id, held.status) == (person.pk, person.zone_id, "open")
    finally:
        _migrate(leaves)
