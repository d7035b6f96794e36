from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("passes", "0003_replace_extra_valid_passes"),
    ]

    operations = [
        # One person holds one valid pass: a new one replaces the old (services).
        migrations.AddConstraint(
            model_name="pass",
            constraint=models.UniqueConstraint(
                condition=models.Q(("revoked_at__isnull", True)),
                fields=("person",),
                name="pass_one_valid_per_person",
            ),
        ),
    ]
