"""The Hangzhou-style preset's high-risk areas (policy value `high_risk_areas`).

Pingshan's default, Hubei, is the dataclass default (core.policy.PolicyValues). Hangzhou's
health code of February 2020 treated arrivals from Hubei and from Wenzhou, Zhejiang's own
worst-hit city, as coming from key epidemic areas (重点疫区). The preset is changed only
where an operator has not set the value already.
"""

from django.db import migrations

CODE = "hangzhou-2020"
AREAS = ["湖北", "温州", "浙江温州"]


def seed(apps, schema_editor):
    Policy = apps.get_model("core", "Policy")
    for policy in Policy.objects.filter(code=CODE):
        if "high_risk_areas" not in policy.values:
            policy.values = {**policy.values, "high_risk_areas": AREAS}
            policy.save(update_fields=["values"])


def unseed(apps, schema_editor):
    Policy = apps.get_model("core", "Policy")
    for policy in Policy.objects.filter(code=CODE):
        if policy.values.get("high_risk_areas") == AREAS:
            policy.values = {k: v for k, v in policy.values.items() if k != "high_risk_areas"}
            policy.save(update_fields=["values"])


class Migration(migrations.Migration):
    dependencies = [("core", "0004_ratecount")]
    operations = [migrations.RunPython(seed, unseed)]
