"""The permission matrix: who may do what, for every URL of the site and every API operation.

Two tables say, for every named URL (PAGES) and every API operation (API), which demo
personas may read it (GET) and which may do its write (POST, PATCH…); ADMIN_MAY says what
the operator may do in the Django admin. The test builds the demo district, points every
URL at objects of the demo logins' first zone (persons, cases, orders… in its first
building, where the grid worker works too), and sends every method of every row as every
persona and as an anonymous visitor, each request in a savepoint that is rolled back.
Writes carry a small valid body, so that a refusal comes from the permission.

The answers compared are classes, not exact codes (the point is the permission):

- OK     let through: 200, 201, a redirect that is not to a login page, or a refusal of
         the input (400, 422);
- NO     refused: 403 or 404 (out of scope and non-existent are both 404);
- LOGIN  a redirect to the login page, or 401 from the API.

A persona named in a cell gets OK; any other logged-in persona gets NO; the anonymous
visitor gets LOGIN unless the cell names it (PUBLIC: the residents' pages). A refused
request must also write nothing (no INSERT, UPDATE or DELETE on the project's tables).

The rules are docs/design.md ("Scope"), DESIGN.md's roles, the apps' docs and issue 12:
guards and volunteers see places and no person files (except those of the people a
volunteer serves now), and write nothing they may not read; out of scope is 404. Where
today's code answers differently, the cell keeps the rule and KNOWN_DEVIATIONS names the
gap and its reason: the test stays green and prints the gap, warns when the gap is closed
(remove the entry then), and fails on any other difference.

A URL name, API operation or admin model without a row fails
`test_every_url_and_operation_has_a_row`, and so does a row that names none.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import re
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from fangyi.conftest import make_id_number
from fangyi.reports.issued import daily_reports_issue

# --- who -----------------------------------------------------------------------------------

# The demo logins (`fangyi demo --print-logins`): operator, district leader, the cadre of the
# first street, the secretary and the station doctor of its first community, the gate
# guard, property manager and volunteer of that community's first zone, the grid worker of
# that zone's first building.
PERSONAS = (
    "admin", "leader", "cadre", "secretary", "grid", "property", "doctor", "guard", "volunteer",
)  # fmt: skip
ANONYMOUS = "anonymous"
DEMO_PASSWORD = "fangyi-demo"

ALL_STAFF = frozenset(PERSONAS)
PLACES_ONLY = frozenset({"guard", "volunteer"})  # see places, keep no person files
FILE_KEEPERS = ALL_STAFF - PLACES_ONLY  # keep the person files of their places
PUBLIC = ALL_STAFF | {ANONYMOUS}  # the residents' pages (no login)
OPERATOR = frozenset({"admin"})
NOBODY = frozenset[str]()
# The zone is above the grid worker's building: zone-wide pages are out of its scope.
ZONE_STAFF = ALL_STAFF - {"grid"}
ZONE_FILE_KEEPERS = FILE_KEEPERS - {"grid"}
# Map editors: the zone's staff except the read-only roles (docs/maps.md).
MAP_EDITORS = ZONE_FILE_KEEPERS
# The community (the demo campaign's place, the daily report's): the grid worker, the
# property manager, the guard and the volunteer work below it.
COMMUNITY_FILE_KEEPERS = frozenset({"admin", "leader", "cadre", "secretary", "doctor"})
# The whole district: its issued daily reports (reports.issued).
DISTRICT_STAFF = frozenset({"admin", "leader"})
# The demo campaign covers the community; its one team is led by the grid worker.
CAMPAIGN_MANAGERS = COMMUNITY_FILE_KEEPERS
CAMPAIGN_VIEWERS = CAMPAIGN_MANAGERS | {"grid"}
# Gates: operators, and those posted to the gate or assigned to its zone (docs/passes.md).
GATE_CHECKERS = frozenset({"admin", "guard", "property", "volunteer"})
# A gate check is decided by the guard who made it (docs/passes.md).
CHECK_OWNER = frozenset({"guard"})
# A background job and its file are its owner's only (docs/jobs.md); the test's job is
# the secretary's.
JOB_OWNER = frozenset({"secretary"})
# Support: manager pages answer 403 to volunteers (docs/support.md) and show the others
# what their scope holds; a zone's round is above the grid worker's building. Changes are
# the file keepers' (support.services): a guard is refused a catalogue item (403) and is
# offered no zone on the roster, care group and supplier forms (a forged one is 422).
SUPPORT_MANAGERS = ALL_STAFF - {"volunteer"}
ZONE_SUPPORT_MANAGERS = SUPPORT_MANAGERS - {"grid"}
# The test's quarantine case, door delivery, request and recurring visit are of a person the
# volunteer serves now (docs/design.md): it reads that file and does its own part of the
# work (deliver, done), and changes nothing else.
SERVES = FILE_KEEPERS | {"volunteer"}

# --- answers -------------------------------------------------------------------------------

OK, NO, LOGIN = "OK", "NO", "LOGIN"
GET, POST, PATCH = "GET", "POST", "PATCH"

# fmt: off
# Pages: URL name → {method: who gets OK}. Methods a URL does not take are left out.
PAGES: dict[str, dict[str, frozenset[str]]] = {
    "home":                          {GET: ALL_STAFF},
    "login":                         {GET: PUBLIC, POST: PUBLIC},
    "logout":                        {POST: PUBLIC},
    "password_change":               {GET: ALL_STAFF, POST: ALL_STAFF},
    "password_change_done":          {GET: ALL_STAFF},
    "set_language":                  {POST: PUBLIC},
    # For the proxy and Prometheus; /metrics answers loopback (the test client's address)
    # only: tests/test_metrics.py.
    "healthz":                       {GET: PUBLIC},
    "metrics":                       {GET: PUBLIC},
    "place":                         {GET: ALL_STAFF},
    "dwelling":                      {GET: ALL_STAFF, POST: FILE_KEEPERS},  # POST: move in
    "person_create":                 {GET: FILE_KEEPERS, POST: FILE_KEEPERS},
    "person":                        {GET: FILE_KEEPERS},
    "person_edit":                   {GET: FILE_KEEPERS, POST: FILE_KEEPERS},
    "person_reveal":                 {POST: FILE_KEEPERS},
    "search":                        {GET: ALL_STAFF},  # guards and volunteers find nobody
    # Close contacts: the staff keeping the index person's file (or treating them).
    "contacts:list":                 {GET: FILE_KEEPERS},
    "contacts:new":                  {GET: FILE_KEEPERS, POST: FILE_KEEPERS},
    "contacts:quarantine":           {POST: FILE_KEEPERS},
    "quarantine:worklists":          {GET: ALL_STAFF},
    "quarantine:facilities":         {GET: ALL_STAFF},  # capacity, no personal data
    "quarantine:intake":             {GET: FILE_KEEPERS, POST: FILE_KEEPERS},
    "quarantine:intake_places":      {GET: FILE_KEEPERS},  # the intake's place picker
    # The case's person is served by the volunteer: it may read the case, not change it.
    "quarantine:case":               {GET: SERVES},
    "quarantine:action":             {POST: FILE_KEEPERS},
    "quarantine:test_result":        {POST: FILE_KEEPERS},
    "quarantine:document":           {GET: SERVES},
    "quarantine:alert":              {POST: FILE_KEEPERS},
    # The one alerts page: every staff role has one (a guard: its gates' fevers); acting on
    # the case's alert is for those who keep the person's file (health.selectors).
    "alerts:list":                   {GET: ALL_STAFF},
    "alerts:action":                 {POST: FILE_KEEPERS},
    "quarantine:checkin_reissue":    {POST: FILE_KEEPERS},
    "checkin":                       {GET: PUBLIC, POST: PUBLIC},  # the signed link
    "passes:apply":                  {GET: PUBLIC, POST: PUBLIC},
    "passes:apply_buildings":        {GET: PUBLIC},
    "passes:apply_rooms":            {GET: PUBLIC},
    "passes:pass":                   {GET: PUBLIC},  # the secret link is the credential
    "passes:pass_status":            {GET: PUBLIC},
    "passes:pass_pdf":               {GET: PUBLIC},
    "passes:gates":                  {GET: ALL_STAFF},
    "passes:gate_sw":                {GET: PUBLIC},  # the gate page's service worker: no data
    "passes:gate":                   {GET: GATE_CHECKERS},
    "passes:check":                  {POST: GATE_CHECKERS},
    "passes:visitor":                {POST: GATE_CHECKERS},
    "passes:decide":                 {POST: CHECK_OWNER},
    "passes:queue":                  {GET: ALL_STAFF},
    "passes:application":            {POST: FILE_KEEPERS},  # approve
    "passes:person":                 {GET: FILE_KEEPERS},
    "passes:person_action":          {POST: FILE_KEEPERS},  # issue
    "passes:board":                  {GET: ALL_STAFF},
    "passes:fevers":                 {GET: ALL_STAFF},
    "passes:fever_review":           {POST: ZONE_FILE_KEEPERS},  # never the guard
    "reports:overview":              {GET: ALL_STAFF},
    "reports:zone_map":              {GET: ZONE_STAFF},
    "reports:poster":                {GET: ZONE_STAFF},
    "reports:base_image":            {GET: ZONE_STAFF, POST: MAP_EDITORS},
    "reports:base_image_remove":     {POST: MAP_EDITORS},
    "reports:building":              {GET: ALL_STAFF},
    "reports:polygon":               {POST: MAP_EDITORS},
    "reports:stats":                 {GET: ZONE_STAFF},  # ?place=zone:…
    # Recorded in a zone whose files one keeps: the building's grid worker keeps no zone's.
    "reports:case_new":              {GET: ZONE_FILE_KEEPERS, POST: ZONE_FILE_KEEPERS},
    "reports:daily":                 {GET: COMMUNITY_FILE_KEEPERS},  # ?place=community:…
    "reports:daily_issued":          {GET: DISTRICT_STAFF},  # as issued this morning
    "reports:unverified":            {GET: ALL_STAFF},  # guards and volunteers: none listed
    "screening:index":               {GET: ALL_STAFF},
    "screening:sw":                  {GET: PUBLIC},  # the team page's service worker: no data
    "screening:campaign_new":        {GET: ZONE_FILE_KEEPERS, POST: ZONE_FILE_KEEPERS},
    "screening:campaign":            {GET: CAMPAIGN_VIEWERS},
    "screening:campaign_edit":       {GET: CAMPAIGN_MANAGERS, POST: CAMPAIGN_MANAGERS},
    "screening:campaign_close":      {POST: CAMPAIGN_MANAGERS},
    "screening:campaign_reopen":     {POST: CAMPAIGN_MANAGERS},
    "screening:team_new":            {POST: CAMPAIGN_MANAGERS},
    "screening:team":                {GET: CAMPAIGN_VIEWERS},
    "screening:team_edit":           {GET: CAMPAIGN_MANAGERS, POST: CAMPAIGN_MANAGERS},
    "screening:team_dissolve":       {POST: CAMPAIGN_MANAGERS},
    "screening:visit":               {GET: CAMPAIGN_VIEWERS, POST: CAMPAIGN_VIEWERS},
    "screening:place_people":        {GET: ZONE_FILE_KEEPERS},
    "screening:export":              {GET: ZONE_FILE_KEEPERS, POST: ZONE_FILE_KEEPERS},
    "screening:import_upload":       {POST: ZONE_FILE_KEEPERS},
    "screening:import_check":        {GET: ZONE_FILE_KEEPERS, POST: ZONE_FILE_KEEPERS},
    "screening:duplicates":          {GET: ALL_STAFF},
    "screening:merge":               {POST: FILE_KEEPERS},
    "jobs:index":                    {GET: ALL_STAFF},
    "jobs:detail":                   {GET: JOB_OWNER},
    "jobs:progress":                 {GET: JOB_OWNER},
    "jobs:download":                 {GET: JOB_OWNER},
    "support:home":                  {GET: ALL_STAFF},
    "support:round":                 {GET: ZONE_SUPPORT_MANAGERS},
    "support:labels":                {GET: ZONE_SUPPORT_MANAGERS},
    "support:order_new":             {GET: FILE_KEEPERS, POST: FILE_KEEPERS},  # ?person=…
    "support:order_assign":          {POST: FILE_KEEPERS},
    "support:order_deliver":         {POST: SERVES},
    "support:order_cancel":          {POST: FILE_KEEPERS},
    "support:link_reissue":          {POST: FILE_KEEPERS},
    "support:requests":              {GET: ALL_STAFF, POST: FILE_KEEPERS},  # POST ?person=…
    "support:request":               {GET: SERVES},
    "support:request_action":        {POST: SERVES},  # done
    "support:visits":                {GET: ALL_STAFF, POST: FILE_KEEPERS},  # POST ?person=…
    "support:visit_done":            {POST: SERVES},
    "support:volunteers":            {GET: SUPPORT_MANAGERS, POST: SUPPORT_MANAGERS},
    "support:care_groups":           {GET: SUPPORT_MANAGERS, POST: SUPPORT_MANAGERS},
    "support:suppliers":             {GET: SUPPORT_MANAGERS, POST: SUPPORT_MANAGERS},
    "support:supplier":              {GET: ZONE_SUPPORT_MANAGERS, POST: ZONE_FILE_KEEPERS},
    "support:resident":              {GET: PUBLIC, POST: PUBLIC},  # the signed link
    # The API's own pages: the schema, and Swagger UI for logged-in staff.
    "api:openapi-json":              {GET: PUBLIC},
    "api:openapi-view":              {GET: ALL_STAFF},
}

# API operations: "METHOD path" as in /api/openapi.json → who gets OK.
API: dict[str, frozenset[str]] = {
    "GET /api/places/":                                    ALL_STAFF,
    "GET /api/places/{level}/{place_id}":                  ALL_STAFF,
    "GET /api/people/":                                    ALL_STAFF,  # in scope: none for guards
    "POST /api/people/":                                   FILE_KEEPERS,
    "GET /api/people/{person_id}":                         FILE_KEEPERS,
    "PATCH /api/people/{person_id}":                       FILE_KEEPERS,
    "GET /api/people/{person_id}/history":                 FILE_KEEPERS,
    "POST /api/people/{person_id}/reveal":                 FILE_KEEPERS,
    "POST /api/exposures":                                 FILE_KEEPERS,
    "GET /api/people/{person_id}/exposures":               FILE_KEEPERS,
    "GET /api/quarantine/cases":                           ALL_STAFF,
    "POST /api/quarantine/cases":                          FILE_KEEPERS,
    "GET /api/quarantine/cases/{case_id}":                 SERVES,
    "POST /api/quarantine/cases/{case_id}/transitions":    FILE_KEEPERS,
    "POST /api/quarantine/cases/{case_id}/tests":          FILE_KEEPERS,
    "POST /api/quarantine/tests/{test_id}/result":         FILE_KEEPERS,
    "GET /api/quarantine/cases/{case_id}/checks":          SERVES,
    "POST /api/quarantine/cases/{case_id}/checks":         FILE_KEEPERS,
    "GET /api/quarantine/alerts":                          ALL_STAFF,
    "GET /api/alerts":                                     ALL_STAFF,
    "POST /api/alerts/{alert_id}/acknowledge":             FILE_KEEPERS,
    "POST /api/alerts/{alert_id}/close":                   FILE_KEEPERS,
    "GET /api/quarantine/facilities":                      ALL_STAFF,
    "POST /api/passes/applications":                       PUBLIC,
    "GET /api/passes/applications":                        ALL_STAFF,
    "POST /api/passes/applications/{app_id}/approve":      FILE_KEEPERS,
    "POST /api/passes/applications/{app_id}/reject":       FILE_KEEPERS,
    "GET /api/gates":                                      ALL_STAFF,
    "POST /api/scans":                                     GATE_CHECKERS,
    # Offline gates (docs/offline.md): the public keys for anybody; a gate's deny list
    # (no personal data) for its checkers and the staff whose area holds the zone.
    "GET /api/passes/keys":                                PUBLIC,
    "GET /api/gates/{gate_id}/offline-list":               ZONE_STAFF,
    "POST /api/scans/batch":                               GATE_CHECKERS,
    "POST /api/scans/{check_id}/decision":                 CHECK_OWNER,
    "GET /api/gate-board":                                 ALL_STAFF,
    "GET /api/zones/{zone_id}/map":                        ZONE_STAFF,
    "GET /api/stats":                                      ZONE_STAFF,  # ?place=zone:…
    "GET /api/confirmed-cases":                            ALL_STAFF,  # in view: none for some
    "POST /api/confirmed-cases":                           ZONE_FILE_KEEPERS,
    "GET /api/screening/campaigns/{campaign_id}/progress": CAMPAIGN_VIEWERS,
    "GET /api/screening/teams/{team_id}/dwellings":        CAMPAIGN_VIEWERS,
    "POST /api/screening/visits":                          CAMPAIGN_VIEWERS,
    # A screening team offline (docs/offline.md): its list and the visits it queued.
    "GET /api/screening/teams/{team_id}/offline-list":     CAMPAIGN_VIEWERS,
    "POST /api/screening/visits/batch":                    CAMPAIGN_VIEWERS,
    "GET /api/support/orders":                             ALL_STAFF,
    "POST /api/support/orders":                            FILE_KEEPERS,
    "POST /api/support/orders/{order_id}/deliver":         SERVES,
    "GET /api/support/rounds/{zone_id}/{date}":            ZONE_SUPPORT_MANAGERS,
    "GET /api/support/requests":                           ALL_STAFF,
    "POST /api/support/requests":                          FILE_KEEPERS,
    "POST /api/support/requests/{request_id}/done":        SERVES,
    "GET /api/support/visits/due":                         ALL_STAFF,
    "GET /api/support/counts":                             ALL_STAFF,
    # The key of the offline pages' store on the phone: the user's own (docs/offline.md).
    "GET /api/offline/key":                                ALL_STAFF,
}
# fmt: on

# The Django admin: operators only; everyone else is sent to the admin's login page (LOGIN
# for them too). Per model, what the operator may do besides viewing; the history of files
# and the access log are never changed or deleted (issue 12).
ADMIN_MAY: dict[str, str] = {
    "auth.group": "add change delete",
    "auth.user": "add change delete",
    "axes.accessattempt": "delete",
    "axes.accesslog": "",
    "axes.accessfailurelog": "delete",
    "places.district": "add change delete",
    "places.street": "add change delete",
    "places.community": "add change delete",
    "places.zone": "add change delete",
    "places.building": "add change delete",
    "places.dwelling": "add change delete",
    "places.household": "add change delete",
    "people.person": "",  # erasure on request is a logged service (issue 12)
    "people.personevent": "",
    "duty.staff": "add change delete",
    "duty.apitoken": "change delete",
    "audit.accesslog": "",
    "quarantine.facility": "add change delete",
    "quarantine.quarantinecase": "",
    "reports.confirmedcase": "add change delete",
    "reports.zonemap": "add change delete",
    "jobs.job": "change delete",
    "jobs.workerbeat": "",  # kept by the workers
    "jobs.periodicrun": "",
    "django_tasks_database.dbtaskresult": "",  # the job queue, kept by the workers
    "retention.erasure": "",
    "retention.purge": "",
}


@dataclass(frozen=True)
class Deviation:
    """A cell where today's code answers differently from the rule, and why."""

    name: str  # PAGES or API key, or "admin:…"
    method: str
    who: frozenset[str]
    answer: str  # what today's code answers
    why: str


