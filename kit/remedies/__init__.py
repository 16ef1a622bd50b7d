"""The remedies compared on the case's own connections, and the recommendation drawn from them."""

from .assumptions import AssumptionError, Assumptions
from .context import resolve_assumptions
from .model import COLUMNS, REMEDIES, compare_remedies, replay_remedy
from .ranking import Recommendation, recommend

__all__ = [
    "COLUMNS", "REMEDIES", "AssumptionError", "Assumptions", "Recommendation", "compare_remedies",
    "recommend", "replay_remedy", "resolve_assumptions",
]
