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


class CampaignForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("group", "name"), max_length=100)
    starts_on = forms.DateField(label=_("first day"), widget=forms.DateInput({"type": "date"}))
    ends_on = forms.DateField(label=_("last day"), widget=forms.DateInput({"type": "date"}))


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
