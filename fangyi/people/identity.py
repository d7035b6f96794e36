"""Identity documents and phone numbers: normalising, validating, masking.

Mainland ID numbers follow GB 11643-1999: six digits of region code, eight
of birth date (YYYYMMDD), three of sequence (odd = male) and a check
character computed with ISO 7064 MOD 11-2. Fifteen-digit numbers of the
first generation (YYMMDD, born 19YY, no check character) are converted.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from fangyi.people.choices import DocType, Sex

# Province-level prefixes of GB/T 2260 region codes (71 Taiwan, 81 Hong Kong, 82 Macau,
# which appear on residence permits).
PROVINCE_CODES = frozenset(
    {
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
        "83",
    }
)
WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))
CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH = dt.date(1890, 1, 1)

ERR_EMPTY = _("Enter the document number.")
ERR_ID_FORMAT = _("An ID number has 18 characters (17 digits and a digit or X) or 15 digits.")
ERR_ID_REGION = _("The ID number starts with an unknown region code ({code}).")
ERR_ID_BIRTH = _("The ID number contains an impossible birth date ({date}).")
ERR_ID_CHECK = _("The ID number's check character is wrong: a character was mistyped.")
ERR_ID_FLOAT = _(
    "The ID number was turned into a number by a spreadsheet ({value}); its last digits "
    "are lost and cannot be recovered."
)
ERR_HK_MACAU = _("A Hong Kong/Macau permit number is H or M followed by 8 or 10 digits.")
ERR_TAIWAN = _("A Taiwan permit number has 8 or 10 digits.")
ERR_PASSPORT = _("A passport number has 5 to 17 letters and digits.")
ERR_PHONE = _("A mobile number has 11 digits and starts with 13 to 19.")


class IdentityError(ValueError):
    """A document number or phone that cannot be accepted; `message` says why."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class IdInfo:
    """What an ID number tells: the normalised number, birth date and sex."""

    number: str
    birth_date: dt.date | None
    sex: str
    converted_from_15: bool = False


_FLOAT_RE = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")


_SEPARATORS = re.compile(r"[\s\-\u00a0]")
_ASCII_SEPARATORS = str.maketrans("", "", " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f-")


def normalise(raw: str) -> str:
    """Full-width to half-width, spaces and dashes removed, letters upper case."""
    text = str(raw or "")
    if text.isascii():  # nothing for NFKC to fold (an import calls this a million times)
        return text.translate(_ASCII_SEPARATORS).upper()
    text = unicodedata.normalize("NFKC", text)
    return _SEPARATORS.sub("", text).upper()


def check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def _birth_date(yyyymmdd: str, today: dt.date) -> dt.date:
    born: dt.date | None
    try:
        born = dt.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        born = None
    if born is None or born < EARLIEST_BIRTH or born > today:
        raise IdentityError(ERR_ID_BIRTH.format(date=yyyymmdd))
    return born


def parse_id_number(raw: str, *, today: dt.date | None = None) -> IdInfo:
    """Validate a mainland ID number; return its normalised 18-character form."""
    today = today or dt.date.today()
    number = normalise(raw)
    if not number:
        raise IdentityError(ERR_EMPTY)
    if _FLOAT_RE.match(number) or re.fullmatch(r"\d{15,18}\.0+", number):
        raise IdentityError(ERR_ID_FLOAT.format(value=number))
    converted = False
    if re.fullmatch(r"\d{15}", number):
        _birth_date("19" + number[6:12], today)
        if number[:2] not in PROVINCE_CODES:
            raise IdentityError(ERR_ID_REGION.format(code=number[:6]))
        first17 = number[:6] + "19" + number[6:]
        number = first17 + check_char(first17)
        converted = True
    if not re.fullmatch(r"\d{17}[\dX]", number):
        raise IdentityError(ERR_ID_FORMAT)
    if number[:2] not in PROVINCE_CODES:
        raise IdentityError(ERR_ID_REGION.format(code=number[:6]))
    born = _birth_date(number[6:14], today)
    if check_char(number[:17]) != number[17]:
        raise IdentityError(ERR_ID_CHECK)
    sex = Sex.MALE if int(number[16]) % 2 else Sex.FEMALE
    return IdInfo(number=number, birth_date=born, sex=sex, converted_from_15=converted)


_OTHER_RULES: dict[str, tuple[re.Pattern[str], Any]] = {
    DocType.HK_MACAU: (re.compile(r"[HM]\d{8}(\d{2})?"), ERR_HK_MACAU),
    DocType.TAIWAN: (re.compile(r"\d{8}(\d{2})?"), ERR_TAIWAN),
    DocType.PASSPORT: (re.compile(r"[A-Z0-9]{5,17}"), ERR_PASSPORT),
}


def parse_document(doc_type: str, raw: str, *, today: dt.date | None = None) -> IdInfo:
    """Validate a document of any type; only ID cards tell birth date and sex."""
    if doc_type == DocType.ID_CARD:
        return parse_id_number(raw, today=today)
    number = normalise(raw)
    if not number:
        raise IdentityError(ERR_EMPTY)
    rule = _OTHER_RULES.get(doc_type)
    if rule is None:
        raise IdentityError(_("Unknown document type."))
    pattern, message = rule
    if not pattern.fullmatch(number):
        raise IdentityError(message)
    return IdInfo(number=number, birth_date=None, sex=Sex.UNKNOWN)


def parse_phone(raw: str) -> str:
    """A mainland mobile number, without +86 and separators."""
    number = normalise(raw)
    number = re.sub(r"^(\+?86)(?=1\d{10}$)", "", number)
    if not re.fullmatch(r"1[3-9]\d{9}", number):
        raise IdentityError(ERR_PHONE)
    return number


def mask_document(number: str) -> str:
    """`4403**********123X`: region prefix and last four only."""
    if not number:
        return ""
    if len(number) <= 6:
        return number[0] + "*" * (len(number) - 1)
    keep_head = 4 if len(number) >= 15 else 2
    keep_tail = 4 if len(number) >= 15 else 2
    return number[:keep_head] + "*" * (len(number) - keep_head - keep_tail) + number[-keep_tail:]


def mask_name(name: str) -> str:
    """`张*明`, `李*`: the first character, and the last of names of three or more."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_phone(number: str) -> str:
    """`138****5678`."""
    if not number:
        return ""
    if len(number) < 8:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]
