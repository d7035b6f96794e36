"""Forms of the screening pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.duty.models import Staff
from fangyi.people.choices import DocType
from fangyi.places.models import Building
from fangyi.screening.choices import DwellingStatus, Outcome
from fangyi.screening.importing import FIELDS

MAX_UPLOAD = 50 * 2**20
ERR_ONE_LEADER = _("A team has exactly one leader: choose one.")


def _date_input() -> forms.DateInput:
    # <input type="date"> takes ISO dates only; the Chinese locale's format (2020/02/10)
    # would leave an edit form's dates empty.
    return forms.DateInput({"type": "date"}, format="%Y-%m-%d")


class CampaignForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("group", "name"), max_length=100)
    starts_on = forms.DateField(label=_("first day"), widget=_date_input())
    ends_on = forms.DateField(label=_("last day"), widget=_date_input())


class TeamForm(forms.Form):
    name = forms.CharField(label=_("team name"), max_length=30)
    members = forms.ModelMultipleChoiceField(
        label=_("members (three)"), queryset=Staff.objects.none()
    )
    leader = forms.ModelChoiceField(label=_("team leader"), queryset=Staff.objects.none())
    buildings = forms.ModelMultipleChoiceField(
        label=_("buildings"), queryset=Building.objects.none()
    )
    floor = forms.IntegerField(
        label=_("only this floor"), required=False, min_value=1, help_text=_("empty: all floors")
    )

    def __init__(self, *args, staff, buildings, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = staff
        self.fields["leader"].queryset = staff
        self.fields["buildings"].queryset = buildings

    def clean_leader(self):
        # A select sends one value; a forged or scripted post with two must not have the
        # last one silently win.
        if hasattr(self.data, "getlist") and len(self.data.getlist("leader")) > 1:
            raise forms.ValidationError(ERR_ONE_LEADER)
        return self.cleaned_data["leader"]


class TeamEditForm(TeamForm):
    """The team form for an existing team: its current areas can be kept or dropped, and
    more buildings (or one floor of them) added."""

    keep = forms.MultipleChoiceField(
        label=_("areas to keep"), required=False, widget=forms.CheckboxSelectMultiple
    )

    field_order = ["name", "members", "leader", "keep", "buildings", "floor"]

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.areas = {str(a.pk): a for a in areas}
        self.fields["keep"].choices = [(key, area_label(a)) for key, a in self.areas.items()]
        self.fields["buildings"].required = False
        self.fields["buildings"].label = _("add buildings")

    def area_list(self) -> list[tuple[Building, int | None]]:
        """The team's areas after the edit: those kept, then those added."""
        data = self.cleaned_data
        kept = [(self.areas[k].building, self.areas[k].floor) for k in data.get("keep") or []]
        added = [(b, data.get("floor")) for b in data.get("buildings") or []]
        return kept + added


