from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fangyi.support"
    label = "support"
    verbose_name = _("support")

    def ready(self):
        from fangyi.duty.scope import person_grant
        from fangyi.support.selectors import served_person_ids

        # A volunteer sees the files of the people it serves (duty.scope).
        person_grant(served_person_ids)
