from django import forms
from django.utils.translation import gettext_lazy as _

from fangyi.people.choices import DocType, HealthStatus, TravelStatus
from fangyi.people.services import CASE_HEALTH, hand_health_choices


class PersonForm(forms.Form):
    """The person file form; validation of documents and phones is the service's."""

    name = forms.CharField(label=_("name"), max_length=50)
    doc_type = forms.ChoiceField(label=_("document type"), choices=DocType.choices)
    doc_number = forms.CharField(label=_("document number"), max_length=40, required=False)
    phone = forms.CharField(label=_("mobile phone"), max_length=20, required=False)
    origin = forms.CharField(label=_("place of origin"), max_length=100, required=False)
    travel_status = forms.ChoiceField(label=_("travel status"), choices=TravelStatus.choices)
    return_date = forms.DateField(
        label=_("return date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    health_status = forms.ChoiceField(label=_("health status"), choices=HealthStatus.choices)
    verified = forms.BooleanField(label=_("information verified"), required=False)
    elderly_alone = forms.BooleanField(label=_("elderly living alone"), required=False)
    disabled = forms.BooleanField(label=_("disabled"), required=False)
    pregnant = forms.BooleanField(label=_("pregnant"), required=False)
    chronic_illness = forms.BooleanField(label=_("chronic illness"), required=False)
    notes = forms.CharField(
        label=_("notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, editing: bool = False, health_status: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        # Confirmed, asymptomatic and suspected are a confirmed-case record's: the list
        # offers the hand-set statuses (and the current case status, with "recovered");
        # a forged value is refused by the service with the reason.
        field = self.fields["health_status"]
        field.widget.choices = hand_health_choices(health_status)
        if health_status in CASE_HEALTH:
            field.help_text = _(
                "Set by the confirmed-case record; here it can only be marked recovered."
            )
        else:
            field.help_text = _(
                "Confirmed, asymptomatic and suspected cases are recorded as confirmed cases."
            )
        if editing:
            # The stored numbers are never sent back to the browser unmasked.
            for name in ("doc_number", "phone"):
                self.fields[name].help_text = _("Leave empty to keep the current value.")
        else:
            self.fields["doc_number"].required = True

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        if self.editing:
            for name in ("doc_number", "phone"):
                if not data.get(name):
                    data.pop(name, None)
        return data
