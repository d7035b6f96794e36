from axes.admin import AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessFailureLog
from axes.models import AccessLog as LoginLog
from django.contrib import admin

from fangyi.core.admin import ReadOnly
from fangyi.retention.models import Erasure, Purge


@admin.register(Erasure)
class ErasureAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("at", "by", "person_id", "channel")
    list_filter = ("channel",)
    search_fields = ("person_id",)


@admin.register(Purge)
class PurgeAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("started_at", "finished_at", "policy")


# django-axes' login records are the login log: read-only too. Its failed-login counts
# (AccessAttempt) stay deletable: deleting one unlocks an account early.
for model, model_admin in ((LoginLog, AccessLogAdmin), (AccessFailureLog, AccessFailureLogAdmin)):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
        admin.site.register(model, type(model_admin.__name__, (ReadOnly, model_admin), {}))
