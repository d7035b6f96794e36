"""The Content-Security-Policy header (django-csp) and the templates that make it possible.

The policy refuses inline script, inline event handlers, `javascript:` URLs and inline
styles. So pages must carry none: behaviours are data- attributes handled by
static/fangyi/site.js, looks are classes of the stylesheets. A grep over every template
catches a handler slipped back in; the pages of each app are fetched to check the header
and that what they render (template tags and widgets included) carries none either. The
browser tests (test_csp_browser) show that Chromium applies it and the pages still work.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from fangyi.conftest import PASSWORD
from fangyi.quarantine import services as quarantine

HEADER = "Content-Security-Policy"
FANGYI = Path(settings.BASE_DIR) / "fangyi"

EXPECTED = {
    "default-src": {"'self'"},
    "script-src": {"'self'"},
    "style-src": {"'self'"},
    "img-src": {"'self'", "data:", "blob:"},
    "object-src": {"'none'"},
    "base-uri": {"'self'"},
    "frame-ancestors": {"'none'"},
    "form-action": {"'self'"},
}

# What the policy refuses, as it appears in markup.
TAG_RE = re.compile(r"<[a-zA-Z][^>]*>", re.S)
INLINE = {
    "an inline event handler": re.compile(r"""\son[a-z]+\s*=""", re.I),
    "an htmx hx-on handler (needs eval)": re.compile(r"""\s(?:data-)?hx-on""", re.I),
    "a style attribute": re.compile(r"""\sstyle\s*=""", re.I),
    "a javascript: URL": re.compile(r"""=\s*["']?\s*javascript:""", re.I),
    "an htmx js: value (needs eval)": re.compile(
        r"""\shx-(?:vals|vars|headers)\s*=\s*["']\s*js:""", re.I
    ),
}
SCRIPT_RE = re.compile(r"<script\b([^>]*)>", re.I)
STYLE_ELEMENT_RE = re.compile(r"<style\b", re.I)
# A <script> the browser does not run as script (json_script's data) is allowed.
DATA_SCRIPT_RE = re.compile(r"""\stype\s*=\s*["']application/(?:ld\+)?json["']""", re.I)
# Template comments, where a word like onclick may be explained.
COMMENT_RE = re.compile(r"{#.*?#}|{% comment %}.*?{% endcomment %}", re.S)


def parse_policy(header: str) -> dict[str, set[str]]:
    policy = {}
    for directive in filter(None, (part.strip() for part in header.split(";"))):
        name, *values = directive.split()
        policy[name] = set(values)
    return policy


def inline_code(markup: str) -> list[str]:
    """Every piece of `markup` that the policy would refuse, named."""
    found = []
    for tag in TAG_RE.findall(markup):
        for what, pattern in INLINE.items():
            if pattern.search(tag):
                found.append(f"{what}: {tag[:160]}")
    for attrs in SCRIPT_RE.findall(markup):
        if "src=" not in attrs.replace(" ", "") and not DATA_SCRIPT_RE.search(attrs):
            found.append(f"an inline <script{attrs}>")
    if STYLE_ELEMENT_RE.search(markup):
        found.append("a <style> element")
    return found


def templates() -> list[Path]:
    paths = sorted(FANGYI.glob("**/templates/**/*.html"))
    return [p for p in paths if "node_modules" not in p.parts]


def test_the_policy_is_the_one_documented():
    assert "fangyi.core.csp.ContentSecurityPolicyMiddleware" in settings.MIDDLEWARE
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert {name: set(values) for name, values in directives.items()} == EXPECTED


def test_the_grep_finds_what_the_policy_refuses():
    # The checks below pass on any template that has none of these, so first prove that
    # each of them is seen.
    samples = [
        '<button onclick="go()">',
        '<form hx-post="/x" hx-on::after-request="this.remove()">',
        '<div style="color:red">',
        '<a href="javascript:void(0)">',
        "<div hx-vals='js:{a: 1}'>",
        "<script>alert(1)</script>",
        "<style>p{}</style>",
    ]
    for sample in samples:
        assert inline_code(sample), sample
    clean = (
        '<script src="/static/x.js" defer></script><script id="d" type="application/json">'
        '{"a": 1}</script><button data-print class="online">Print</button>'
        "<input data-select-on-click>"
    )
    assert inline_code(clean) == []


