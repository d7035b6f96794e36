from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    DISTRICT_LEADER = "district_leader", _("district leader")
    CADRE = "cadre", _("cadre")
    COMMUNITY_SECRETARY = "community_secretary", _("community secretary")
    GRID_WORKER = "grid_worker", _("grid worker")
    GATE_GUARD = "gate_guard", _("gate guard")
    STATION_DOCTOR = "station_doctor", _("station doctor")
    VOLUNTEER = "volunteer", _("volunteer")
    PROPERTY_MANAGER = "property_manager", _("property manager")
