from django import forms
from django.utils.translation import gettext_lazy as _

from fangyi.health.choices import ExposureKind
from fangyi.people.choices import DocType
from fangyi.people.identity import mask_name

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ExposureForm(forms.Form):
    """An exposure recorded from the index person's page: the contact is found by
    document number (typed as people.identity forgives) or picked from the household.
    The rules of days and who may record are the service's (health.exposures)."""

    household_member = forms.TypedChoiceField(
        label=_("member of the household"), coerce=int, required=False, empty_value=None
    )
    contact_doc_type = forms.ChoiceField(
        label=_("contact's document type"), choices=DocType.choices, initial=DocType.ID_CARD
    )
    contact_doc_number = forms.CharField(
        label=_("contact's document number"),
        max_length=40,
        required=False,
        help_text=_("Or choose a member of the household above."),
    )
    kind = forms.ChoiceField(label=_("kind of contact"), choices=ExposureKind.choices)
    first_exposure_on = forms.DateField(label=_("first exposure"), widget=DATE)
    last_exposure_on = forms.DateField(label=_("last exposure"), widget=DATE)
    place = forms.CharField(label=_("where"), max_length=200, required=False)
    note = forms.CharField(
        label=_("note"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, household=(), visible=frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["household_member"]
        # Members whose file the user does not see are offered without their full name.
        field.choices = [("", "—")] + [
            (p.pk, p.name if p.pk in visible else mask_name(p.name)) for p in household
        ]
        if not household:
            del self.fields["household_member"]
            self.fields["contact_doc_number"].help_text = ""
