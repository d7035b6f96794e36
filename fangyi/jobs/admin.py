from django.contrib import admin

from fangyi.core.admin import ReadOnly
from fangyi.jobs.models import Job, PeriodicRun, WorkerBeat


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "user", "status", "done", "total", "created_at", "finished_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(WorkerBeat)
class WorkerBeatAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["worker_id", "host", "pid", "started_at", "seen_at", "stopped_at"]


@admin.register(PeriodicRun)
class PeriodicRunAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["name", "period", "status", "worker", "started_at", "finished_at"]
    list_filter = ["name", "status"]
