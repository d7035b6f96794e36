from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fangyi.reports"
    label = "reports"
    verbose_name = _("reports")

    def ready(self) -> None:
        # The home page's sections read every app: they live here, at the top.
        from fangyi.core.home import home_provider
        from fangyi.reports.home import today_sections

        home_provider(today_sections)
