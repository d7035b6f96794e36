from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fangyi.quarantine"
    label = "quarantine"
    verbose_name = _("quarantine")

    def ready(self) -> None:
        # The person page lists the person's cases (people may not import quarantine).
        from fangyi.people.panels import register
        from fangyi.quarantine.selectors import person_cases

        register("quarantine_cases", person_cases)
        # Close contacts' quarantine counts from the last exposure (health.exposures).
        from fangyi.health.contact_hooks import register as register_contacts
        from fangyi.quarantine import contacts

        register_contacts(contacts)
