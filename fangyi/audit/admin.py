from django.contrib import admin

from fangyi.audit.models import AccessLog
from fangyi.core.admin import ReadOnly


@admin.register(AccessLog)
class AccessLogAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("at", "user", "person", "field", "channel", "ip")
    list_filter = ("field", "channel")
    search_fields = ("user__username",)
    raw_id_fields = ("user", "person")
