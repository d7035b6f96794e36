"""A Hangzhou-style preset policy version, to show that the pass rules are data, not code.

Hangzhou's health code (杭州健康码, February 2020): red = 14 days of quarantine, yellow =
7 days, each turning green after that many consecutive days of normal check-ins. The
preset is dated after every real date (9999-12-31) so that it is never in force by
itself: Pingshan's stays the default. An operator puts a dated copy of it in force with
`fangyi policy add CODE --from DAY --base hangzhou-2020 ...`; see docs/policy.md.
"""

import datetime as dt

from django.db import migrations

PRESETS = [
    {
        "code": "hangzhou-2020",
        "name": "杭州健康码式 2020（预设）",
        "effective_from": dt.date(9999, 12, 31),
        "values": {
            "quarantine_days": 14,
            "pass_returnee_days": 7,
            "pass_returned_case_colour": "yellow",
            "pass_red_green_after_days": 14,
            "pass_yellow_green_after_days": 7,
        },
        "notes": "Hangzhou-style preset: red = 14 days, yellow = 7 days (returnees), each "
        "turning green after as many consecutive days of normal check-ins. Not in force "
        "until an operator gives it a real effective date.",
    },
]


def seed(apps, schema_editor):
    Policy = apps.get_model("core", "Policy")
    for row in PRESETS:
        Policy.objects.get_or_create(code=row["code"], defaults=row)


def unseed(apps, schema_editor):
    Policy = apps.get_model("core", "Policy")
    Policy.objects.filter(code__in=[row["code"] for row in PRESETS]).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0002_seed_policies")]
    operations = [migrations.RunPython(seed, unseed)]
