"""The home page: what a user has to do today, in sections of counts with links.

`core` knows no domain app, so the sections come from the app at the top that reads
them all (`fangyi.reports.home`), registered here when the apps are ready. The home
view (in places) asks `home_sections`; nothing here decides who sees what: every count
comes from a selector that takes the user.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Item:
    """One line of a section: a count (None: a plain link) and where it leads.

    `urgent`: the count is work waiting (shown red when not zero)."""

    key: str
    label: str
    url: str
    count: int | None = None
    urgent: bool = False
    note: str = ""


@dataclass
class Section:
    """A block of the home page (the doctor's worklists, the guard's gate, …).

    `actions` are big buttons (the gate screen, a map), `items` counted links."""

    key: str
    title: str
    items: list[Item] = field(default_factory=list)
    actions: list[Item] = field(default_factory=list)
    note: str = ""

    @property
    def waiting(self) -> int:
        """Work waiting in this section (the sum of its urgent counts)."""
        return sum(i.count or 0 for i in self.items if i.urgent)


Provider = Callable[[object, dt.date], list[Section]]
_PROVIDERS: list[Provider] = []


def home_provider(function: Provider) -> Provider:
    """Register a function (user, today) -> sections; called in registration order."""
    if function not in _PROVIDERS:
        _PROVIDERS.append(function)
    return function


def home_sections(user, today: dt.date) -> list[Section]:
    """The sections of a user's home page for `today` (Asia/Shanghai)."""
    sections: list[Section] = []
    for provider in _PROVIDERS:
        sections.extend(provider(user, today))
    return sections
