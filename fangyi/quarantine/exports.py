"""Worklists as xlsx: the same rows as the page, with masked document numbers."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _

from fangyi.core.spreadsheets import Sheet, xlsx_response
from fangyi.people.identity import mask_document
from fangyi.quarantine.selectors import case_days
from fangyi.quarantine.templatetags.quarantine_tags import alert_detail, slot_label


def _person_cells(person) -> list:
    return [
        person.name,
        mask_document(person.doc_number),
        person.zone.name if person.zone_id else "",
    ]


def worklist_xlsx(name: str, title: str, kind: str, rows, today: dt.date):
    person_header = [_("name"), _("document number"), _("zone")]
    if kind == "cases":
        header = [_("case number"), *person_header, _("state"), _("day 1"), _("release date")]
        data = (
            [
                c.case_no,
                *_person_cells(c.person),
                c.get_state_display(),
                c.start_date,
                case_days(c, today).release_date,
            ]
            for c in rows
        )
    elif kind == "alerts":
        header = [
            _("case number"),
            *person_header,
            _("kind"),
            _("date"),
            _("slot"),
            _("detail"),
            _("status"),
        ]
        data = (
            [
                a.case.case_no,
                *_person_cells(a.case.person),
                a.get_kind_display(),
                a.date,
                slot_label(a.slot),
                alert_detail(a),
                a.get_status_display(),
            ]
            for a in rows
        )
    else:
        header = [_("case number"), *person_header, _("sample date"), _("lab")]
        data = ([t.case.case_no, *_person_cells(t.case.person), t.sampled_on, t.lab] for t in rows)
    filename = f"{title}-{today:%Y%m%d}.xlsx"
    return xlsx_response(filename, [Sheet(title=title, header=header, rows=data)])
