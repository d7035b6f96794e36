"""The districts' Ed25519 keys and the signed pass tokens (P2) a phone verifies offline.

A token is `P2.<kid>.<pass_id>.<version>.<issued>.<sig>` (docs/offline.md): no personal
data, the signature over everything before the last dot. Each district has its own key
pairs (`PassKey`): the newest signs, older ones verify until their `not_after`, so a
rotation (`fangyi passkeys rotate`) leaves the QR codes already shown working for the
days given. A pass page always shows the token signed with the current key.

Private keys are stored sealed: AES-256-GCM with a key derived (HKDF-SHA256) from
SECRET_KEY, so a copy of the database alone signs nothing; SECRET_KEY_FALLBACKS open keys
sealed before SECRET_KEY was changed. Keys are made on first use (the first token signed
or the first list of keys) and by `fangyi passkeys rotate`.

Verification reads the keys from a small cache in the process (every key of every
district is a few dozen rows), read again when a token names a kid not in it (at most
once every few seconds) and every minute, so a rotation made by another process is seen
within a minute.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from fangyi.passes.models import Pass, PassKey
from fangyi.passes.tokens import PassRefused
from fangyi.places.models import District

PREFIX = "P2"
ALG = "Ed25519"
_KID = re.compile(r"^[A-Za-z0-9-]{1,32}$")
_SEAL_INFO = b"fangyi.passes.keys.seal"
# How long the process trusts its copy of the keys, and how often an unknown kid may
# make it read them again (a flood of made-up kids costs one query per interval).
CACHE_SECONDS = 60.0
MISS_SECONDS = 5.0
# How far a phone's or a server's clock may be off: a key verifies from its not_before
# less this, and a token's issue time may be this much after the check's time.
CLOCK_SKEW = dt.timedelta(minutes=5)
CLOCK_SKEW_SECONDS = int(CLOCK_SKEW.total_seconds())


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --- sealing the private keys --------------------------------------------------------------


def _seal_key(secret: str, kid: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=kid.encode(), info=_SEAL_INFO).derive(
        secret.encode()
    )


def seal(private: Ed25519PrivateKey, kid: str) -> str:
    raw = private.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    nonce = os.urandom(12)
    sealed = AESGCM(_seal_key(settings.SECRET_KEY, kid)).encrypt(nonce, raw, kid.encode())
    return b64url(nonce + sealed)


def unseal(text: str, kid: str) -> Ed25519PrivateKey:
    """The private key of `kid`; ValueError if no secret key of the settings opens it."""
    data = b64url_decode(text)
    for secret in (settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", ())):
        try:
            raw = AESGCM(_seal_key(secret, kid)).decrypt(data[:12], data[12:], kid.encode())
        except InvalidTag:  # sealed with another secret: try the next one
            continue
        return Ed25519PrivateKey.from_private_bytes(raw)
    raise ValueError(f"The private key {kid} cannot be opened with SECRET_KEY.")


# --- making and rotating keys --------------------------------------------------------------


def _new_key(district: District, number: int, now: dt.datetime) -> PassKey:
    # The district, the key's number and a random tail: a kid names one key pair even
    # across databases (a restored copy, a test's), so no cache can mistake another's.
    kid = f"{district.code}-{number}-{secrets.token_hex(2)}"
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return PassKey.objects.create(
        district=district,
        kid=kid,
        number=number,
        public_key=b64url(public),
        private_key_sealed=seal(private, kid),
        not_before=now,
        not_after=None,
    )


def key_rotate(
    *, district: District, retire_after_days: int | None = 14, now: dt.datetime | None = None
) -> PassKey:
    """A new signing key for the district, from now; the district's keys without an end
    date verify until `retire_after_days` from now (None: they keep no end date; 0: they
    stop at once). Called by `fangyi passkeys rotate` (the system: no acting user)."""
    now = now or timezone.now()
    with transaction.atomic():
        District.objects.select_for_update().filter(pk=district.pk).first()
        if retire_after_days is not None:
            PassKey.objects.filter(district=district, not_after__isnull=True).update(
                not_after=now + dt.timedelta(days=retire_after_days)
            )
        last = PassKey.objects.filter(district=district).aggregate(n=Max("number"))["n"] or 0
        key = _new_key(district, last + 1, now)
    forget_keys()
    return key


def signing_key(district_id: int, now: dt.datetime | None = None) -> PassKey:
    """The district's key that signs now (the newest one in force), made if it has none."""
    now = now or timezone.now()
    found = (
        PassKey.objects.filter(district_id=district_id, not_before__lte=now)
        .filter(Q(not_after__isnull=True) | Q(not_after__gt=now))
        .order_by("-number")
        .first()
    )
    if found is not None:
        return found
    district = District.objects.get(pk=district_id)
    # A district's first key covers its passes issued before it (imported, or issued
    # before signed tokens existed): it verifies their tokens from their issue time.
    oldest = Pass.objects.filter(district_id=district_id).aggregate(t=Min("issued_at"))["t"]
    start = min(now, oldest) if oldest is not None else now
    try:
        with transaction.atomic():
            return key_rotate(district=district, retire_after_days=None, now=start)
    except IntegrityError:  # made at the same moment by another request
        return signing_key(district_id, now)


def keys_ensure(now: dt.datetime | None = None) -> None:
    """Every district has a signing key (made on first use)."""
    missing = District.objects.exclude(
        pk__in=PassKey.objects.filter(not_after__isnull=True).values("district_id")
    ).values_list("pk", flat=True)
    for district_id in missing:
        signing_key(district_id, now)