# Gaps between the rule and today's code, each printed by the test. When a gap is closed the
# test warns until its entry is removed; any other answer fails.
KNOWN_DEVIATIONS: list[Deviation] = []


# --- the URL configuration -----------------------------------------------------------------


def _named_urls() -> dict[str, str]:
    """Every named URL of the site (namespace:name) → its route."""
    found: dict[str, str] = {}

    def walk(patterns, prefix: str, namespace: str | None) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace or None
                if inner and namespace:
                    inner = f"{namespace}:{inner}"
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
                found.setdefault(name, prefix + str(pattern.pattern))

    walk(get_resolver().url_patterns, "/", None)
    return found


def _api_operations() -> set[str]:
    """Every operation of the API's OpenAPI document, as "METHOD /path"."""
    from fangyi.api import api

    schema = api.get_openapi_schema()
    return {
        f"{method.upper()} {path}"
        for path, operations in schema["paths"].items()
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }


def _admin_model(name: str) -> str | None:
    """The model of an admin URL name ("admin:people_person_change" → "people.person"), or
    None for the admin's own pages."""
    from django.contrib import admin

    for model in admin.site._registry:
        label = f"{model._meta.app_label}_{model._meta.model_name}_"
        if name.removeprefix("admin:").startswith(label):
            return model._meta.label_lower
    return None


