import datetime as dt

from ninja import Schema


class ExposureIn(Schema):
    index_person_id: int
    # A file the caller may see or a member of the index person's household; anybody
    # else by their document.
    contact_person_id: int | None = None
    contact_doc_type: str = "id_card"
    contact_doc_number: str = ""
    kind: str
    first_exposure_on: dt.date
    last_exposure_on: dt.date
    place: str = ""
    # Where the contact's quarantine starts if no case is open: home unless given.
    facility_id: int | None = None
    note: str = ""


class ExposureOut(Schema):
    id: int
    index_person_id: int
    contact_person_id: int
    # The other person's name; null when their file is outside the caller's area.
    person_name: str | None
    person_state: str
    kind: str
    first_exposure_on: dt.date
    last_exposure_on: dt.date
    place: str
    note: str
    recorded_at: dt.datetime
    # The other person's open quarantine case, if any.
    case_id: int | None
    case_no: str | None
    release_date: dt.date | None
    # The last day a contact without a case is watched (state "contact").
    watch_until: dt.date | None


class PersonExposuresOut(Schema):
    person_id: int
    contacts: list[ExposureOut]
    exposed_to: list[ExposureOut]
