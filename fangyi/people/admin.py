import json

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from fangyi.people.models import Person, PersonEvent


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    """Operators' view, read-only: edits go through the pages and the API so that every
    change lands in the file's history. Document numbers and phones are masked here too;
    reveals go through the person page, which logs them."""

    list_display = ("name", "masked_doc", "zone", "travel_status", "health_status", "verified")
    list_filter = ("travel_status", "health_status", "verified", "elderly_alone")
    search_fields = ("name",)
    exclude = ("doc_number", "phone")
    readonly_fields = ("masked_doc", "masked_phone", "created_at", "updated_at")
    raw_id_fields = ("dwelling", "household", "building", "zone", "community", "street", "district")
    list_select_related = ("zone",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Deleting the row would delete its history and access log with it: a file is
        # erased on request through `fangyi erase` (retention.erasure), which keeps them.
        return False

    @admin.display(description=_("document number"))
    def masked_doc(self, obj):
        from fangyi.people.identity import mask_document

        return mask_document(obj.doc_number)

    @admin.display(description=_("mobile phone"))
    def masked_phone(self, obj):
        from fangyi.people.identity import mask_phone

        return mask_phone(obj.phone)


@admin.register(PersonEvent)
class PersonEventAdmin(admin.ModelAdmin):
    """The history of files: read-only, never deleted by hand."""

    list_display = ("at", "person", "action", "by", "source")
    raw_id_fields = ("person", "by")
    fields = ("person", "at", "by", "source", "action", "masked_changes")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("changes"))
    def masked_changes(self, obj):
        """Old → new of each field, with document numbers and phones masked as everywhere
        (a merge's values of the dropped file included)."""
        return json.dumps(_masked(obj.changes), ensure_ascii=False)


def _masked(value, key: str = ""):
    from fangyi.people.identity import mask_document, mask_phone

    if isinstance(value, dict):
        return {k: _masked(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, key) for v in value]
    if isinstance(value, str) and value and key in ("doc_number", "phone"):
        return mask_document(value) if key == "doc_number" else mask_phone(value)
    return value
