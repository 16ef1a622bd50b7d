"""Failures: NetBackup job records, application-error CSVs and the one status catalogue."""

from .app_errors import read_app_errors
from .bpdbjobs import read_bpdbjobs
from .catalogue import CLASSES, DETECT_LAG, NETBACKUP_STATUS, classify_error, status_class

__all__ = ["CLASSES", "DETECT_LAG", "NETBACKUP_STATUS", "classify_error", "read_app_errors",
           "read_bpdbjobs", "status_class"]
