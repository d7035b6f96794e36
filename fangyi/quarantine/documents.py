"""The quarantine notice and the release certificate, as PDF (Chinese text embedded).

No gettext call inside an f-string here: makemessages does not see them.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from fangyi.core.documents import pdf_document, pdf_response
from fangyi.people.identity import mask_document
from fangyi.quarantine.models import QuarantineCase
from fangyi.quarantine.selectors import case_days


def _date(value) -> str:
    return value.strftime("%Y-%m-%d") if value else "—"


def _person_rows(case: QuarantineCase) -> list[tuple[str, object]]:
    person = case.person
    place = " ".join(
        part
        for part in (
            person.zone.name if person.zone_id else "",
            person.building.name if person.building_id else "",
            person.dwelling.room if person.dwelling_id else "",
        )
        if part
    )
    return [
        (_("case number"), case.case_no),
        (_("name"), person.name),
        (_("document number"), mask_document(person.doc_number)),
        (_("address"), place or "—"),
    ]


def _issuer(case: QuarantineCase) -> tuple[str, str]:
    """The issuing unit (the person's community's prevention office) and whom to call:
    the facility of the latest stage that has one, else the zone's contact."""
    person = case.person
    unit = (
        _("%(community)s epidemic prevention and control office")
        % {"community": person.community.name}
        if person.community_id
        else _("Epidemic prevention and control office")
    )
    stage = case.stages.filter(facility__isnull=False).select_related("facility")
    latest = stage.order_by("-started_at").first()
    phone = (latest.facility.phone if latest else "") or (
        person.zone.contact_phone if person.zone_id else ""
    )
    return unit, phone or "—"


def _signature(doc, case: QuarantineCase) -> None:
    """Who issues the document, whom to call, and room for the unit's seal."""
    unit, phone = _issuer(case)
    doc.spacer(8)
    doc.paragraph(_("Contact phone: %(phone)s") % {"phone": phone})
    doc.spacer(6)
    doc.paragraph(_("Issuing unit (seal): %(unit)s") % {"unit": unit}, align="right")
    doc.spacer(28)  # the seal goes here
    doc.paragraph(_("Issued on %(date)s") % {"date": _date(timezone.localdate())}, align="right")


def notice_pdf(case: QuarantineCase, checkin_url: str | None = None) -> bytes:
    days = case_days(case)
    doc = pdf_document(title="{} {}".format(_("Quarantine notice"), case.case_no))
    doc.heading(_("Quarantine notice"))
    doc.key_values(
        [
            *_person_rows(case),
            (_("reason"), case.get_reason_display()),
            (_("coming from"), case.origin or "—"),
            (_("day 1"), _date(case.start_date)),
            (_("quarantine days"), str(days.total)),
            (_("release date"), _date(days.release_date)),
            (_("policy"), case.policy.name),
        ]
    )
    doc.spacer(6)
    doc.paragraph(
        _(
            "Under the epidemic prevention rules in force, you are placed under quarantine "
            "observation from %(start)s. Day 1 is the day of arrival; quarantine ends on "
            "%(release)s, provided the health checks are normal and the required nucleic acid "
            "test is negative. Take your temperature twice a day and report it through your "
            "personal check-in link. Do not go out; your community will bring what you need."
        )
        % {"start": _date(case.start_date), "release": _date(days.release_date)}
    )
    if checkin_url:
        doc.spacer(6)
        doc.qr_code(checkin_url, size=40, caption=_("Scan to send your daily health check"))
    _signature(doc, case)
    return doc.render()


def certificate_pdf(case: QuarantineCase) -> bytes:
    doc = pdf_document(title="{} {}".format(_("Release certificate"), case.case_no))
    doc.heading(_("Release certificate"))
    doc.key_values(
        [
            *_person_rows(case),
            (_("day 1"), _date(case.start_date)),
            (_("released on"), _date(case.released_on)),
            (_("release kind"), case.get_release_kind_display()),
        ]
    )
    doc.spacer(6)
    doc.paragraph(
        _(
            "This is to certify that the person above completed quarantine observation from "
            "%(start)s to %(end)s and was released on %(end)s."
        )
        % {"start": _date(case.start_date), "end": _date(case.released_on)}
    )
    _signature(doc, case)
    return doc.render()


def notice_response(case: QuarantineCase, checkin_url: str | None = None):
    return pdf_response(
        "{}-{}.pdf".format(_("Quarantine notice"), case.case_no), notice_pdf(case, checkin_url)
    )


def certificate_response(case: QuarantineCase):
    return pdf_response(
        "{}-{}.pdf".format(_("Release certificate"), case.case_no), certificate_pdf(case)
    )
