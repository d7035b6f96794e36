"""Choices of the screening app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Outcome(models.TextChoices):
    """What a team found at a dwelling's door."""

    ANSWERED = "answered", _("answered")
    NOBODY_HOME = "nobody_home", _("nobody home")
    REFUSED = "refused", _("refused")
    VACANT = "vacant", _("vacant")


class DwellingStatus(models.TextChoices):
    """A dwelling's state within a campaign, derived from its latest visit."""

    NOT_VISITED = "not_visited", _("not visited")
    REVISIT = "revisit", _("revisit")
    REFUSED = "refused", _("refused")
    DONE = "done", _("visited")
