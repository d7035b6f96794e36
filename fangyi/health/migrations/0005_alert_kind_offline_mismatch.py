"""The alert kind `offline_mismatch` (docs/offline.md): a gate check made offline that the
server coloured otherwise."""

from pathlib import Path

from django.db import migrations, models

# Written while health 0004 (the alerts' keys into the partitioned tables, issue 16) was
# being made beside it and not yet committed: after it when it is there, else after 0003,
# so that the graph has one leaf either way. Make it a plain dependency on 0004 once
# that has landed.
_AFTER = (
    "0004_alert_checks_without_db_constraint"
    if (Path(__file__).parent / "0004_alert_checks_without_db_constraint.py").exists()
    else "0003_alert_relations"
)


class Migration(migrations.Migration):
    dependencies = [("health", _AFTER)]

    operations = [
        migrations.AlterField(
            model_name="alert",
            name="kind",
            field=models.CharField(
                choices=[
                    ("fever", "fever"),
                    ("symptom", "symptoms"),
                    ("positive_test", "positive test"),
                    ("missed_check", "missed check-in"),
                    ("confirmed_case", "confirmed case"),
                    ("exposure", "exposure to a case"),
                    ("gate_observation", "sent to an observation point at a gate"),
                    ("station_referral", "referred to the health station"),
                    ("high_risk_arrival", "arrival from a risk area"),
                    ("offline_mismatch", "gate check offline showed another colour"),
                ],
                max_length=20,
                verbose_name="kind",
            ),
        ),
    ]
