"""The case folder: one place for an incident's files, loaded in one call (``load_case``)."""

from __future__ import annotations

from .loader import Case, load_case
from .scaffold import new_case
from .settings import CaseSettings

__all__ = ["Case", "CaseSettings", "load_case", "new_case"]
