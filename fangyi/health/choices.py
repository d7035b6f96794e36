from django.db import models
from django.utils.translation import gettext_lazy as _


class ExposureKind(models.TextChoices):
    HOUSEHOLD = "household", _("household")
    WORK = "work", _("work")
    TRANSPORT = "transport", _("transport")
    CARE = "care", _("care")
    OTHER = "other", _("other")
