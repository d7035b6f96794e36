from django.contrib import admin

from fangyi.duty.models import ApiToken, Assignment, Staff


class AssignmentInline(admin.TabularInline):
    model = Assignment
    extra = 0
    raw_id_fields = ("district", "street", "community", "zone", "building")


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin):
    list_display = ("name", "role", "user", "active")
    list_filter = ("role", "active")
    search_fields = ("name", "user__username")
    raw_id_fields = ("user",)
    inlines = [AssignmentInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = (
        "prefix",
        "user",
        "label",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    list_filter = ("revoked_at",)
    search_fields = ("prefix", "user__username", "label")
    # Revoking is setting "revoked at"; the rest is what `fangyi token` made.
    readonly_fields = ("user", "digest", "prefix", "created_at", "expires_at", "last_used_at")

    def has_add_permission(self, request):
        # Tokens are made with `fangyi token USERNAME`, which shows the token once.
        return False
