"""Gate checks, health checks and the access log partitioned by month on PostgreSQL
(issue 16); SQLite keeps plain tables. The rows are moved; see retention.partitions and
docs/retention.md. A migration of the retention app because it sits on top of the three
apps whose tables it converts (and of health, whose alerts no longer hold a database
foreign key into them: health 0004)."""

from django.db import migrations

from fangyi.retention.partitions import (
    PARTITIONED,
    ensure_partitions,
    partition_table,
    unpartition_table,
)


def partition(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    for table in PARTITIONED:
        partition_table(conn, table)
    if conn.alias == "default":
        ensure_partitions()


def unpartition(apps, schema_editor):
    conn = schema_editor.connection
    if conn.vendor != "postgresql":
        return
    for table in PARTITIONED:
        unpartition_table(conn, table)


class Migration(migrations.Migration):
    dependencies = [
        ("retention", "0001_erasure_and_purge"),
        ("passes", "0008_offline_passes_and_signing_keys"),
        ("quarantine", "0002_alerts_moved_to_health"),
        ("audit", "0001_initial"),
        ("health", "0004_alert_checks_without_db_constraint"),
    ]

    operations = [migrations.RunPython(partition, unpartition, elidable=False)]
