from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    """Personal data that expires: the daily purge and the erasure of one file.

    On top of every other app: it may import any of them, none imports it."""

    name = "fangyi.retention"
    label = "retention"
    verbose_name = _("data retention")
