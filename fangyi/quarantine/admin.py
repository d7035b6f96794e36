from django.contrib import admin

from fangyi.core.admin import ReadOnly
from fangyi.quarantine.models import Facility, QuarantineCase


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    """Operators set up stations, observation points, hotels and hospitals here."""

    list_display = ("name", "kind", "community", "capacity", "active")
    list_filter = ("kind", "active")
    search_fields = ("name", "address")
    raw_id_fields = ("district", "community")
    filter_horizontal = ("staff",)


@admin.register(QuarantineCase)
class QuarantineCaseAdmin(ReadOnly, admin.ModelAdmin):
    """Read-only: cases change only through their transitions (the case page and the API)."""

    list_display = ("case_no", "person", "state", "start_date", "policy")
    list_filter = ("state", "reason")
    search_fields = ("case_no",)
    raw_id_fields = ("person", "zone", "created_by")
    exclude = ("checkin_key",)
