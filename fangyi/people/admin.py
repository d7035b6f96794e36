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
    readonly_fields = ("person", "at", "by", "source", "action", "changes")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
