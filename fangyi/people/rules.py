"""The rules of a person file's fields, in one place for every way a file is written:
people.services (pages, API, screening visits) and the spreadsheet import
(screening.importing.rows), which reports them per cell. Documents and phones are
people.identity's; these are the rest."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy

from fangyi.people.choices import TravelStatus

ERR_NAME = gettext_lazy("Enter the name.")
ERR_RETURN_DATE = gettext_lazy("Enter the return date for a person who left and returned.")
ERR_RETURN_FUTURE = gettext_lazy("The return date cannot be in the future.")


def name_errors(name: str) -> list:
    """A file needs a name."""
    return [] if name.strip() else [ERR_NAME]


def return_date_errors(travel: str | None, return_date: dt.date | None, today: dt.date) -> list:
    """A returnee needs a return date, and no return date lies in the future."""
    if travel == TravelStatus.RETURNED and not return_date:
        return [ERR_RETURN_DATE]
    if return_date and return_date > today:
        return [ERR_RETURN_FUTURE]
    return []
