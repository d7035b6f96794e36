"""The alert kind `offline_mismatch` (docs/offline.md): a gate check made offline that the
server coloured otherwise."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("health", "0004_alert_checks_without_db_constraint")]

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
