"""Retention's writes: the daily purge (retention.purge) and the erasure of one person's
file on request (retention.erasure). Each module explains its rules."""

from fangyi.retention.erasure import is_erased, may_erase, person_erase
from fangyi.retention.purge import PurgeResult, retention_purge

__all__ = ["PurgeResult", "is_erased", "may_erase", "person_erase", "retention_purge"]