def public_keys(
    *, district_id: int | None = None, now: dt.datetime | None = None
) -> list[dict[str, object]]:
    """The keys that verify now or later (current and not yet retired), as published at
    /api/passes/keys and in a gate's offline list: no personal data. A key verifies a
    token checked from its `not_before` less CLOCK_SKEW (`clock_skew_seconds` beside
    the keys) until its `not_after`, and only a token whose issue time
    is not after the check by more than that skew (read_signed)."""
    now = now or timezone.now()
    keys = PassKey.objects.filter(Q(not_after__isnull=True) | Q(not_after__gt=now))
    if district_id is not None:
        keys = keys.filter(district_id=district_id)
    return [
        {
            "kid": key.kid,
            "alg": ALG,
            "public_key": key.public_key,
            "not_before": timezone.localtime(key.not_before).isoformat(),
            "not_after": timezone.localtime(key.not_after).isoformat() if key.not_after else None,
            "district_code": key.district.code,
        }
        for key in keys.select_related("district").order_by("district__code", "number")
    ]


# --- signing and verifying -----------------------------------------------------------------

_private_cache: dict[str, Ed25519PrivateKey] = {}


def _private(key: PassKey) -> Ed25519PrivateKey:
    found = _private_cache.get(key.kid)
    if found is None:
        found = _private_cache[key.kid] = unseal(key.private_key_sealed, key.kid)
    return found


def signed_payload(*, kid: str, pass_id: int, version: int, issued: dt.datetime) -> str:
    return f"{PREFIX}.{kid}.{pass_id}.{version}.{int(issued.timestamp())}"


def sign_token(pass_obj: Pass, now: dt.datetime | None = None) -> str:
    """The P2 token of a pass, signed with its district's current key."""
    key = signing_key(pass_obj.district_id, now)
    payload = signed_payload(
        kid=key.kid, pass_id=pass_obj.pk, version=pass_obj.version, issued=pass_obj.issued_at
    )
    return f"{payload}.{b64url(_private(key).sign(payload.encode('ascii')))}"


@dataclass(frozen=True, slots=True)
class _Known:
    district_code: str
    public: Ed25519PublicKey
    not_before: dt.datetime
    not_after: dt.datetime | None


_lock = threading.Lock()
_known: dict[str, _Known] = {}
_read_at = 0.0
_missed_at = 0.0


def forget_keys() -> None:
    """Drop this process's copy of the keys (after a rotation, and in tests)."""
    global _read_at
    with _lock:
        _known.clear()
        _private_cache.clear()
        _read_at = 0.0


def _read_keys() -> None:
    global _read_at
    rows = PassKey.objects.values_list(
        "kid", "district__code", "public_key", "not_before", "not_after"
    )
    fresh = {
        kid: _Known(code, Ed25519PublicKey.from_public_bytes(b64url_decode(public)), start, end)
        for kid, code, public, start, end in rows
    }
    with _lock:
        _known.clear()
        _known.update(fresh)
        _read_at = time.monotonic()


def _key(kid: str) -> _Known | None:
    global _missed_at
    clock = time.monotonic()
    if not _read_at or clock - _read_at > CACHE_SECONDS:
        _read_keys()
    found = _known.get(kid)
    if found is None and clock - _missed_at > MISS_SECONDS:
        _missed_at = clock
        _read_keys()
        found = _known.get(kid)
    return found


def is_signed_token(text: str) -> bool:
    return (text or "").strip().startswith(PREFIX + ".")


@dataclass(frozen=True, slots=True)
class Signed:
    district_code: str
    pass_id: int
    version: int
    issued: int


def read_signed(token: str, now: dt.datetime) -> Signed:
    """What a P2 token says, if its signature is right by a key in force at `now`; else
    PassRefused: `forged` (not a P2 token), `unknown_key` (no key has its kid),
    `key_retired` (the key's end date has passed), `not_yet_valid` (the key's
    not_before, or the token's issue time, is after `now` by more than CLOCK_SKEW),
    `altered` (the signature does not match). A genuine token refused for its key or its
    time names its pass (PassRefused.pass_id, .version)."""
    token = (token or "").strip()
    parts = token.split(".")
    if len(parts) != 6 or parts[0] != PREFIX or not _KID.match(parts[1]):
        raise PassRefused("forged")
    if not (parts[2].isdigit() and parts[3].isdigit() and parts[4].isdigit()):
        raise PassRefused("forged")
    if not parts[2].isascii() or not parts[3].isascii() or not parts[4].isascii():
        raise PassRefused("forged")
    key = _key(parts[1])
    if key is None:
        raise PassRefused("unknown_key")
    try:
        signature = b64url_decode(parts[5])
    except (binascii.Error, ValueError):
        raise PassRefused("altered") from None
    # Canonical base64url only: the last character's two spare bits could otherwise be
    # changed without changing the signature, and a changed token must not pass.
    if len(signature) != 64 or b64url(signature) != parts[5]:
        raise PassRefused("altered")
    payload = token.rsplit(".", 1)[0].encode("ascii")
    try:
        key.public.verify(signature, payload)
    except (InvalidSignature, ValueError):
        raise PassRefused("altered") from None
    # Genuine (so the refusal names its pass: the check is kept, scanning.record_refused),
    # but a key verifies until its not_after, signs from its not_before and a token exists
    # from its issue time: a check before either (beyond a clock's error) holds a token
    # that did not exist yet (a key published ahead and stolen, or a wrong clock).
    code = ""
    if key.not_after is not None and key.not_after <= now:
        code = "key_retired"
    elif now < key.not_before - CLOCK_SKEW or int(parts[4]) > (now + CLOCK_SKEW).timestamp():
        code = "not_yet_valid"
    if code:
        refusal = PassRefused(code)
        refusal.pass_id, refusal.version = int(parts[2]), int(parts[3])
        raise refusal
    return Signed(key.district_code, int(parts[2]), int(parts[3]), int(parts[4]))
