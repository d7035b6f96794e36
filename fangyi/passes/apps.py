from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fangyi.passes"
    label = "passes"
    verbose_name = _("passes")
