"""Enumerations are joined as each language does: 甲、乙 in Chinese, "a, b" in English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

import fangyi

LOOP = Template(
    "{% for x in items %}{{ x }}{% if not forloop.last %}{% sep %}{% endif %}{% endfor %}"
)


@pytest.mark.parametrize(
    ("language", "joined"), [("zh-hans", "菜包A、鸡蛋"), ("en", "菜包A, 鸡蛋")]
)
def test_loop_separator_follows_the_language(language, joined):
    with translation.override(language):
        assert LOOP.render(Context({"items": ["菜包A", "鸡蛋"]})) == joined
        assert (
            Template("{{ items|enumeration }}").render(Context({"items": ["菜包A", "鸡蛋"]}))
            == joined
        )


PACKAGE = Path(fangyi.__file__).resolve().parent
# A 、 between the items of a loop or a join, written into a template or code.
HARD_SEPARATOR = re.compile(r"""forloop\.last %\}、|join:"、"|"、"\.join""")
# gettext inside an f-string: makemessages does not see it, so it is never translated
# (the daily report's file name was "深圳市坪山区-daily report-….xlsx" in Chinese).
GETTEXT_IN_FSTRING = re.compile(r"""\bf(["'])[^"'\n]*\{_\(""")


def _sources(*suffixes: str):
    for path in PACKAGE.rglob("*"):
        if path.suffix in suffixes and "tests" not in path.parts and "locale" not in path.parts:
            yield path


def test_no_hard_coded_chinese_separator_between_items():
    found = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in _sources(".html", ".py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if HARD_SEPARATOR.search(line) and "demo" not in path.parts
    ]
    assert not found, "use {% sep %}, |enumeration or core.text.enumerate_items: " + ", ".join(
        found
    )


def test_no_gettext_inside_an_f_string():
    found = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in _sources(".py")
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if GETTEXT_IN_FSTRING.search(line)
    ]
    assert not found, "makemessages does not see these: " + ", ".join(found)