# The admin's own pages (not of a model). The index and each app's list are sent; the others
# are Django's plumbing behind the same gate (its login and logout, password pages, the
# translations catalogue, autocomplete, "view on site").
ADMIN_PAGES = {"admin:index", "admin:app_list", "admin:login", "admin:logout",
               "admin:password_change", "admin:password_change_done", "admin:jsi18n",
               "admin:autocomplete", "admin:view_on_site"}  # fmt: skip


def test_every_url_and_operation_has_a_row():
    """A URL name or API operation without a row, or a row that names none, fails."""
    names = _named_urls()
    operations = _api_operations()
    api_pages = {n for n in names if n.startswith("api:")} - set(PAGES)
    # django-ninja names one URL per operation function; the operations are rows of API.
    pages = {n for n in names if not n.startswith("admin:")} - api_pages
    problems = [f"URL {n} ({names[n]}) has no row in PAGES" for n in sorted(pages - set(PAGES))]
    problems += [f"PAGES row {n} names no URL" for n in sorted(set(PAGES) - set(names))]
    problems += [f"API operation {o} has no row in API" for o in sorted(operations - set(API))]
    problems += [f"API row {o} names no operation" for o in sorted(set(API) - operations)]
    admin_models = {_admin_model(n) for n in names if n.startswith("admin:")} - {None}
    problems += [f"admin model {m} has no row in ADMIN_MAY" for m in sorted(admin_models - set(ADMIN_MAY))]  # fmt: skip
    problems += [f"ADMIN_MAY row {m} names no admin model" for m in sorted(set(ADMIN_MAY) - admin_models)]  # fmt: skip
    own = {n for n in names if n.startswith("admin:") and _admin_model(n) is None}
    problems += [f"admin page {n} is not in ADMIN_PAGES" for n in sorted(own - ADMIN_PAGES)]
    for deviation in KNOWN_DEVIATIONS:
        if (
            deviation.name not in PAGES
            and deviation.name not in API
            and deviation.name not in names
        ):
            problems.append(f"KNOWN_DEVIATIONS names no row: {deviation.name}")
    assert not problems, "\n".join(problems)


