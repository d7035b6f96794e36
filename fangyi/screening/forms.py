"""Forms of the screening pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fangyi.duty.models import Staff
from fangyi.people.choices import DocType
from fangyi.places.models import Building
from fangyi.screening.choices import Outcome
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
