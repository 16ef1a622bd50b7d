"""Sessions, idle-timeout teardowns, the inferred timeout, who is affected, concurrency."""

from .affected import affected, host_at_risk
from .concurrency import Concurrency, concurrency
from .explain import EXPLAIN_COLUMNS, ClockOffset, explain_failures
from .sessions import SESSION_COLUMNS, idle_teardowns, sessions
from .timeout import TimeoutEstimate, infer_idle_timeout

__all__ = [
    "EXPLAIN_COLUMNS", "SESSION_COLUMNS", "ClockOffset", "Concurrency", "TimeoutEstimate",
    "affected", "concurrency", "explain_failures", "host_at_risk", "idle_teardowns",
    "infer_idle_timeout", "sessions",
]