# --- the demo objects the URLs point at ----------------------------------------------------


@dataclass
class Objects:
    """One object of each kind, all in the demo logins' first zone (persons, cases, orders…
    in the grid worker's building), so that a persona in scope is let in."""

    users: dict[str, object]
    zone: object
    building: object
    dwelling: object
    person: object  # has a valid pass; no volunteer serves it
    other: object  # another person of the building, in another dwelling
    case: object  # open, of a person of the building whom the volunteer serves
    test: object
    alert: object
    gate: object
    check: object  # made by the guard at that gate
    fever: object
    application: object
    pass_obj: object
    campaign: object
    team: object
    order: object  # placed, to the door, given to the volunteer
    item: object  # of the catalogue of the zone's next round
    request: object  # assigned to the volunteer
    visit: object  # a recurring visit of the volunteer
    supplier: object
    job: object  # the secretary's, done, with its file
    upload_token: str  # an import checked by each persona (a file per user)
    resident_token: str
    checkin_token: str
    exposure: object  # of the other person to the person, recorded by the system
    today: dt.date


def _png() -> bytes:
    from PIL import Image

    handle = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(handle, "PNG")
    return handle.getvalue()


def _objects(tmp_path) -> Objects:
    from fangyi.duty.models import Assignment
    from fangyi.duty.scope import scope_for
    from fangyi.health.models import Alert
    from fangyi.jobs.choices import JobKind, JobStatus
    from fangyi.jobs.conf import files_dir
    from fangyi.jobs.models import Job
    from fangyi.passes.models import GateCheck, Pass, PassApplication
    from fangyi.people.models import Person
    from fangyi.quarantine import checkin
    from fangyi.quarantine.choices import ACTIVE_STATES
    from fangyi.quarantine.models import QuarantineCase
    from fangyi.reports.models import ZoneMap
    from fangyi.screening.models import Campaign
    from fangyi.support import links, rules, services
    from fangyi.support.models import Order, RecurringVisit, ServiceRequest, Supplier
    from fangyi.support.selectors import catalogue_for_zone

    users = {u.username: u for u in get_user_model().objects.filter(username__in=PERSONAS)}
    assert set(users) == set(PERSONAS)
    building = Assignment.objects.get(staff__user__username="grid").building
    zone = building.zone
    assert Assignment.objects.filter(staff__user__username="guard", zone=zone).exists()
    served = scope_for(users["volunteer"]).person_pks
    now = timezone.now()
    valid = Pass.objects.filter(revoked_at__isnull=True, expires_at__gt=now)
    open_cases = QuarantineCase.objects.filter(state__in=ACTIVE_STATES)
    person = (
        Person.objects.filter(building=building, dwelling__isnull=False, passes__in=valid)
        .exclude(pk__in=served)
        .exclude(quarantine_cases__in=open_cases)
        .order_by("id")
        .first()
    )
    other = (
        Person.objects.filter(building=building)
        .exclude(pk__in=served)
        .exclude(dwelling=person.dwelling)
        .order_by("id")
        .first()
    )
    # Quarantined people get their bags at the door: the case's person is one the
    # volunteer serves, whose file (and case) it may read but not change.
    case = open_cases.filter(person__building=building, person__in=served).order_by("id").first()
    check = GateCheck.objects.filter(guard=users["guard"], zone=zone).order_by("-id").first()
    assert None not in (person, other, case, check), "the demo's first zone lacks what is needed"
    order = Order.objects.filter(
        deliverer__user__username="volunteer", status="placed", building=building
    ).first()
    values = services.policy_values()
    round_day = rules.round_date_for(now, values)
    job = Job.objects.create(
        user=users["secretary"], kind=JobKind.EXPORT, status=JobStatus.DONE,
        result_file="matrix.xlsx", result_name="matrix.xlsx", finished_at=now,
    )  # fmt: skip
    (files_dir() / "matrix.xlsx").write_bytes(b"PK")
    upload_token = "matrix0upload"
    imports = tmp_path / "imports"
    imports.mkdir(exist_ok=True)
    for user in users.values():
        (imports / f"{user.pk}-{upload_token}").write_text("姓名,身份证号\n", encoding="utf-8")
    _admin_rows(users["admin"], other)
    name = default_storage.save(f"zone-maps/{zone.pk}-matrix.png", ContentFile(_png()))
    ZoneMap.objects.update_or_create(
        zone=zone, defaults={"base_image": name, "image_width": 4, "image_height": 4}
    )
    objects = Objects(
        users=users,
        zone=zone,
        building=building,
        dwelling=person.dwelling,
        person=person,
        other=other,
        case=case,
        test=case.tests.order_by("id").first(),
        alert=Alert.objects.filter(case=case).order_by("id").first()
        or Alert.objects.filter(case__zone=zone).order_by("id").first(),
        gate=check.gate,
        check=check,
        fever=_gate_fever(check, building),
        application=PassApplication.objects.filter(building=building, status="pending")
        .order_by("id")
        .first(),
        pass_obj=valid.filter(person=person).first(),
        campaign=Campaign.objects.get(teams__areas__building=building),
        team=Campaign.objects.get(teams__areas__building=building).teams.first(),
        order=order,
        item=catalogue_for_zone(zone.pk, round_day).first(),
        request=ServiceRequest.objects.filter(
            assigned_to__user__username="volunteer", status="assigned", building=building
        ).first(),
        visit=RecurringVisit.objects.filter(
            volunteer__user__username="volunteer", building=building
        ).first(),
        supplier=Supplier.objects.filter(zones=zone).order_by("id").first(),
        job=job,
        upload_token=upload_token,
        resident_token=links.resident_token(person),
        checkin_token=checkin.checkin_token(case),
        exposure=_exposure(person, other),
        today=timezone.localdate(),
    )
    missing = [name for name, value in vars(objects).items() if value is None]
    assert not missing, f"the demo has no {missing} in the first zone as the matrix needs"
    return objects


