"""Forms of the support pages: they parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from fangyi.support.choices import RequestKind, SupplierKind, VolunteerKind


class RequestForm(forms.Form):
    kind = forms.ChoiceField(label=_("what kind of help"), choices=RequestKind.choices)
    description = forms.CharField(
        label=_("what is needed"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class StaffChoiceForm(forms.Form):
    """Choose someone of the roster (or nobody)."""

    staff = forms.ModelChoiceField(label=_("assign to"), queryset=None, required=False)

    def __init__(self, *args, staff_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = staff_queryset


class VisitForm(forms.Form):
    every_days = forms.IntegerField(label=_("every (days)"), min_value=1, max_value=60, initial=3)
    starts_on = forms.DateField(
        label=_("first visit"), widget=forms.DateInput(attrs={"type": "date"})
    )
    volunteer = forms.ModelChoiceField(label=_("visited by"), queryset=None, required=False)
    note = forms.CharField(label=_("note"), required=False, max_length=200)

    def __init__(self, *args, staff_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = staff_queryset


class VolunteerForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=50)
    phone = forms.CharField(label=_("mobile phone"), max_length=11, required=False)
    kind = forms.ChoiceField(label=_("kind"), choices=VolunteerKind.choices)
    zone = forms.ModelChoiceField(label=_("zone"), queryset=None)
    availability = forms.CharField(
        label=_("availability"),
        max_length=100,
        required=False,
        help_text=_("e.g. weekday afternoons"),
    )

    def __init__(self, *args, zones, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = zones


class CareGroupForm(forms.Form):
    zone = forms.ModelChoiceField(label=_("zone"), queryset=None)
    building = forms.CharField(
        label=_("building"), max_length=100, required=False, help_text=_("empty: the whole zone")
    )
    name = forms.CharField(label=_("group name"), max_length=100)
    chat_name = forms.CharField(label=_("chat group"), max_length=100, required=False)
    chat_link = forms.URLField(label=_("chat group link"), required=False, assume_scheme="https")
    staff = forms.ModelChoiceField(label=_("responsible"), queryset=None, required=False)

    def __init__(self, *args, zones, staff_queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zone"].queryset = zones
        self.fields["staff"].queryset = staff_queryset


class SupplierForm(forms.Form):
    name = forms.CharField(label=_("name"), max_length=100)
    kind = forms.ChoiceField(label=_("kind"), choices=SupplierKind.choices)
    contact_name = forms.CharField(label=_("contact person"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("contact phone"), max_length=20, required=False)
    zones = forms.ModelMultipleChoiceField(label=_("zones served"), queryset=None)

    def __init__(self, *args, zones, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zones"].queryset = zones


class ItemForm(forms.Form):
    name = forms.CharField(label=_("item or bundle"), max_length=100)
    description = forms.CharField(label=_("contents"), max_length=200, required=False)
    is_bundle = forms.BooleanField(label=_("set bundle"), required=False)
    unit = forms.CharField(label=_("unit"), max_length=20, initial="份")
    price = forms.DecimalField(label=_("price"), min_value=0, max_digits=8, decimal_places=2)
    stock = forms.IntegerField(
        label=_("stock"), min_value=0, required=False, help_text=_("empty: no limit")
    )
    max_per_order = forms.IntegerField(label=_("most per order"), min_value=1, required=False)
