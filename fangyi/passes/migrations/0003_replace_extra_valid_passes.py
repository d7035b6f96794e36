"""One person holds one valid pass. Before the constraint (0004), a person's extra valid
passes (possible until now: an application approved beside an issued pass) are replaced
by the newest one, as the services do from now on. A migration of its own: on PostgreSQL
an index cannot be created in the transaction that updated the table's deferred foreign
keys."""

from django.db import migrations
from django.utils import timezone


def replace_extra_passes(apps, schema_editor):
    Pass = apps.get_model("passes", "Pass")
    now = timezone.now()
    newest: dict[int, int] = {}
    extra: dict[int, list[int]] = {}
    valid = (
        Pass.objects.filter(revoked_at__isnull=True, person__isnull=False)
        .order_by("person_id", "-issued_at", "-id")
        .values_list("id", "person_id")
    )
    for pass_id, person_id in valid.iterator():
        if person_id in newest:
            extra.setdefault(newest[person_id], []).append(pass_id)
        else:
            newest[person_id] = pass_id
    for new_id, old_ids in extra.items():
        Pass.objects.filter(pk__in=old_ids).update(
            revoked_at=now, revoke_reason="replaced", replaced_by_id=new_id
        )


class Migration(migrations.Migration):
    dependencies = [
        ("passes", "0002_pass_revoked_by"),
    ]

    operations = [
        migrations.RunPython(replace_extra_passes, migrations.RunPython.noop, elidable=True),
    ]
