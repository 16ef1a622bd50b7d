"""The remedies compared on the case's own connections, and the recommendation drawn from them."""

from .model import BASELINE, COLUMNS, REMEDIES, compare_remedies, replay_remedy
from .ranking import Recommendation, recommend

__all__ = [
    "BASELINE", "COLUMNS", "REMEDIES", "Recommendation", "compare_remedies", "recommend",
    "replay_remedy",
]
