"""The field rules every file write keeps (people.services and the spreadsheet import)."""

from __future__ import annotations

import datetime as dt

import pytest

from fangyi.people.choices import TravelStatus
from fangyi.people.rules import (
    ERR_NAME,
    ERR_RETURN_DATE,
    ERR_RETURN_FUTURE,
    name_errors,
    return_date_errors,
)

TODAY = dt.date(2020, 2, 10)


@pytest.mark.parametrize(("name", "errors"), [("", [ERR_NAME]), ("  ", [ERR_NAME]), ("王芳", [])])
def test_a_file_needs_a_name(name, errors):
    assert name_errors(name) == errors


@pytest.mark.parametrize(
    ("travel", "returned", "errors"),
    [
        (TravelStatus.RETURNED, None, [ERR_RETURN_DATE]),
        (TravelStatus.RETURNED, TODAY, []),
        (TravelStatus.RETURNED, TODAY + dt.timedelta(days=1), [ERR_RETURN_FUTURE]),
        (TravelStatus.NEVER_LEFT, None, []),
        (None, TODAY + dt.timedelta(days=1), [ERR_RETURN_FUTURE]),
    ],
)
def test_a_returnee_needs_a_return_date_not_in_the_future(travel, returned, errors):
    assert return_date_errors(travel, returned, TODAY) == errors
