from django import forms
from django.utils.translation import gettext_lazy as _

from fangyi.people.choices import DocType
from fangyi.people.identity import ERR_EMPTY
from fangyi.quarantine.choices import SYMPTOMS, CaseReason, ReleaseKind
from fangyi.quarantine.models import Facility
from fangyi.quarantine.selectors import IntakeFacilities


class IntakeForm(forms.Form):
    """Intake of a returnee: an existing file (by document number, or the person the page
    was opened for) or a new one on the spot, in its dwelling. The dwelling is chosen in
    the place picker (zone, building, room: quarantine.selectors.intake_places), which the
    page renders between the phone and `outside`."""

    # The person the page was opened for (?person=<id>: a gate's referral, a contact).
    person = forms.IntegerField(required=False, widget=forms.HiddenInput)
    doc_type = forms.ChoiceField(label=_("document type"), choices=DocType.choices, required=False)
    doc_number = forms.CharField(label=_("document number"), max_length=40, required=False)
    name = forms.CharField(
        label=_("name"),
        max_length=50,
        required=False,
        help_text=_("Only for a person not yet in the files: a new file is made, not verified."),
    )
    phone = forms.CharField(label=_("mobile phone"), max_length=20, required=False)
    outside = forms.BooleanField(
        label=_("does not live in the district (no dwelling)"),
        required=False,
        help_text=_(
            "Only for a new file without a dwelling here: the person is then on no zone "
            "map, and the district keeps the file until a grid worker places it."
        ),
    )
    reason = forms.ChoiceField(label=_("reason"), choices=CaseReason.choices)
    origin = forms.CharField(label=_("coming from"), max_length=100, required=False)
    arrived_at = forms.DateTimeField(
        label=_("arrival time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    first_state = forms.ChoiceField(
        label=_("first stage"),
        choices=[
            ("station", _("health station")),
            ("home", _("home quarantine")),
            ("observation", _("observation point")),
        ],
    )
    # Grouped by kind (<optgroup>), the user's own station first and chosen: the list and
    # the default are quarantine.selectors.intake_facilities'.
    facility = forms.TypedChoiceField(label=_("facility"), required=False, empty_value=None)
    note = forms.CharField(
        label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, facilities: IntakeFacilities | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        facilities = facilities or IntakeFacilities(groups=[], default=None)
        self._facilities = {str(f.pk): f for f in facilities.facilities}
        field = self.fields["facility"]
        field.choices = [
            ("", "---------"),
            *((label, [(str(f.pk), f.name) for f in group]) for label, group in facilities.groups),
        ]
        if facilities.default is not None and not self.is_bound:
            self.initial.setdefault("facility", str(facilities.default.pk))

    def clean_facility(self) -> Facility | None:
        value = self.cleaned_data.get("facility")
        return self._facilities[value] if value else None

    def clean(self):
        data = super().clean()
        data["doc_type"] = data.get("doc_type") or DocType.ID_CARD
        if not data.get("person") and not (data.get("doc_number") or "").strip():
            self.add_error("doc_number", ERR_EMPTY)
        return data


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class FacilityMoveForm(NoteForm):
    facility = forms.ModelChoiceField(label=_("facility"), queryset=Facility.objects.none())

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = Facility.objects.filter(active=True, kind__in=kinds)


class ReleaseForm(NoteForm):
    kind = forms.ChoiceField(label=_("release kind"), choices=ReleaseKind.choices)


class ExtendForm(NoteForm):
    days = forms.IntegerField(label=_("days"), min_value=1, max_value=28)


class TestForm(forms.Form):
    sampled_on = forms.DateField(
        label=_("sample date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    lab = forms.CharField(label=_("lab"), max_length=100, required=False)


class CheckForm(forms.Form):
    # Read by the service as a phone types it (36,8 36。8 ３６．８ 36.8℃): room for the unit.
    temperature = forms.CharField(
        label=_("temperature (°C)"),
        max_length=12,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    symptoms = forms.MultipleChoiceField(
        label=_("symptoms"), choices=SYMPTOMS, required=False, widget=forms.CheckboxSelectMultiple
    )