def _gate_fever(check, building):
    """An open gate fever the zone's file keepers review and the grid worker does not: a
    resident's outside the grid worker's building (whose files it keeps), else a visitor's
    at the guard's gate (routed by the gate's zone)."""
    from decimal import Decimal

    from fangyi.health.alerts import raise_alert
    from fangyi.health.models import Alert
    from fangyi.passes.models import GateCheck

    found = (
        Alert.objects.filter(gate_check__zone=check.zone, source="gate", status="open")
        .exclude(building=building)
        .order_by("id")
        .first()
    )
    if found is not None:
        return found
    visitor = GateCheck.objects.create(
        gate=check.gate, zone=check.zone, guard=check.guard, at=check.at, method="visitor",
        visitor_name="矩阵访客", temperature=Decimal("38.0"), fever=True, colour="yellow",
        reason="fever_now", policy=check.policy, decision="held",
    )  # fmt: skip
    return raise_alert(
        kind="fever", person=None, source="gate", zone=check.zone, gate_check=visitor,
        temperature=Decimal("38.0"),
    )  # fmt: skip


def _exposure(person, other):
    from fangyi.health.exposures import exposure_record

    today = timezone.localdate()
    return exposure_record(
        by=None,
        index_person=person,
        contact=other,
        kind="household",
        first_exposure_on=today,
        last_exposure_on=today,
    ).exposure


def _admin_rows(operator, person) -> None:
    """Rows the admin's pages are sent for: a district with nothing under it (deleting the
    demo's would collect all of it), a change in a file's history, an access-log row."""
    from fangyi.audit.services import reveal_field
    from fangyi.people.services import person_update
    from fangyi.places.models import District

    District.objects.create(name="矩阵区", code="449999")
    person_update(user=None, person=person, values={"notes": "矩阵"})
    reveal_field(user=operator, person=person, field="phone", ip="127.0.0.1")


# Where each page points (a URL without arguments needs no entry).
URLS: dict[str, Callable[[Objects], str]] = {
    "place": lambda o: reverse("place", args=["building", o.building.pk]),
    "dwelling": lambda o: reverse("dwelling", args=[o.dwelling.pk]),
    "person_create": lambda o: reverse("person_create", args=[o.dwelling.pk]),
    "person": lambda o: reverse("person", args=[o.person.pk]),
    "person_edit": lambda o: reverse("person_edit", args=[o.person.pk]),
    "person_reveal": lambda o: reverse("person_reveal", args=[o.person.pk, "phone"]),
    "search": lambda o: reverse("search") + f"?q={o.person.name}",
    "contacts:list": lambda o: reverse("contacts:list", args=[o.person.pk]),
    "contacts:new": lambda o: reverse("contacts:new", args=[o.person.pk]),
    "contacts:quarantine": lambda o: reverse("contacts:quarantine", args=[o.exposure.pk]),
    "quarantine:case": lambda o: reverse("quarantine:case", args=[o.case.pk]),
    "quarantine:action": lambda o: reverse("quarantine:action", args=[o.case.pk, "check"]),
    "quarantine:test_result": lambda o: reverse(
        "quarantine:test_result", args=[o.case.pk, o.test.pk]
    ),
    "quarantine:document": lambda o: reverse("quarantine:document", args=[o.case.pk, "notice"]),
    "quarantine:alert": lambda o: reverse("quarantine:alert", args=[o.alert.pk, "acknowledge"]),
    "alerts:action": lambda o: reverse("alerts:action", args=[o.alert.pk, "acknowledge"]),
    "quarantine:checkin_reissue": lambda o: reverse("quarantine:checkin_reissue", args=[o.case.pk]),
    "checkin": lambda o: reverse("checkin", args=[o.checkin_token]),
    "passes:apply_buildings": lambda o: reverse("passes:apply_buildings") + f"?zone={o.zone.pk}",
    "passes:apply_rooms": lambda o: reverse("passes:apply_rooms") + f"?building={o.building.pk}",
    "passes:pass": lambda o: reverse("passes:pass", args=[o.pass_obj.link_key]),
    "passes:pass_status": lambda o: reverse("passes:pass_status", args=[o.pass_obj.link_key]),
    "passes:pass_pdf": lambda o: reverse("passes:pass_pdf", args=[o.pass_obj.link_key]),
    "passes:gate": lambda o: reverse("passes:gate", args=[o.gate.pk]),
    "passes:check": lambda o: reverse("passes:check", args=[o.gate.pk]),
    "passes:visitor": lambda o: reverse("passes:visitor", args=[o.gate.pk]),
    "passes:decide": lambda o: reverse("passes:decide", args=[o.check.pk]),
    "passes:application": lambda o: reverse(
        "passes:application", args=[o.application.pk, "approve"]
    ),
    "passes:person": lambda o: reverse("passes:person", args=[o.person.pk]),
    "passes:person_action": lambda o: reverse("passes:person_action", args=[o.person.pk, "issue"]),
    "passes:fever_review": lambda o: reverse("passes:fever_review", args=[o.fever.pk]),
    "reports:zone_map": lambda o: reverse("reports:zone_map", args=[o.zone.pk]),
    "reports:poster": lambda o: reverse("reports:poster", args=[o.zone.pk]),
    "reports:base_image": lambda o: reverse("reports:base_image", args=[o.zone.pk]),
    "reports:base_image_remove": lambda o: reverse("reports:base_image_remove", args=[o.zone.pk]),
    "reports:building": lambda o: reverse("reports:building", args=[o.building.pk]),
    "reports:polygon": lambda o: reverse("reports:polygon", args=[o.building.pk]),
    "reports:stats": lambda o: reverse("reports:stats") + f"?place=zone:{o.zone.pk}",
    "reports:daily": lambda o: reverse("reports:daily") + f"?place=community:{o.zone.community_id}",
    "reports:daily_issued": lambda o: reverse(
        "reports:daily_issued", args=[o.zone.district_id, timezone.localdate().isoformat()]
    ),
    "screening:campaign_new": lambda o: reverse("screening:campaign_new", args=["zone", o.zone.pk]),
    "screening:campaign": lambda o: reverse("screening:campaign", args=[o.campaign.pk]),
    "screening:campaign_edit": lambda o: reverse("screening:campaign_edit", args=[o.campaign.pk]),
    "screening:campaign_close": lambda o: reverse("screening:campaign_close", args=[o.campaign.pk]),
    "screening:campaign_reopen": lambda o: reverse(
        "screening:campaign_reopen", args=[o.campaign.pk]
    ),
    "screening:team_new": lambda o: reverse("screening:team_new", args=[o.campaign.pk]),
    "screening:team": lambda o: reverse("screening:team", args=[o.team.pk]),
    "screening:team_edit": lambda o: reverse("screening:team_edit", args=[o.team.pk]),
    "screening:team_dissolve": lambda o: reverse("screening:team_dissolve", args=[o.team.pk]),
    "screening:visit": lambda o: reverse("screening:visit", args=[o.team.pk, o.dwelling.pk]),
    "screening:place_people": lambda o: reverse("screening:place_people", args=["zone", o.zone.pk]),
    "screening:export": lambda o: reverse("screening:export", args=["zone", o.zone.pk]),
    "screening:import_upload": lambda o: reverse("screening:import_upload", args=[o.zone.pk]),
    "screening:import_check": lambda o: reverse(
        "screening:import_check", args=[o.zone.pk, o.upload_token]
    ),
    "jobs:detail": lambda o: reverse("jobs:detail", args=[o.job.pk]),
    "jobs:progress": lambda o: reverse("jobs:progress", args=[o.job.pk]),
    "jobs:download": lambda o: reverse("jobs:download", args=[o.job.pk]),
    "support:round": lambda o: reverse(
        "support:round", args=[o.zone.pk, o.order.delivery_date.isoformat()]
    ),
    "support:labels": lambda o: reverse(
        "support:labels", args=[o.zone.pk, o.order.delivery_date.isoformat()]
    ),
    "support:order_new": lambda o: reverse("support:order_new") + f"?person={o.person.pk}",
    "support:order_assign": lambda o: reverse("support:order_assign", args=[o.order.pk]),
    "support:order_deliver": lambda o: reverse("support:order_deliver", args=[o.order.pk]),
    "support:order_cancel": lambda o: reverse("support:order_cancel", args=[o.order.pk]),
    "support:link_reissue": lambda o: reverse("support:link_reissue", args=[o.person.pk]),
    "support:requests": lambda o: reverse("support:requests"),
    "support:request": lambda o: reverse("support:request", args=[o.request.pk]),
    "support:request_action": lambda o: reverse(
        "support:request_action", args=[o.request.pk, "done"]
    ),
    "support:visits": lambda o: reverse("support:visits"),
    "support:visit_done": lambda o: reverse("support:visit_done", args=[o.visit.pk]),
    "support:supplier": lambda o: reverse("support:supplier", args=[o.supplier.pk]),
    "support:resident": lambda o: reverse("support:resident", args=[o.resident_token]),
}


