from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fangyi.duty"
    label = "duty"
    verbose_name = _("duty")
