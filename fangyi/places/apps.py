from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fangyi.places"
    label = "places"
    verbose_name = _("places")
