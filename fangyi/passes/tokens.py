"""Pass tokens: what the QR code carries, and the short code a guard can type.

Passes issued now print signed tokens (P2, Ed25519: fangyi.passes.keys, docs/offline.md)
that a phone verifies offline; the HMAC tokens below (P1) already printed keep working
online until their pass is replaced.

The P1 QR holds `P1.<district code>.<pass id>.<key>:<signature>` and nothing else: no name,
no ID number. The signature is an HMAC (django.core.signing, salted) with the site's
secret key, so a token cannot be made or changed without it; the key is a random value
stored on the pass, so a reissued pass makes the old token useless even with a valid
signature. The district code lets a gate refuse a pass of another district.

The short code is 10 random Crockford base32 characters plus one check character
(ISO 7064 MOD 37-2 over the 32 symbols), typed as `XXXX-XXXX-XXX`. Letters that look
alike (I L O U) are read as the digits they resemble; case, spaces and dashes don't
matter. It is looked up, not signed: 50 random bits cannot be guessed by a guard.
"""

from __future__ import annotations

import secrets

from django.core import signing
from django.utils.translation import gettext_lazy as _

SALT = "fangyi.passes.token"
VERSION = "P1"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CHECK_ALPHABET = ALPHABET + "*~$=U"  # Crockford's 37 check symbols
CODE_BODY = 10

ERR_FORGED = _("Refused: this is not a pass of this system (forged or unreadable).")
ERR_ALTERED = _("Refused: the pass was altered or copied incompletely.")
ERR_UNKNOWN = _("Refused: no pass has this code.")
ERR_CODE_CHECK = _("Refused: the code's check character is wrong; a character was mistyped.")
ERR_REVOKED = _("Refused: this pass was revoked.")
ERR_REPLACED = _("Refused: this pass was replaced by a newer one.")
ERR_EXPIRED = _("Refused: this pass has expired.")
ERR_OTHER_DISTRICT = _("Refused: this pass was issued by another district.")
ERR_REJECTED = _("Refused: the application for this pass was rejected.")
ERR_UNKNOWN_KEY = _("Refused: the pass is signed with a key this system does not know.")
ERR_KEY_RETIRED = _(
    "Refused: the pass is signed with a retired key; the holder opens the pass again for a new QR code."
)
ERR_NOT_YET_VALID = _(
    "Refused: the pass is dated after this check (its key is not yet in force or its issue "
    "time is in the future); check the phone's clock."
)

# The refusals by their code, as the API reports them. The code is what a refusal is
# raised with: a dict keyed by the (lazy, translated) messages looked codes up by the
# text of the active language, so `revoked` became `refused` in English.
REFUSALS = {
    "forged": ERR_FORGED,
    "altered": ERR_ALTERED,
    "unknown": ERR_UNKNOWN,
    "mistyped": ERR_CODE_CHECK,
    "revoked": ERR_REVOKED,
    "replaced": ERR_REPLACED,
    "expired": ERR_EXPIRED,
    "other_district": ERR_OTHER_DISTRICT,
    "rejected": ERR_REJECTED,
    "unknown_key": ERR_UNKNOWN_KEY,
    "key_retired": ERR_KEY_RETIRED,
    "not_yet_valid": ERR_NOT_YET_VALID,
}
# Refusals of a typed code that a slip of the finger explains (a wrong check character,
# a character too many or too few, a code nobody holds): the guard's page asks to check
# and type again instead of showing the refusal screen.
TYPO_CODES = frozenset({"mistyped", "unknown"})


class PassRefused(Exception):
    """A token or code that does not admit: `code` for machines (one of REFUSALS, the
    same in every language), `message` says why in the active language."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code
        self.message = REFUSALS[code]
        # The pass refused, when the token or code names one this system made (a genuine
        # signature, a P1 key that matches, a code that exists): the check is kept as a
        # refused gate check (scanning.record_refused). None for forged, altered, unknown.
        self.pass_id: int | None = None
        self.version: int | None = None
        self.person_id: int | None = None
        self.check_id: int | None = None

    @property
    def is_typo(self) -> bool:
        return self.code in TYPO_CODES


def new_key() -> str:
    return secrets.token_urlsafe(9)


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT)


def make_token(*, district_code: str, pass_id: int, key: str) -> str:
    return _signer().sign(f"{VERSION}.{district_code}.{pass_id}.{key}")


def read_token(token: str) -> tuple[str, int, str]:
    """(district code, pass id, key) of a token whose signature is right; else PassRefused."""
    token = (token or "").strip()
    if not token.startswith(VERSION + ".") or ":" not in token:
        raise PassRefused("forged")
    try:
        value = _signer().unsign(token)
    except signing.BadSignature:
        # Well-formed but the signature does not match: changed, cut short or forged.
        raise PassRefused("altered") from None
    parts = value.split(".")
    if len(parts) != 4 or not parts[2].isdigit():
        raise PassRefused("forged")
    return parts[1], int(parts[2]), parts[3]


def check_char(body: str) -> str:
    total = 0
    for char in body:
        total = total * 32 + ALPHABET.index(char)
    return CHECK_ALPHABET[total % 37]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(CODE_BODY))
    return body + check_char(body)


def format_code(code: str) -> str:
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


_LOOKALIKE = str.maketrans({"I": "1", "L": "1", "O": "0"})


def normalise_code(raw: str) -> str:
    """The stored form of a typed code; PassRefused if it cannot be one."""
    text = "".join(ch for ch in (raw or "").upper() if ch not in " -\t").translate(_LOOKALIKE)
    if len(text) != CODE_BODY + 1 or any(ch not in ALPHABET for ch in text[:-1]):
        raise PassRefused("unknown")
    if text[-1] not in CHECK_ALPHABET or check_char(text[:-1]) != text[-1]:
        raise PassRefused("mistyped")
    return text


def looks_like_token(text: str) -> bool:
    """A scanned QR text: an HMAC token (P1) or a signed one (P2, passes.keys)."""
    return (text or "").strip().startswith((VERSION + ".", "P2."))