def area_label(area) -> str:
    """A team area as people say it: "3栋", or "3栋 floor 5"."""
    if area.floor is None:
        return area.building.name
    return _("{building} floor {floor}").format(building=area.building.name, floor=area.floor)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("resident list (.xlsx or .csv)"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 50 MB."))
        return upload


def mapping_choices():
    return [("", _("(ignore)"))] + [(f.name, f.label) for f in FIELDS]


OUTCOME_CHOICES = Outcome.choices
DOC_TYPE_CHOICES = DocType.choices


# ---- the visit form -------------------------------------------------------------------
# One small form per person of the household (prefix `p<person id>`) and per new person
# (`new<slot>`), so that a refused save shows every entry again as it was typed.
# Values are checked by `services.visit_record`; these forms only parse what a browser
# sends and render it back.


def _text(placeholder=None, **attrs) -> forms.TextInput:
    # Placeholders are hints ("e.g. 36.5"), never values: a hint that reads like a value
    # is taken for one on a small screen.
    if placeholder is not None:
        attrs["placeholder"] = placeholder
    return forms.TextInput({"autocomplete": "off", **attrs})


def _temperature_field() -> forms.CharField:
    return forms.CharField(
        label=_("temperature (°C)"),
        required=False,
        max_length=20,
        widget=_text(_("e.g. 36.5"), inputmode="decimal", enterkeyhint="next"),
    )


class PersonCheckForm(forms.Form):
    """One person on file, as found at the door."""

    present = forms.BooleanField(label=_("at home"), required=False, initial=True)
    temperature = _temperature_field()
    symptoms = forms.BooleanField(label=_("fever, cough or other symptoms"), required=False)
    came_from = forms.CharField(
        label=_("came from"),
        required=False,
        max_length=100,
        widget=_text(_("only if new, e.g. Wuhan, Hubei")),
    )
    came_on = forms.DateField(label=_("came on"), required=False, widget=_date_input())
    phone = forms.CharField(
        label=_("mobile phone"),
        required=False,
        max_length=20,
        widget=_text(_("only if changed"), inputmode="tel", autocomplete="tel"),
    )

    def __init__(self, *args, person, **kwargs):
        kwargs.setdefault("prefix", f"p{person.pk}")
        super().__init__(*args, **kwargs)
        self.person = person

    def entry(self) -> dict:
        """The check as `services.visit_record` takes it."""
        return {"person": self.person, **self.cleaned_data}


class NewPersonForm(forms.Form):
    """Someone living in the dwelling who has no file yet (one of a few numbered slots)."""

    name = forms.CharField(label=_("name"), required=False, max_length=50, widget=_text())
    doc_type = forms.ChoiceField(
        label=_("document type"), choices=DocType.choices, initial=DocType.ID_CARD, required=False
    )
    doc_number = forms.CharField(
        label=_("document number"), required=False, max_length=30, widget=_text()
    )
    phone = forms.CharField(
        label=_("mobile phone"),
        required=False,
        max_length=20,
        widget=_text(inputmode="tel", autocomplete="off"),
    )
    temperature = _temperature_field()
    symptoms = forms.BooleanField(label=_("fever, cough or other symptoms"), required=False)
    came_from = forms.CharField(
        label=_("came from"), required=False, max_length=100, widget=_text(_("e.g. Wuhan, Hubei"))
    )
    came_on = forms.DateField(label=_("came on"), required=False, widget=_date_input())

    def __init__(self, *args, slot: int, **kwargs):
        kwargs.setdefault("prefix", f"new{slot}")
        super().__init__(*args, **kwargs)
        self.slot = slot
        self.number = slot + 1

    def was_typed_in(self) -> bool:
        """Whether anything was typed in the slot (the document type's default aside): such
        a slot is sent to be saved, and shown open again."""
        if not self.is_bound:
            return False
        typed = ("name", "doc_number", "phone", "temperature", "came_from", "came_on", "symptoms")
        return any((self.data.get(self.add_prefix(name)) or "").strip() for name in typed)

    def entry(self) -> dict:
        data = dict(self.cleaned_data)
        data["name"] = data["name"].strip()
        data["doc_number"] = data["doc_number"].strip()
        data["doc_type"] = data["doc_type"] or DocType.ID_CARD
        return data


NEW_PERSON_SLOTS = 3


class WorklistFilter(forms.Form):
    """The team list's filter: a status and a search by room or resident's name."""

    status = forms.ChoiceField(
        label=_("status"),
        required=False,
        choices=[("", _("all")), *DwellingStatus.choices],
    )
    q = forms.CharField(
        label=_("room or name"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            {"type": "search", "placeholder": _("e.g. 1001 or Zhang"), "enterkeyhint": "search"}
        ),
    )
    b = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def values(self) -> tuple[str, str, int | None]:
        """(status, search, building to open); a bad value counts as not given."""
        if not self.is_valid():
            return "", "", None
        data = self.cleaned_data
        return data["status"] or "", (data["q"] or "").strip(), data["b"]
