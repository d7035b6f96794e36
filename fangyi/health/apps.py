from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    """Epidemic facts about people that link them: exposures (close contacts) and the
    one alert model. Above people, below the apps that record the other facts
    (quarantine, passes, reports, screening), which raise alerts and record exposures
    through health's services."""

    name = "fangyi.health"
    label = "health"
    verbose_name = _("epidemic state")

    def ready(self) -> None:
        # The person page links to the person's close contacts (people.panels).
        from fangyi.health.exposures import exposure_counts
        from fangyi.people.panels import register

        register("exposure_counts", exposure_counts)
