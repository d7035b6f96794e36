from django.contrib import admin

from fangyi.reports.models import ConfirmedCase, ZoneMap


@admin.register(ConfirmedCase)
class ConfirmedCaseAdmin(admin.ModelAdmin):
    list_display = ("date", "zone", "person", "note")
    list_filter = ("date",)
    raw_id_fields = ("person", "zone", "community", "street", "district")
    # Entered through the page, which copies the zone's ancestors.
    readonly_fields = ("community", "street", "district", "created_by", "created_at")


@admin.register(ZoneMap)
class ZoneMapAdmin(admin.ModelAdmin):
    list_display = ("zone", "image_width", "image_height", "updated_at")
    raw_id_fields = ("zone",)
    readonly_fields = ("updated_by", "updated_at")
