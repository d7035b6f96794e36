"""What other apps add to a person's page, without people importing them.

people sits below quarantine, passes, support…: those apps import people, so people may
not import them back. An app that has something to show on the person page registers a
panel when it is ready (`register("quarantine_cases", person_cases)` in its AppConfig);
the page asks `panels_for(person)` and renders each under its name (a template variable).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_PANELS: dict[str, Callable[[Any], Any]] = {}


def register(name: str, function: Callable[[Any], Any]) -> None:
    """Show `function(person)` on the person page as the template variable `name`."""
    _PANELS[name] = function


def panels_for(person) -> dict[str, Any]:
    return {name: function(person) for name, function in _PANELS.items()}
