"""The policy versions fangyi ships: Pingshan's (the default) and a Hangzhou-style preset."""

import datetime as dt

from django.db import migrations

POLICIES = [
    {
        "code": "pingshan-2020",
        "name": "坪山 2020",
        "effective_from": dt.date(2020, 1, 1),
        "values": {},
        "notes": "Shenzhen Pingshan, February 2020: fever ≥ 37.3 °C, 14 days from arrival, "
        "3–5 days at a health station with a nucleic acid test, checks twice a day.",
    },
]


def seed(apps, schema_editor):
    Policy = apps.get_model("core", "Policy")
    for row in POLICIES:
        Policy.objects.get_or_create(code=row["code"], defaults=row)


def unseed(apps, schema_editor):
    Policy = apps.get_model("core", "Policy")
    Policy.objects.filter(code__in=[row["code"] for row in POLICIES]).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_policy")]
    operations = [migrations.RunPython(seed, unseed)]
