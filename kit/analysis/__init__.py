"""Sessions, idle-timeout teardowns, the inferred timeout, who is affected, concurrency."""

from .affected import affected, host_at_risk
from .concurrency import Concurrency, concurrency
from .sessions import SESSION_COLUMNS, idle_teardowns, sessions
from .timeout import TimeoutEstimate, infer_idle_timeout

__all__ = [
    "SESSION_COLUMNS", "Concurrency", "TimeoutEstimate", "affected", "concurrency",
    "host_at_risk", "idle_teardowns", "infer_idle_timeout", "sessions",
]