def _new_id(seq: int) -> str:
    return make_id_number(seq, born=dt.date(1971, 5, 9), region="440310")


# What each write sends: a small body that passes the forms, so that a refusal comes from
# the permission and not from the input.
BODIES: dict[str, Callable[[Objects], dict]] = {
    "set_language": lambda o: {"language": "zh-hans"},
    "dwelling": lambda o: {"doc_number": o.other.doc_number},
    "person_create": lambda o: {
        "name": "矩阵新建",
        "doc_type": "id_card",
        "doc_number": _new_id(901),
        "travel_status": "never_left",
        "health_status": "normal",
    },
    "person_edit": lambda o: {
        "name": o.person.name,
        "doc_type": o.person.doc_type,
        "notes": "矩阵",
        "travel_status": o.person.travel_status,
        "health_status": o.person.health_status,
    },
    "quarantine:intake": lambda o: {
        "doc_type": "id_card",
        "doc_number": o.person.doc_number,
        "reason": "returned",
        "arrived_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "first_state": "home",
    },
    "quarantine:action": lambda o: {"temperature": "36.5"},
    "contacts:new": lambda o: {
        "contact_doc_type": o.other.doc_type,
        "contact_doc_number": o.other.doc_number,
        "kind": "work",
        "first_exposure_on": o.today.isoformat(),
        "last_exposure_on": o.today.isoformat(),
    },
    "quarantine:test_result": lambda o: {"result": "negative"},
    "checkin": lambda o: {"temperature": "36.5"},
    "passes:apply": lambda o: {
        "name": "矩阵申请",
        "doc_type": "id_card",
        "doc_number": _new_id(902),
        "phone": "13912345678",
        "dwelling": o.dwelling.pk,
    },
    "passes:check": lambda o: {"code": o.pass_obj.code, "temperature": "36.5"},
    "passes:visitor": lambda o: {
        "visitor_name": "访客",
        "visitor_phone": "13912345679",
        "temperature": "36.5",
    },
    "passes:decide": lambda o: {"decision": "let_in"},
    "passes:fever_review": lambda o: {"outcome": "cleared", "note": "矩阵"},
    "reports:base_image": lambda o: {"base_image": ContentFile(_png(), name="map.png")},
    "reports:case_new": lambda o: {
        "date": o.today.isoformat(),
        "zone": o.zone.pk,
        "id_number": o.person.doc_number,
    },
    "screening:campaign_new": lambda o: {
        "name": "矩阵排查",
        "starts_on": o.today.isoformat(),
        "ends_on": o.today.isoformat(),
    },
    "screening:campaign_edit": lambda o: {
        "name": o.campaign.name,
        "starts_on": o.campaign.starts_on.isoformat(),
        "ends_on": o.campaign.ends_on.isoformat(),
    },
    "screening:visit": lambda o: {"outcome": "nobody_home", "key": str(uuid.uuid4())},
    "screening:export": lambda o: {"reveal": "1"},
    "screening:merge": lambda o: {"keep": o.person.pk, "drop": o.other.pk},
    "support:order_new": lambda o: {f"item_{o.item.pk}": "1"},
    "support:order_assign": lambda o: {"staff": o.users["volunteer"].staff.pk},
    "support:requests": lambda o: {"kind": "medicine", "description": "矩阵"},
    "support:visits": lambda o: {"every_days": "3", "starts_on": o.today.isoformat()},
    "support:visit_done": lambda o: {"due_on": o.today.isoformat()},
    "support:volunteers": lambda o: {"name": "矩阵志愿者", "kind": "volunteer", "zone": o.zone.pk},
    "support:care_groups": lambda o: {"zone": o.zone.pk, "name": "矩阵关爱群"},
    "support:suppliers": lambda o: {"name": "矩阵超市", "kind": "shop", "zones": [o.zone.pk]},
    "support:supplier": lambda o: {"name": "矩阵青菜", "unit": "份", "price": "5", "stock": "9"},
    "support:resident": lambda o: {"action": "request", "kind": "medicine", "description": "矩阵"},
}
# Writes sent to another URL than the GET: raising a request or a visit for a person.
WRITE_URLS: dict[str, Callable[[Objects], str]] = {
    "support:requests": lambda o: reverse("support:requests") + f"?person={o.person.pk}",
    "support:visits": lambda o: reverse("support:visits") + f"?person={o.person.pk}",
}
JSON_BODIES = {"reports:polygon": lambda o: {"polygon": [[10, 10], [90, 10], [90, 60], [10, 60]]}}

