"""The demo logins: one per role, all with the same published password."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from fangyi.duty.choices import Role

DEMO_PASSWORD = "fangyi-demo"

# (username, role label, where the login is assigned), in the order they are shown.
DEMO_LOGINS: list[tuple[str, str, str]] = [
    ("admin", _("administrator"), _("everything (superuser)")),
    ("leader", Role.DISTRICT_LEADER.label, _("the district")),
    ("cadre", Role.CADRE.label, _("the first street")),
    ("secretary", Role.COMMUNITY_SECRETARY.label, _("the first community of that street")),
    ("guard", Role.GATE_GUARD.label, _("the first zone of that community")),
    ("property", Role.PROPERTY_MANAGER.label, _("that zone")),
    ("grid", Role.GRID_WORKER.label, _("the first building of that zone")),
    ("doctor", Role.STATION_DOCTOR.label, _("that community")),
    ("volunteer", Role.VOLUNTEER.label, _("that zone")),
]

# The role each login (except the superuser) has as a Staff record.
LOGIN_ROLES: dict[str, str] = {
    "leader": Role.DISTRICT_LEADER.value,
    "cadre": Role.CADRE.value,
    "secretary": Role.COMMUNITY_SECRETARY.value,
    "guard": Role.GATE_GUARD.value,
    "property": Role.PROPERTY_MANAGER.value,
    "grid": Role.GRID_WORKER.value,
    "doctor": Role.STATION_DOCTOR.value,
    "volunteer": Role.VOLUNTEER.value,
}


@dataclass(frozen=True)
class DemoLogin:
    """A demo login present in the database, with the name of the place it is assigned to."""

    username: str
    role: str
    place: str


def _place_name(assignment) -> str:
    if assignment.building_id:
        return f"{assignment.building.zone.name} {assignment.building.name}"
    if assignment.zone_id:
        return f"{assignment.zone.community.name} {assignment.zone.name}"
    return str(assignment.place)


def demo_logins() -> list[DemoLogin]:
    """The demo logins that exist, in DEMO_LOGINS order, each with its place(s) by name.

    Four queries whatever the size of the district, so `make run` can call it
    on a full-scale database.
    """
    from fangyi.duty.models import Assignment

    usernames = [username for username, _role, _place in DEMO_LOGINS]
    users = {
        user.username: user
        for user in get_user_model().objects.filter(username__in=usernames, is_active=True)
    }
    places: dict[str, list[str]] = {}
    assignments = (
        Assignment.objects.filter(staff__user__username__in=usernames)
        .select_related(
            "staff__user", "district", "street", "community", "zone__community", "building__zone"
        )
        .order_by("id")
    )
    for assignment in assignments:
        places.setdefault(assignment.staff.user.username, []).append(_place_name(assignment))
    logins = []
    for username, role, where in DEMO_LOGINS:
        user = users.get(username)
        if user is None:
            continue
        if user.is_superuser:
            place = str(where)
        else:
            names = places.get(username, [])
            place = "、".join(names[:3]) + ("…" if len(names) > 3 else "") if names else "—"
        logins.append(DemoLogin(username=username, role=str(role), place=place))
    return logins
