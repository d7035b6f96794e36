from django.contrib import admin

from fangyi.audit.models import AccessLog


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ("at", "user", "person", "field", "channel", "ip")
    list_filter = ("field", "channel")
    search_fields = ("user__username",)
    raw_id_fields = ("user", "person")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
