from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangyi.people.identity import IdentityError, parse_document
from fangyi.people.selectors import people_for
from fangyi.places.models import Zone
from fangyi.reports.choices import CaseClassification
from fangyi.reports.selectors import case_zones

ERR_NO_SUCH_PERSON = _("No person file with this ID number in your area.")


class ConfirmedCaseForm(forms.Form):
    """Enter a confirmed case; the zones (and the people found by ID number) are those
    where the service would accept the record (`reports.selectors.case_zones`)."""

    date = forms.DateField(
        label=_("date of diagnosis"), widget=forms.DateInput(attrs={"type": "date"})
    )
    classification = forms.ChoiceField(
        label=_("classification"),
        choices=CaseClassification.choices,
        initial=CaseClassification.CONFIRMED,
        required=False,
        help_text=_("A suspected case confirmed later: record it again as confirmed."),
    )
    onset_date = forms.DateField(
        label=_("date of onset (when known)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    zone = forms.ModelChoiceField(label=_("zone"), queryset=Zone.objects.none(), required=False)
    id_number = forms.CharField(
        label=_("ID number of the person (when known)"), required=False, max_length=30
    )
    note = forms.CharField(label=_("note"), required=False, max_length=200)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["zone"].queryset = case_zones(user)

    def clean_classification(self):
        # Not chosen (an older page, a script): a confirmed case, as before the choice.
        return self.cleaned_data.get("classification") or CaseClassification.CONFIRMED

    def clean_id_number(self):
        raw = self.cleaned_data.get("id_number", "").strip()
        if not raw:
            return None
        try:
            number = parse_document("id_card", raw).number
        except IdentityError as exc:
            raise forms.ValidationError(str(exc)) from None
        person = (
            people_for(self.user)
            .filter(doc_type="id_card", doc_number=number)
            # People of the zones offered, and people without a dwelling (the zone is
            # then chosen above).
            .filter(Q(zone__in=self.fields["zone"].queryset.values("pk")) | Q(zone__isnull=True))
            .first()
        )
        if person is None:
            raise forms.ValidationError(ERR_NO_SUCH_PERSON)
        return person


class BaseImageForm(forms.Form):
    base_image = forms.FileField(label=_("aerial photo or site plan (PNG, JPEG, WebP)"))
