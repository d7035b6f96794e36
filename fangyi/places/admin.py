from django.contrib import admin

from fangyi.places.models import (
    Building,
    Community,
    District,
    Dwelling,
    Gate,
    Household,
    Street,
    Zone,
)


@admin.register(District)
class DistrictAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("name", "code")


@admin.register(Street)
class StreetAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "district")
    list_filter = ("district",)
    search_fields = ("name", "code")


@admin.register(Community)
class CommunityAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "street")
    list_filter = ("street",)
    search_fields = ("name", "code")
    raw_id_fields = ("street", "district")


class GateInline(admin.TabularInline):
    model = Gate
    extra = 0


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind", "community", "contact_name")
    list_filter = ("kind", "street")
    search_fields = ("name", "code")
    raw_id_fields = ("community", "street", "district")
    inlines = [GateInline]


@admin.register(Building)
class BuildingAdmin(admin.ModelAdmin):
    list_display = ("name", "zone", "floors")
    search_fields = ("name", "zone__name")
    raw_id_fields = ("zone", "community", "street", "district")


@admin.register(Dwelling)
class DwellingAdmin(admin.ModelAdmin):
    list_display = ("building", "floor", "room")
    search_fields = ("building__name", "room")
    raw_id_fields = ("building", "zone")


@admin.register(Household)
class HouseholdAdmin(admin.ModelAdmin):
    list_display = ("id", "dwelling", "label")
    raw_id_fields = ("dwelling",)
