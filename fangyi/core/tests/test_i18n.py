"""The Chinese translation: complete, faithful to its placeholders, compiled, current and used.

The .po under fangyi/locale is the source; the .mo next to it is committed so a
deployment needs no gettext. Refresh both after changing a user-visible string:

    .venv/bin/fangyi makemessages -l zh_Hans --ignore=.venv --ignore=node_modules \
        --ignore=var --ignore=bench
    (translate the new entries, remove any `#, fuzzy` flag)
    .venv/bin/fangyi compilemessages --ignore=.venv
"""

from __future__ import annotations

import os
import re
import shutil
import string
import subprocess
import sys
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.conf import settings

import fangyi

PACKAGE_DIR = Path(fangyi.__file__).resolve().parent
LOCALE = "zh_Hans"
PO_RELATIVE = Path("locale") / LOCALE / "LC_MESSAGES" / "django.po"
PO_PATH = PACKAGE_DIR / PO_RELATIVE
MO_PATH = PO_PATH.with_suffix(".mo")
IGNORED = (".venv", "node_modules", "var", "bench")
REFRESH = "run makemessages, translate, then compilemessages (see this module's docstring)"

# printf-style conversions as Python's % operator reads them, %% included.
PERCENT_RE = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[diouxXeEfFgGcrsa%]")


def _label(entry: polib.POEntry) -> str:
    where = ", ".join(f"{path}:{line}" for path, line in entry.occurrences[:2])
    context = f"[{entry.msgctxt}] " if entry.msgctxt else ""
    return f"{context}{entry.msgid!r} ({where})"


def _active(po: polib.POFile) -> list[polib.POEntry]:
    return [e for e in po if not e.obsolete]


def _translations(entry) -> list[str]:
    if entry.msgid_plural:
        return [entry.msgstr_plural[k] for k in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


def percent_placeholders(text: str) -> Counter:
    return Counter(PERCENT_RE.findall(text))


def brace_placeholders(text: str) -> Counter:
    """`{name}`, `{0:>3}`, `{}` … as str.format reads them; `{{` and `}}` are literals."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError as exc:
        return Counter({f"<malformed: {exc}>": 1})
    return Counter(
        "{" + name + (f"!{conv}" if conv else "") + (f":{spec}" if spec else "") + "}"
        for _literal, name, spec, conv in parsed
        if name is not None
    )


@pytest.fixture(scope="module")
def po() -> polib.POFile:
    assert PO_PATH.is_file(), f"{PO_PATH} is missing: {REFRESH}"
    return polib.pofile(str(PO_PATH))


def test_po_header_is_for_simplified_chinese(po):
    assert not po.metadata_is_fuzzy, "the .po header is marked fuzzy; remove `#, fuzzy` above it"
    assert po.metadata.get("Language") == LOCALE
    assert po.metadata.get("Plural-Forms", "").startswith("nplurals=1;")
    assert "charset=UTF-8" in po.metadata.get("Content-Type", "")


def test_every_entry_is_translated_and_none_is_fuzzy(po):
    untranslated = [_label(e) for e in _active(po) if not all(_translations(e))]
    fuzzy = [_label(e) for e in _active(po) if "fuzzy" in e.flags]
    problems = []
    if untranslated:
        problems += [f"{len(untranslated)} entries without a translation:", *untranslated]
    if fuzzy:
        problems += [f"{len(fuzzy)} fuzzy entries (check each, then drop the flag):", *fuzzy]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "extract", [percent_placeholders, brace_placeholders], ids=["python-format", "brace-format"]
)
def test_translations_keep_the_placeholders(po, extract):
    wrong = []
    for entry in _active(po):
        for index, msgstr in enumerate(_translations(entry)):
            source = entry.msgid_plural if entry.msgid_plural and index else entry.msgid
            if entry.msgid_plural and len(entry.msgstr_plural) == 1:
                source = entry.msgid_plural  # Chinese has one form, used for every number
            expected, got = extract(source), extract(msgstr)
            if expected != got:
                wrong.append(
                    f"{_label(entry)}: {sorted(expected.elements())} → {sorted(got.elements())}"
                )
    assert not wrong, "placeholders differ between msgid and msgstr:\n" + "\n".join(wrong)


def test_mo_is_compiled_from_the_current_po(po):
    assert MO_PATH.is_file(), f"{MO_PATH} is missing: {REFRESH}"
    mo = polib.mofile(str(MO_PATH))

    def table(entries) -> dict:
        return {
            (e.msgctxt, e.msgid): tuple(_translations(e))
            for e in entries
            if e.msgid and not e.obsolete and "fuzzy" not in e.flags
        }

    expected, compiled = table(po), table(mo)
    stale = sorted(
        f"{key[1]!r}: .po {expected.get(key)!r}, .mo {compiled.get(key)!r}"
        for key in expected.keys() | compiled.keys()
        if expected.get(key) != compiled.get(key)
    )
    assert not stale, f"the .mo does not match the .po ({REFRESH}):\n" + "\n".join(stale)


def test_po_has_exactly_the_strings_of_the_code(po, tmp_path):
    """Extract again, in a copy of the package, and compare the msgids with the committed .po."""
    missing = [tool for tool in ("xgettext", "msguniq") if not shutil.which(tool)]
    if missing:
        reason = f"GNU gettext is not installed ({', '.join(missing)} not found)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must check that the .po is current")
        pytest.skip(reason)

    root = tmp_path / "src"
    shutil.copytree(
        PACKAGE_DIR,
        root / "fangyi",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", *IGNORED),
    )
    (root / "fangyi" / PO_RELATIVE).unlink()
    # Run Django from the copy, and refuse to run if the import would reach the
    # real package: makemessages writes into the LOCALE_PATHS of the settings it loads.
    script = (
        "import pathlib, sys, fangyi\n"
        "here = pathlib.Path.cwd().resolve()\n"
        "if not pathlib.Path(fangyi.__file__).resolve().is_relative_to(here):\n"
        "    sys.exit(f'fangyi was imported from {fangyi.__file__}, not from the copy')\n"
        "from django.core.management import execute_from_command_line\n"
        "execute_from_command_line(sys.argv)\n"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "fangyi.settings",
        "PYTHONPATH": str(root),
        "FANGYI_VAR_DIR": str(tmp_path / "var"),
        "FANGYI_SECRET_KEY": "i18n-test-only",
        "FANGYI_DATABASE_URL": "",
    }
    ignores = [f"--ignore={name}" for name in IGNORED]
    result = subprocess.run(
        [sys.executable, "-c", script, "makemessages", "-l", LOCALE, *ignores],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"makemessages failed:\n{result.stdout}\n{result.stderr}"
    fresh = polib.pofile(str(root / "fangyi" / PO_RELATIVE))

    def msgids(entries) -> set:
        return {(e.msgctxt, e.msgid, e.msgid_plural) for e in _active(entries) if e.msgid}

    extracted, committed = msgids(fresh), msgids(po)
    new = sorted(repr(m[1]) for m in extracted - committed)
    gone = sorted(repr(m[1]) for m in committed - extracted)
    assert not new and not gone, (
        f"the .po is out of date ({REFRESH}).\n"
        f"In the code but not in the .po: {', '.join(new) or '-'}\n"
        f"In the .po but no longer in the code: {', '.join(gone) or '-'}"
    )


@pytest.mark.django_db
def test_login_page_is_chinese_by_default(client):
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "登录" in html
    assert "用户名" in html
    assert "Log in" not in html


@pytest.mark.django_db
def test_login_page_is_english_with_the_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Log in" in html
    assert "Username" in html
    assert "登录" not in html
