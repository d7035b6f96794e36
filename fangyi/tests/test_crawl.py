"""The crawl: every demo persona follows every link it can reach, in Chinese and English.

Users meet the whole system on real data, not one module with fresh objects: so the
demo district is built (cases at every stage, stages and history without an author, people
imported by the command without a user), and each persona, logged in, walks from its home
page along every link and every htmx GET the pages carry. On every page:

- no server error (5xx) anywhere, downloads included;
- no link to a page the persona may not open (a dead link: 403/404 where it was offered);
- every date and datetime input carries an ISO value (`<input type=date>` shows nothing else);
- every full page has a title and a way back (the home link in the header, or crumbs).

Pages of one kind (one URL pattern, one set of query keys) are visited a few times, not all
thousands of them. New pages are covered without new tests.
"""

from __future__ import annotations

import collections
import csv
import html as html_lib
import io
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import Resolver404, resolve

from fangyi.conftest import make_id_number
from fangyi.places.models import Building, Zone

PERSONAS = [
    "admin", "leader", "cadre", "secretary", "grid", "property", "doctor", "guard", "volunteer",
]  # fmt: skip
LANGUAGES = ["zh-hans", "en"]
DEMO_PASSWORD = "fangyi-demo"
PER_KIND = 2  # pages visited per URL pattern and set of query keys
SKIP_PREFIXES = ("/logout/", "/i18n/", "/static/", "/admin/", "/api/docs")

LINK_RE = re.compile(r'\s(?:href|hx-get)="(/[^"#]*)"')
INPUT_RE = re.compile(r"<input\b[^>]*>", re.S)
ATTR_RE = re.compile(r'(\w[\w-]*)="([^"]*)"')
TITLE_RE = re.compile(r"<title>\s*([^<]*?)\s*</title>", re.S)
ISO = {
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "datetime-local": re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?"),
}


@dataclass
class Crawl:
    persona: str
    language: str
    visited: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def fail(self, url: str, what: str, source: str | None) -> None:
        came = f" (linked from {source})" if source else ""
        self.problems.append(f"[{self.persona} {self.language}] {url}: {what}{came}")


def _kind(url: str) -> tuple[str, tuple[str, ...]] | None:
    parts = urlsplit(url)
    try:
        match = resolve(parts.path)
    except Resolver404:
        return None
    keys = tuple(sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair}))
    return match.route, keys


def _check_page(crawl: Crawl, url: str, body: str, source: str | None) -> None:
    for tag in INPUT_RE.findall(body):
        attrs = dict(ATTR_RE.findall(tag))
        kind = attrs.get("type")
        if kind in ISO and attrs.get("value") and not ISO[kind].fullmatch(attrs["value"]):
            crawl.fail(url, f"{kind} input {attrs.get('name')} = {attrs['value']!r}", source)
    if "<html" not in body:  # an htmx fragment: part of a page that has the rest
        return
    title = TITLE_RE.search(body)
    if not title or not html_lib.unescape(title.group(1)).strip(" ·"):
        crawl.fail(url, "no title", source)
    if 'href="/"' not in body and 'class="crumbs"' not in body:
        crawl.fail(url, "no way back (home link or crumbs)", source)


def crawl_as(persona: str, language: str) -> Crawl:
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE=language)
    client.cookies["django_language"] = language
    assert client.login(username=persona, password=DEMO_PASSWORD), persona
    crawl = Crawl(persona, language)
    seen: set[str] = set()
    per_kind: collections.Counter = collections.Counter()
    queue: collections.deque[tuple[str, str | None]] = collections.deque([("/", None)])
    while queue:
        url, source = queue.popleft()
        if url in seen or url.startswith(SKIP_PREFIXES):
            continue
        seen.add(url)
        crawl.visited.append(url)
        answer = client.get(url)
        status = answer.status_code
        if status >= 500:
            crawl.fail(url, f"server error {status}", source)
            continue
        if status in (403, 404) and source is not None:
            crawl.fail(url, f"dead link ({status})", source)
            continue
        if status in (301, 302):
            location = answer["Location"]
            if location.startswith("/") and not location.startswith("/login/"):
                queue.append((location, url))
            elif location.startswith("/login/"):
                crawl.fail(url, "sends a logged-in user to the login page", source)
            continue
        if "text/html" not in answer.get("Content-Type", ""):
            continue
        body = answer.content.decode()
        _check_page(crawl, url, body, source)
        for link in LINK_RE.findall(body):
            link = html_lib.unescape(link)
            if link in seen or link.startswith(SKIP_PREFIXES):
                continue
            kind = _kind(link)
            if kind is None:
                crawl.fail(link, "links to no page of the site", url)
                seen.add(link)
                continue
            if per_kind[kind] >= PER_KIND:
                continue
            per_kind[kind] += 1
            queue.append((link, url))
    return crawl


def _import_without_a_user(tmp_path) -> None:
    """People imported by `fangyi import people … --commit` without --user (no author)."""
    building = Building.objects.order_by("id").first()
    zone = Zone.objects.get(pk=building.zone_id)
    path = tmp_path / "名单.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["姓名", "身份证号", "手机", "楼栋", "楼层", "房号", "返深日期"])
        for n in range(3):
            writer.writerow(
                [f"导入{n}", make_id_number(900 + n, region="440307"), f"1391234{n:04d}",
                 building.name, 1, f"10{n + 1}", "2026-11-20"]
            )  # fmt: skip
    call_command(
        "import", "people", str(path), zone=zone.code, commit=True, no_progress=True,
        stdout=io.StringIO(),
    )  # fmt: skip


@pytest.fixture
def demo_district(db, tmp_path):
    call_command("demo", scale=0.004, seed=7, no_progress=True, stdout=io.StringIO())
    _import_without_a_user(tmp_path)


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_page_a_persona_reaches_works_in_both_languages(demo_district, persona):
    problems: list[str] = []
    for language in LANGUAGES:
        crawl = crawl_as(persona, language)
        # A crawl that reached nothing proves nothing.
        assert len(crawl.visited) > 10, (persona, language, crawl.visited)
        problems += crawl.problems
    assert not problems, "\n".join(problems[:60])
