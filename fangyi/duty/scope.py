"""What a user may see: the one place every people and places query goes through.

A staff member sees the subtree of each place they are assigned to; an
operator (superuser) sees everything; anybody else sees nothing. Views turn
"not in scope" into 404, so an outsider cannot even learn that a file exists.

Person files are narrower than places: a role that works at a place without being
responsible for its residents (gate guards and volunteers: PLACES_ONLY_ROLES) sees the
zone, its map and its gates, but no person file there, except the files of the people
it serves now: apps that hand people to staff register a grant (`person_grant`; the
support app: a volunteer's open deliveries, requests and recurring visits). The gate
check shows a guard a masked name only (fangyi.passes.scanning).

Writing is narrower than reading: a user may change what hangs on a person file (the
file, its dwelling, a quarantine case, a confirmed case) only where it keeps the files
(`keeps_files`, `require_files`): operators everywhere, other roles in the places of
their assignments; places-only roles nowhere, grants included (a volunteer may read the
file of the person it serves, not change it). Services call these with the acting
user; `None` is the system (a command, an import without a user, the demo, a resident's
signed link), which the services trust.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext_lazy

from fangyi.duty.choices import Role
from fangyi.places.choices import LEVELS

# Roles whose assignments give places but no person files.
PLACES_ONLY_ROLES = frozenset({Role.GATE_GUARD.value, Role.VOLUNTEER.value})

ERR_NOT_YOUR_FILES = gettext_lazy(
    "You may not change this: the person files of this place are not kept by you."
)
ERR_PLACES_ONLY = gettext_lazy(
    "Gate guards and volunteers work at a place without keeping its residents' files: "
    "ask the grid worker or the community office."
)

# Functions (staff id) -> ids of the people that staff member serves now, whatever its
# places; registered by the apps that hand people to staff (support, in its ready()).
_PERSON_GRANTS: list[Callable[[int], Iterable[int]]] = []


def person_grant(function: Callable[[int], Iterable[int]]) -> Callable[[int], Iterable[int]]:
    """Register a grant: the person files a places-only role may see besides none."""
    if function not in _PERSON_GRANTS:
        _PERSON_GRANTS.append(function)
    return function


# For each place model, the levels (own and ancestors) it has an id column for.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "district": ("district",),
    "street": ("district", "street"),
    "community": ("district", "street", "community"),
    "zone": ("district", "street", "community", "zone"),
    "building": ("district", "street", "community", "zone", "building"),
    # Person rows carry all five ids.
    "person": ("district", "street", "community", "zone", "building"),
}


@dataclass(frozen=True)
class Scope:
    """The place nodes a user is assigned to, per level; `everything` for operators."""

    everything: bool = False
    ids: dict[str, frozenset[int]] = field(default_factory=dict)
    # The places whose person files the user sees; None: the same as `ids`.
    person_ids: dict[str, frozenset[int]] | None = None
    # Single person files granted besides (the people a volunteer serves now).
    person_pks: frozenset[int] = frozenset()

    @property
    def is_empty(self) -> bool:
        return not self.everything and not any(self.ids.values())

    def _for(self, level: str) -> dict[str, frozenset[int]]:
        return self.person_ids if level == "person" and self.person_ids is not None else self.ids

    def _q(self, columns: tuple[str, ...], own_level: str) -> Q:
        if self.everything:
            return Q()
        q = Q(pk__in=[])
        chosen = self._for(own_level)
        for level in columns:
            ids = chosen.get(level)
            if ids:
                column = "pk" if level == own_level else f"{level}_id"
                q |= Q(**{f"{column}__in": sorted(ids)})
        return q

    def place_q(self, level: str) -> Q:
        """Filter for a place model at `level` (district … building)."""
        return self._q(_COLUMNS[level], level)

    def person_q(self) -> Q:
        """Filter for Person rows only (the granted files are matched on the primary key).

        Rows about a person (an order, a request, an application) use `rows_q`, which
        matches the grants on their person column, never on their own id."""
        q = self._q(_COLUMNS["person"], "person")
        return q | Q(pk__in=sorted(self.person_pks)) if self.person_pks else q

    def rows_q(self, person_field: str | None = "person") -> Q:
        """Filter for rows that carry the place ids of a person (district … building) and,
        when `person_field` is given, the person they are about: the rows of the places
        whose person files the user sees, plus those of the people granted to it."""
        if self.everything:
            return Q()
        q = Q(pk__in=[])
        for level in _COLUMNS["person"]:
            ids = self.people_ids.get(level)
            if ids:
                q |= Q(**{f"{level}_id__in": sorted(ids)})
        if person_field is not None and self.person_pks:
            q |= Q(**{f"{person_field}_id__in": sorted(self.person_pks)})
        return q

    def dwelling_q(self) -> Q:
        """Filter for Dwelling rows (which carry building and zone ids)."""
        if self.everything:
            return Q()
        q = Q(pk__in=[])
        for level, column in (
            ("building", "building_id"),
            ("zone", "zone_id"),
            ("community", "zone__community_id"),
            ("street", "zone__street_id"),
            ("district", "zone__district_id"),
        ):
            ids = self.ids.get(level)
            if ids:
                q |= Q(**{f"{column}__in": sorted(ids)})
        return q

    @property
    def people_ids(self) -> dict[str, frozenset[int]]:
        """Per level, the places whose person files the user sees."""
        return self._for("person")

    def covers(self, level: str, obj) -> bool:
        """Whether a place object (or person) lies inside the scope, without a query."""
        if level == "person" and obj.pk in self.person_pks:
            return True
        return self.everything or self._inside(self._for(level), level, obj)

    def covers_people_of(self, level: str, obj) -> bool:
        """Whether the person files of a place lie inside the scope (imports, exports)."""
        return self.everything or self._inside(self._for("person"), level, obj)

    @staticmethod
    def _inside(chosen: dict[str, frozenset[int]], level: str, obj) -> bool:
        for column_level in _COLUMNS[level]:
            value = obj.pk if column_level == level else getattr(obj, f"{column_level}_id", None)
            if value is not None and value in chosen.get(column_level, ()):
                return True
        return False


NOTHING = Scope()


def scope_for(user) -> Scope:
    """The scope of a user, computed once per request (cached on the user object)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOTHING
    cached = getattr(user, "_fangyi_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        scope = Scope(everything=True)
    else:
        from fangyi.duty.models import Assignment, Staff

        ids: dict[str, set[int]] = {level: set() for level in LEVELS}
        person_ids: dict[str, set[int]] = {level: set() for level in LEVELS}
        rows = Assignment.objects.filter(staff__user=user, staff__active=True).values_list(
            *(f"{level}_id" for level in LEVELS), "staff__role", "staff_id"
        )
        staff: tuple[int, str] | None = None
        for *places, role, staff_id in rows:
            staff = (staff_id, role)
            for level, value in zip(LEVELS, places, strict=True):
                if value is not None:
                    ids[level].add(value)
                    if role not in PLACES_ONLY_ROLES:
                        person_ids[level].add(value)
        if staff is None:  # no place: a volunteer may still serve somebody
            staff = Staff.objects.filter(user=user, active=True).values_list("id", "role").first()
        granted: set[int] = set()
        if staff is not None and staff[1] in PLACES_ONLY_ROLES:
            for grant in _PERSON_GRANTS:
                granted.update(grant(staff[0]))
        scope = Scope(
            ids={level: frozenset(v) for level, v in ids.items()},
            person_ids={level: frozenset(v) for level, v in person_ids.items()},
            person_pks=frozenset(granted),
        )
    user._fangyi_scope = scope
    return scope


def is_places_only(user) -> bool:
    """Whether the user's role works at places without keeping person files (a gate guard
    or a volunteer, not an operator)."""
    if user is None or not user.is_authenticated or user.is_superuser:
        return False
    staff = getattr(user, "staff", None)
    return staff is not None and staff.role in PLACES_ONLY_ROLES


def keeps_files(user, level: str, obj) -> bool:
    """Whether the user keeps the person files of a place (`level` district … building)
    or one person file (`level` "person"), and so may change them. Grants do not count."""
    return scope_for(user).covers_people_of(level, obj)


def keeps_any_files(user) -> bool:
    """Whether the user keeps the person files of some place (an operator, or a role
    that is not places-only with an assignment)."""
    scope = scope_for(user)
    return scope.everything or any(scope.people_ids.values())


def require_files(user, level: str, obj) -> None:
    """Refuse (PermissionDenied, with the reason) unless `user` is the system (None) or
    keeps the person files of `obj`."""
    if user is None or keeps_files(user, level, obj):
        return
    raise PermissionDenied(ERR_PLACES_ONLY if is_places_only(user) else ERR_NOT_YOUR_FILES)
