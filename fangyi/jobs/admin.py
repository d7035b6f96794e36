from django.contrib import admin

from fangyi.jobs.models import Job, PeriodicRun, WorkerBeat


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "user", "status", "done", "total", "created_at", "finished_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):
        return False


class _ReadOnly(admin.ModelAdmin):
    """Kept by the worker: the operator looks, never changes."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkerBeat)
class WorkerBeatAdmin(_ReadOnly):
    list_display = ["worker_id", "host", "pid", "started_at", "seen_at", "stopped_at"]


@admin.register(PeriodicRun)
class PeriodicRunAdmin(_ReadOnly):
    list_display = ["name", "period", "status", "worker", "started_at", "finished_at"]
    list_filter = ["name", "status"]
