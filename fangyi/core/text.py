"""Joining words as the active language does: 甲、乙（丙，丁）；戊 in Chinese, "a, b (c, d); e"
in English. Place names stay as they are; only the punctuation between them follows."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import get_language


def is_chinese() -> bool:
    return (get_language() or "").startswith("zh")


def list_separator() -> str:
    """The separator of an enumeration: 、 in Chinese, ", " else."""
    return "、" if is_chinese() else ", "


def enumerate_items(items: Iterable[object]) -> str:
    return list_separator().join(str(item) for item in items)


def clause_separator() -> str:
    """Between clauses: ， in Chinese, ", " else."""
    return "，" if is_chinese() else ", "


def phrase_separator() -> str:
    """Between whole phrases of a line: ； in Chinese, "; " else."""
    return "；" if is_chinese() else "; "


def parenthesised(text: str) -> str:
    """（text） in Chinese, " (text)" else."""
    return f"（{text}）" if is_chinese() else f" ({text})"
