import datetime as dt
import uuid

from ninja import Field, Schema


class ApplicationIn(Schema):
    name: str
    doc_type: str = "id_card"
    doc_number: str
    phone: str
    dwelling_id: int


class ApplicationOut(Schema):
    id: int
    status: str
    pass_url: str
    code: str


class FileMatchOut(Schema):
    """How the application compares with the person file of its document. Outside the
    caller's area only `found` is told: the rest is null, the file's name never."""

    found: bool = Field(description="A person file has this document number.")
    in_area: bool = Field(description="The caller keeps that file (else it lies elsewhere).")
    person_id: int | None = Field(None, description="The file, when in the caller's area.")
    verified: bool | None = None
    name: bool | None = Field(None, description="The file's name is the applicant's.")
    phone: bool | None = Field(None, description="The file's mobile number is the applicant's.")
    phone_missing: bool | None = Field(None, description="The file has no mobile number.")
    dwelling: bool | None = Field(None, description="The file's dwelling is the applicant's.")
    approvable: bool = Field(
        description="Approving would succeed: no file (one is made), or a file in the "
        "caller's area whose name, dwelling and mobile number (if any) match."
    )


class QueueItemOut(Schema):
    id: int
    name: str
    doc_number_masked: str
    phone_masked: str
    dwelling_id: int
    created_at: dt.datetime
    file: FileMatchOut


class RejectIn(Schema):
    reason: str


class DecidedOut(Schema):
    id: int
    status: str
    person_id: int | None = None
    reject_reason: str = ""


class ScanIn(Schema):
    gate_id: int
    token: str = ""
    code: str = ""
    temperature: str
    decision: str = ""


class ScanOut(Schema):
    check_id: int
    colour: str
    reason: str
    reason_label: str
    instruction: str
    name_masked: str
    fever: bool
    decision: str
    observation_point: str | None = None
    observation_address: str | None = None
    policy: str


class DecisionIn(Schema):
    decision: str


class GateOut(Schema):
    id: int
    name: str
    zone_id: int
    zone_name: str


class BoardRowOut(Schema):
    zone_id: int
    zone_name: str
    gate_id: int
    gate_name: str
    hour: int
    checks: int
    reds: int
    yellows: int
    refused: int = Field(
        0, description="Checks of real passes that did not admit (revoked, expired, ...)."
    )
    fevers: int
    reconciliations: int = Field(
        0, description="Checks made offline whose colour the server saw otherwise."
    )


class PassKeyOut(Schema):
    kid: str
    alg: str
    public_key: str = Field(description="The raw 32-byte Ed25519 public key, base64url.")
    not_before: str = Field(
        description="The key verifies no check made before this time less clock_skew_seconds."
    )
    not_after: str | None = Field(
        None, description="The key verifies no check made at or after this time (null: none)."
    )
    district_code: str


CLOCK_SKEW_DESCRIPTION = (
    "How far a clock may be off, in seconds: a token is refused (not_yet_valid) when the "
    "check's time is before its key's not_before, or before its issue time, by more."
)


class PassKeysOut(Schema):
    keys: list[PassKeyOut]
    clock_skew_seconds: int = Field(description=CLOCK_SKEW_DESCRIPTION)


class ObservationPointOut(Schema):
    id: int
    name: str
    address: str


class GateOfflinePassOut(Schema):
    v: int = Field(description="The pass's current version.")
    c: str = Field(description="red, yellow or refused.")
    r: str = Field(description="The reason code (refusal code for refused).")


class GateOfflineListOut(Schema):
    taken_at: str
    gate_id: int
    zone_id: int
    district_code: str
    max_age_minutes: int
    fever_threshold: str
    pass_valid_days: int
    observation_point: ObservationPointOut | None = None
    keys: list[PassKeyOut]
    clock_skew_seconds: int = Field(description=CLOCK_SKEW_DESCRIPTION)
    passes: dict[str, GateOfflinePassOut]


class ScanQueuedIn(Schema):
    client_id: uuid.UUID
    token: str = ""
    code: str = ""
    temperature: str
    # Read per check (passes.offline): one queued check whose time cannot be read is
    # answered `invalid`, and the rest of the phone's queue is still recorded.
    checked_at: str = Field(
        description="When the check was made: YYYY-MM-DDTHH:MM[:SS], Asia/Shanghai time "
        "unless an offset is given. One that cannot be read makes this check invalid, not "
        "the batch."
    )
    offline_colour: str
    list_taken_at: str | None = Field(
        None, description="When the phone's list was taken, as checked_at."
    )
    offline_decision: str = Field(
        "",
        description="What the guard did offline, as POST /api/scans's decision (let_in, "
        "temporary, verified, turned_away, held, observation, station), one the gate page "
        "offers for offline_colour; empty: not sent (recorded undecided, as before).",
    )


class ScanBatchIn(Schema):
    gate_id: int
    checks: list[ScanQueuedIn] = Field(max_length=500)


class ScanBatchResultOut(Schema):
    client_id: str
    status: str = Field(description="created, duplicate, refused or invalid.")
    check_id: int | None = None
    colour: str
    reason: str
    differs: bool = Field(
        description="The server's colour is not offline_colour, or offline_decision is not "
        "one the server's answer allows."
    )


class ScanBatchOut(Schema):
    results: list[ScanBatchResultOut]
