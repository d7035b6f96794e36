"""Kinds and states of background jobs."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class JobKind(models.TextChoices):
    IMPORT_CHECK = "import_check", _("check of a resident list")
    IMPORT = "import", _("import of a resident list")
    EXPORT = "export", _("export of people")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("waiting")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)