# API path parameters by name, query strings and bodies.
API_PARAMS: dict[str, Callable[[Objects], object]] = {
    "level": lambda o: "building",
    "place_id": lambda o: o.building.pk,
    "person_id": lambda o: o.person.pk,
    "case_id": lambda o: o.case.pk,
    "alert_id": lambda o: o.alert.pk,
    "test_id": lambda o: o.test.pk,
    "app_id": lambda o: o.application.pk,
    "check_id": lambda o: o.check.pk,
    "gate_id": lambda o: o.gate.pk,
    "zone_id": lambda o: o.zone.pk,
    "campaign_id": lambda o: o.campaign.pk,
    "team_id": lambda o: o.team.pk,
    "order_id": lambda o: o.order.pk,
    "request_id": lambda o: o.request.pk,
    "date": lambda o: o.order.delivery_date.isoformat(),
}
API_QUERY = {"GET /api/stats": lambda o: f"place=zone:{o.zone.pk}"}
API_BODIES: dict[str, Callable[[Objects], dict]] = {
    "POST /api/people/": lambda o: {
        "dwelling_id": o.dwelling.pk,
        "name": "矩阵接口",
        "doc_number": _new_id(903),
    },
    "PATCH /api/people/{person_id}": lambda o: {"notes": "矩阵"},
    "POST /api/confirmed-cases": lambda o: {
        "person_id": o.person.pk,
        "date": o.today.isoformat(),
        "classification": "confirmed",
    },
    "POST /api/people/{person_id}/reveal": lambda o: {"field": "phone"},
    "POST /api/quarantine/cases": lambda o: {
        "person_id": o.person.pk,
        "reason": "returned",
        "first_state": "home",
        "arrived_at": timezone.now().isoformat(),
    },
    "POST /api/quarantine/cases/{case_id}/transitions": lambda o: {"action": "extend", "days": 1},
    "POST /api/alerts/{alert_id}/close": lambda o: {"note": "矩阵"},
    "POST /api/alerts/{alert_id}/acknowledge": lambda o: {},
    "POST /api/exposures": lambda o: {
        "index_person_id": o.person.pk,
        "contact_person_id": o.other.pk,
        "kind": "work",
        "first_exposure_on": o.today.isoformat(),
        "last_exposure_on": o.today.isoformat(),
    },
    "POST /api/quarantine/cases/{case_id}/tests": lambda o: {"sampled_on": o.today.isoformat()},
    "POST /api/quarantine/tests/{test_id}/result": lambda o: {"result": "negative"},
    "POST /api/quarantine/cases/{case_id}/checks": lambda o: {"temperature": "36.5"},
    "POST /api/passes/applications": lambda o: {
        "name": "矩阵申请",
        "doc_number": _new_id(904),
        "phone": "13912345670",
        "dwelling_id": o.dwelling.pk,
    },
    "POST /api/passes/applications/{app_id}/approve": lambda o: {},
    "POST /api/passes/applications/{app_id}/reject": lambda o: {"reason": "矩阵"},
    "POST /api/scans": lambda o: {
        "gate_id": o.gate.pk,
        "code": o.pass_obj.code,
        "temperature": "36.5",
    },
    "POST /api/scans/{check_id}/decision": lambda o: {"decision": "let_in"},
    "POST /api/scans/batch": lambda o: {
        "gate_id": o.gate.pk,
        "checks": [
            {
                "client_id": str(uuid.uuid4()),
                "code": o.pass_obj.code,
                "temperature": "36.5",
                "checked_at": timezone.now().isoformat(),
                "offline_colour": "green",
            }
        ],
    },
    "POST /api/screening/visits": lambda o: {
        "key": str(uuid.uuid4()),
        "team_id": o.team.pk,
        "dwelling_id": o.dwelling.pk,
        "outcome": "nobody_home",
    },
    "POST /api/screening/visits/batch": lambda o: {
        "team_id": o.team.pk,
        "visits": [
            {
                "key": str(uuid.uuid4()),
                "dwelling_id": o.dwelling.pk,
                "outcome": "nobody_home",
                "at": timezone.now().isoformat(),
                "list_taken_at": timezone.now().isoformat(),
            }
        ],
    },
    "POST /api/support/orders": lambda o: {
        "person_id": o.person.pk,
        "quantities": {str(o.item.pk): 1},
    },
    "POST /api/support/orders/{order_id}/deliver": lambda o: {},
    "POST /api/support/requests": lambda o: {"person_id": o.person.pk, "kind": "medicine"},
    "POST /api/support/requests/{request_id}/done": lambda o: {},
}
# Pages whose own answer is the login page (logging out): their redirect there is OK.
ANSWER_LOGIN_PAGE = {"logout"}
# After these the client's session is gone or changed: log the persona in again.
RELOGIN = {"logout", "password_change", "login"}


# --- sending -------------------------------------------------------------------------------

# Tables a refused request may still write: the session, login throttling, rate counts.
HOUSEKEEPING = ("django_session", "axes_", "core_ratecount")


WRITE_RE = re.compile(
    r"\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|UPDATE|DELETE\s+FROM)\s+[\"`]?(\w+)", re.I
)


class Writes:
    """The project's tables an INSERT, UPDATE or DELETE touched while installed."""

    def __init__(self) -> None:
        self.tables: set[str] = set()

    def __call__(self, execute, sql, params, many, context):
        match = WRITE_RE.match(sql)
        if match and not match.group(1).startswith(HOUSEKEEPING):
            self.tables.add(match.group(1))
        return execute(sql, params, many, context)


def _gate_checks() -> int:
    """Gate checks are written in plain SQL past Django's cursor (fangyi.core.sql), which
    an execute wrapper does not see: they are counted."""
    from fangyi.passes.models import GateCheck

    return GateCheck.objects.count()


def _answer(response) -> str:
    status = response.status_code
    if status == 401:
        return LOGIN
    if status in (301, 302, 303):
        path = urlsplit(response["Location"]).path
        return LOGIN if path in ("/login/", "/admin/login/") else OK
    if status in (403, 404):
        return NO
    if status >= 500 or status == 405:
        return f"HTTP {status}"
    return OK


def _expected(allowed: frozenset[str], persona: str) -> str:
    if persona in allowed:
        return OK
    return LOGIN if persona == ANONYMOUS else NO


@dataclass
class Cell:
    name: str
    method: str
    persona: str
    expected: str
    answer: str
    wrote: frozenset[str]
    url: str


def _send(client: Client, method: str, url: str, body=None, json_body=None):
    """One request in a savepoint rolled back afterwards: its answer and what it wrote."""
    writes = Writes()
    with transaction.atomic(), connection.execute_wrapper(writes):
        checks = _gate_checks() if method != GET else 0
        if method == GET:
            response = client.get(url)
        elif json_body is not None:
            response = client.generic(
                method, url, json.dumps(json_body), content_type="application/json"
            )
        else:
            response = client.post(url, body or {})
        if method != GET and _gate_checks() != checks:
            writes.tables.add("passes_gatecheck")
        transaction.set_rollback(True)
    return response, frozenset(writes.tables)


