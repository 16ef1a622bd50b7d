"""Sessions, idle-timeout teardowns, the inferred timeout, who is affected, concurrency."""

from .affected import affected, host_at_risk
from .concurrency import Concurrency, concurrency
from .explain import EXPLAIN_COLUMNS, ClockOffset, explain_failures
from .sessions import SESSION_COLUMNS, idle_teardowns, sessions
from .timeout import CaseTimeout, TimeoutEstimate, infer_idle_timeout, timeout_in_force

__all__ = [
    "EXPLAIN_COLUMNS", "SESSION_COLUMNS", "CaseTimeout", "ClockOffset", "Concurrency",
    "TimeoutEstimate", "affected", "concurrency", "explain_failures", "host_at_risk",
    "idle_teardowns", "infer_idle_timeout", "sessions", "timeout_in_force",
]
