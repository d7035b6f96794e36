"""Lower layers never import higher ones: `core` knows no domain app, and the apps at the
bottom are layered places (the tree) < duty (staff, assignments, scope) < audit < people.

The demo generator, which fills every app, is an app of its own on top (fangyi.demo), the
template filters about one app's data live in that app, and the pages that browse places
with their people counts are people's (people.place_views)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import fangyi

PACKAGE = Path(fangyi.__file__).resolve().parent
CORE = PACKAGE / "core"


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_core_imports_no_domain_app():
    offences = []
    for path in CORE.rglob("*.py"):
        if "tests" in path.relative_to(CORE).parts:
            continue
        for module in _imported_modules(path):
            parts = module.split(".")
            if parts[0] == "fangyi" and len(parts) > 1 and parts[1] not in ("core",):
                offences.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert not offences, "\n".join(sorted(offences))


# app -> the fangyi apps it may import (besides core and itself). audit (the reveal log)
# sits under people: people's pages reveal through it, and its rows name a person by a
# lazy model reference, not an import. Apps above people add to the person page through
# people.panels instead of being imported.
BOTTOM_LAYERS = {
    "places": set(),
    "duty": {"places"},
    "audit": {"places", "duty"},
    "people": {"places", "duty", "audit"},
    # Exposures and the one alert model: above people, under the apps that record facts.
    "health": {"places", "duty", "audit", "people"},
}


def _offences(app: str, allowed: set[str]) -> list[str]:
    root = PACKAGE / app
    found = []
    for path in root.rglob("*.py"):
        if "tests" in path.relative_to(root).parts:
            continue
        for module in _imported_modules(path):
            parts = module.split(".")
            if parts[0] == "fangyi" and len(parts) > 1 and parts[1] not in {"core", app, *allowed}:
                found.append(f"{path.relative_to(PACKAGE)} imports {module}")
    return found


def test_places_duty_and_people_are_layered():
    offences = [o for app, allowed in BOTTOM_LAYERS.items() for o in _offences(app, allowed)]
    assert not offences, "\n".join(sorted(offences))


PLACE_AND_PEOPLE_MODELS = (
    "Person",
    "District",
    "Street",
    "Community",
    "Zone",
    "Building",
    "Dwelling",
)


def test_views_and_api_read_people_and_places_only_through_selectors():
    """Selectors are the only way to read people and places (they apply the scope)."""
    pattern = re.compile(rf"\b({'|'.join(PLACE_AND_PEOPLE_MODELS)})\.objects\b")
    offences = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if "tests" in relative.parts or "migrations" in relative.parts:
            continue
        if not (
            path.name.startswith(("views", "place_views", "place_api")) or path.name == "api.py"
        ):
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line):
                offences.append(f"{relative}:{n}: {line.strip()}")
    assert not offences, "\n".join(offences)
