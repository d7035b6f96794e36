from django.db import models
from django.utils.translation import gettext_lazy as _


class ZoneKind(models.TextChoices):
    URBAN_VILLAGE = "urban_village", _("urban village")
    COMPOUND = "compound", _("property compound")
    SINGLE_BUILDING = "single_building", _("single building")


class Level(models.TextChoices):
    """The levels of the place tree, from the top down."""

    DISTRICT = "district", _("district")
    STREET = "street", _("street")
    COMMUNITY = "community", _("community")
    ZONE = "zone", _("zone")
    BUILDING = "building", _("building")


LEVELS: tuple[str, ...] = tuple(Level.values)