def test_no_template_carries_inline_script_handlers_or_styles():
    found = templates()
    assert len(found) > 50, "the glob found too few templates"
    problems = []
    for path in found:
        markup = COMMENT_RE.sub("", path.read_text(encoding="utf-8"))
        problems += [f"{path.relative_to(FANGYI)}: {p}" for p in inline_code(markup)]
    assert not problems, "\n".join(problems)


def test_our_scripts_need_no_eval():
    scripts = [p for p in FANGYI.glob("**/static/**/*.js") if "vendor" not in p.parts]
    assert any(p.name == "site.js" for p in scripts)
    for path in scripts:
        text = path.read_text(encoding="utf-8")
        for needle in ("eval(", "new Function", 'setAttribute("style"', "setAttribute('style'"):
            assert needle not in text, f"{path.relative_to(FANGYI)}: {needle}"


def _operator(django_user_model):
    django_user_model.objects.create_superuser("operator", password=PASSWORD)
    client = Client()
    client.login(username="operator", password=PASSWORD)
    return client


@pytest.fixture
def pages(tree, django_user_model) -> list[str]:
    """A few pages of every app, as an operator sees them (in Chinese, the default)."""
    case = quarantine.case_intake(
        by=tree.users["zone"],
        person=tree.people[0],
        reason="close_contact",
        arrived_at=timezone.now(),
        first_state="home",
    )
    zone, person = tree.zones[0], tree.people[1]
    return [
        "/",
        f"/places/zone/{zone.pk}/",
        f"/dwellings/{tree.dwellings[0].pk}/",
        f"/people/{person.pk}/",
        f"/people/{person.pk}/edit/",
        "/search/?q=居民",
        "/quarantine/",
        f"/quarantine/cases/{case.pk}/",
        "/quarantine/intake/",
        "/passes/",
        f"/passes/gates/{zone.gates.first().pk}/",
        "/passes/queue/",
        "/passes/board/",
        "/reports/",
        f"/reports/zones/{zone.pk}/",
        f"/reports/buildings/{tree.buildings[0].pk}/",
        "/reports/stats/",
        "/screening/",
        "/support/",
        "/jobs/",
        "/password/",
        "/api/docs",
        "/admin/",
        "/admin/people/person/",
    ]


def test_every_app_answers_with_the_policy_and_renders_no_inline_code(pages, django_user_model):
    client = _operator(django_user_model)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert parse_policy(response[HEADER]) == EXPECTED, url
        assert not inline_code(response.content.decode()), (
            url,
            inline_code(response.content.decode()),
        )


def test_public_pages_errors_and_the_api_carry_the_policy(tree, django_user_model):
    anonymous = Client()
    for url, status in [
        ("/login/", 200),
        ("/passes/apply/", 200),
        ("/c/not-a-token/", 404),
        ("/no-such-page/", 404),
        ("/api/openapi.json", 200),
    ]:
        response = anonymous.get(url)
        assert response.status_code == status, url
        assert parse_policy(response[HEADER]) == EXPECTED, url
    client = _operator(django_user_model)
    response = client.get(f"/api/people/{tree.people[0].pk}")
    assert response.status_code == 200
    assert parse_policy(response[HEADER]) == EXPECTED


def test_pdfs_go_without_the_policy_spreadsheets_keep_it(tree, django_user_model):
    # Chromium's PDF viewer applies the PDF's policy to its own page, and object-src
    # 'none' leaves it blank; a spreadsheet is downloaded, and keeps the header.
    client = _operator(django_user_model)
    pdf = client.get(f"/reports/zones/{tree.zones[0].pk}/poster.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert HEADER not in pdf
    xlsx = client.get(f"/reports/daily.xlsx?place=district:{tree.district.pk}")
    assert xlsx.status_code == 200
    assert "spreadsheet" in xlsx["Content-Type"]
    assert parse_policy(xlsx[HEADER]) == EXPECTED
