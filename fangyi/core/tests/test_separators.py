"""Enumerations are joined as each language does: 甲、乙 in Chinese, "a, b" in English."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

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
