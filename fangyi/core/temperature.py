"""Body temperatures as people type them on a phone.

A Chinese keyboard gives `36。8`, `３６．８`, `36，8`, `36.8℃` or `36.8度` as readily as
`36.8`; all of them are one reading and are accepted. What is not a plausible body
temperature (outside the policy's range, see `core.policy.PolicyValues`) is refused:
a slip such as `368` or `3.68` is never guessed into a reading.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

ERR_TEMPERATURE_RANGE = _(
    "“{value}” is not a body temperature: enter one between {low} and {high} °C, such as 36.5."
)
ERR_TEMPERATURE_FORMAT = _("“{value}” is not a temperature: enter a number such as 36.5.")

# After NFKC (full-width digits and punctuation become ASCII, ℃ becomes °C): a unit at
# the end, and the decimal marks a Chinese or European keyboard gives.
_UNIT = re.compile(r"\s*(°\s*c|°|摄氏度|度|c)$", re.IGNORECASE)
_DECIMAL_MARKS = str.maketrans({",": ".", "。": ".", "、": ".", "·": "."})
_NUMBER = re.compile(r"\d{1,3}(\.\d+)?")


def normalise_temperature(raw: Any) -> str:
    """The typed text as a plain decimal string (`36.8`), or "" for nothing typed.

    Only the spelling is normalised; the value is not checked (see `body_temperature`).
    """
    text = unicodedata.normalize("NFKC", str(raw if raw is not None else "")).strip()
    text = _UNIT.sub("", text).strip().translate(_DECIMAL_MARKS).replace(" ", "")
    return text


def body_temperature(raw: Any, *, low: Decimal, high: Decimal) -> Decimal | None:
    """A typed temperature as a `Decimal` to 0.1 °C, None when nothing was typed.

    Raises a `ValidationError` naming the typed value when it is not a number or not
    between `low` and `high` (the policy's plausible range).
    """
    text = normalise_temperature(raw)
    if not text:
        return None
    shown = str(raw).strip()
    if not _NUMBER.fullmatch(text):
        raise ValidationError(ERR_TEMPERATURE_FORMAT.format(value=shown), code="format")
    value = Decimal(text).quantize(Decimal("0.1"))  # the pattern admits only numbers
    if not low <= value <= high:
        raise ValidationError(
            ERR_TEMPERATURE_RANGE.format(value=shown, low=low, high=high), code="range"
        )
    return value
