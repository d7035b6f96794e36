from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fangyi.jobs"
    label = "jobs"
    verbose_name = _("background jobs")

    def ready(self) -> None:
        from fangyi.core import healthz
        from fangyi.jobs.health import check_worker

        healthz.register("worker", check_worker)