# The admin lets in active staff users only, the same way on every page: its index and
# lists are sent as every persona, the pages of one model's rows as these.
ADMIN_ROW_PERSONAS = ("admin", "leader", ANONYMOUS)
LISTS = ("_changelist", ":index")


def _admin_urls(o: Objects) -> list[tuple[str, str, str, frozenset[str]]]:
    """(name, method, url, allowed) for the admin: its index and each app's list, and
    per model its list, add form, and the change, history and delete pages of one row
    (its newest: fewest rows below it for the delete page to collect)."""
    from django.contrib import admin

    rows = [("admin:index", GET, reverse("admin:index"), OPERATOR)]
    apps = set()
    for model in admin.site._registry:
        label, meta = model._meta.label_lower, model._meta
        may = ADMIN_MAY.get(label, "").split()
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        apps.add(meta.app_label)
        rows.append((f"{prefix}_changelist", GET, reverse(f"{prefix}_changelist"), OPERATOR))
        rows.append((f"{prefix}_add", GET, reverse(f"{prefix}_add"), OPERATOR if "add" in may else NOBODY))  # fmt: skip
        row = model._default_manager.order_by("-pk").first()
        if row is None:
            continue
        for page in ("change", "history", "delete"):
            allowed = OPERATOR if page != "delete" or "delete" in may else NOBODY
            url = reverse(f"{prefix}_{page}", args=[row.pk])
            rows.append((f"{prefix}_{page}", GET, url, allowed))
        for page in ("change", "delete"):  # an empty change form: its errors, or 403
            url = reverse(f"{prefix}_{page}", args=[row.pk])
            rows.append((f"{prefix}_{page}", POST, url, OPERATOR if page in may else NOBODY))
    for app in sorted(apps):
        rows.append(("admin:app_list", GET, reverse("admin:app_list", args=[app]), OPERATOR))
    return rows


def _deviation(name: str, method: str, persona: str) -> Deviation | None:
    for deviation in KNOWN_DEVIATIONS:
        if deviation.name == name and deviation.method == method and persona in deviation.who:
            return deviation
    return None


@pytest.fixture
def demo(db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("demo", scale=0.004, seed=7, no_progress=True, stdout=io.StringIO())
    daily_reports_issue()  # this morning's report, as the worker issues it
    out = io.StringIO()
    call_command("demo", print_logins=True, stdout=out)
    printed = {line.split()[0] for line in out.getvalue().splitlines()[1:] if line.strip()}
    # The matrix's personas are the demo's logins (a new login gets its column here).
    assert printed == set(PERSONAS), printed
    return _objects(tmp_path)


def _clients(o: Objects) -> dict[str, Client]:
    clients = {ANONYMOUS: Client(raise_request_exception=False)}
    for persona in PERSONAS:
        client = Client(raise_request_exception=False)
        client.force_login(o.users[persona])
        clients[persona] = client
    return clients


def _requests(o: Objects):
    """(name, method, url, allowed, form body, JSON body) of every cell of the matrix; the
    bodies are made anew for each request (an uploaded file is read once)."""
    nothing = lambda: None  # noqa: E731
    for name, methods in PAGES.items():
        for method, allowed in methods.items():
            url = URLS[name](o) if name in URLS else reverse(name)
            if method != GET and name in WRITE_URLS:
                url = WRITE_URLS[name](o)
            body = json_body = nothing
            if method != GET and name in BODIES:
                body = lambda name=name: BODIES[name](o)  # noqa: E731
            if method != GET and name in JSON_BODIES:
                json_body = lambda name=name: JSON_BODIES[name](o)  # noqa: E731
            yield name, method, url, allowed, body, json_body
    for operation, allowed in API.items():
        method, path = operation.split(" ", 1)
        url = path.format(**{key: fn(o) for key, fn in API_PARAMS.items() if f"{{{key}}}" in path})
        if operation in API_QUERY:
            url += "?" + API_QUERY[operation](o)
        json_body = nothing
        if method != GET:
            json_body = lambda operation=operation: API_BODIES[operation](o)  # noqa: E731
        yield operation, method, url, allowed, nothing, json_body
    for name, method, url, allowed in _admin_urls(o):
        body = (lambda: {"post": "yes"}) if name.endswith("_delete") else nothing
        yield name, method, url, allowed, body, nothing


def test_permission_matrix(demo, caplog):
    """Every cell of the matrix answers as the rule says (or as its named deviation)."""
    o = demo
    # Hundreds of refusals are the point here, not news: no warning with a traceback each.
    caplog.set_level(logging.ERROR, logger="django.request")
    clients = _clients(o)
    cells: list[Cell] = []
    for name, method, url, allowed, body, json_body in _requests(o):
        admin = name.startswith("admin:")
        for persona, client in clients.items():
            if admin and not name.endswith(LISTS) and persona not in ADMIN_ROW_PERSONAS:
                continue
            response, wrote = _send(client, method, url, body(), json_body())
            expected = _expected(allowed, persona)
            if admin and persona not in ("admin", ANONYMOUS):
                expected = LOGIN  # the admin sends logged-in non-staff to its login page
            answer = _answer(response)
            if name in ANSWER_LOGIN_PAGE and answer == LOGIN and response.status_code == 302:
                answer = OK
            cells.append(Cell(name, method, persona, expected, answer, wrote, url))
            if name in RELOGIN and persona != ANONYMOUS:
                client.force_login(o.users[persona])
    problems: list[str] = []
    gaps: list[str] = []
    closed: list[str] = []
    for cell in cells:
        where = f"{cell.method} {cell.url} ({cell.name}) as {cell.persona}"
        deviation = _deviation(cell.name, cell.method, cell.persona)
        wrote = f" and wrote {sorted(cell.wrote)}" if cell.wrote else ""
        if cell.answer in (NO, LOGIN) and cell.wrote:
            problems.append(f"{where}: refused{wrote}")
        if deviation is not None:
            if cell.answer == cell.expected:
                closed.append(f"{where}: answers {cell.answer} as the rule says; "
                              f"remove the known deviation ({deviation.why})")  # fmt: skip
            elif cell.answer == deviation.answer:
                gaps.append(f"{where}: {cell.answer}, rule {cell.expected} — {deviation.why}")
            else:
                problems.append(f"{where}: answers {cell.answer}{wrote}, rule {cell.expected}, "
                                f"known deviation {deviation.answer}")  # fmt: skip
        elif cell.answer != cell.expected:
            problems.append(f"{where}: answers {cell.answer}{wrote}, rule {cell.expected}")
    # A matrix that sent nothing proves nothing.
    assert len(cells) > 1200, len(cells)
    if gaps:
        print(f"{len(gaps)} known deviations from the rule:\n" + "\n".join(gaps))
    for message in closed:
        warnings.warn(message, stacklevel=1)
    assert not problems, f"{len(problems)} cells differ:\n" + "\n".join(problems)
