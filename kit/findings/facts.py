"""What the Findings of several notebooks share: the case's own derived facts, built once per
case, so every notebook and the report quote the same timeout, ports and hosts."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..analysis import idle_teardowns
from ..analysis.format import hms
from .text import listing, service


def tcp_only(frame: pd.DataFrame) -> pd.DataFrame:
    """The TCP rows of ``frame``."""
    return frame.loc[(frame["protocol"] == "tcp").fillna(False).to_numpy(dtype=bool)]


class Facts:
    """What the sentences of several notebooks share: the case's own derived facts (built once
    per case, so every notebook and the report quote the same timeout and hosts)."""

    def __init__(self, case: Any):
        self.case = case
        self.sessions = case.sessions
        self.idle = tcp_only(idle_teardowns(self.sessions))
        self.estimate = case.timeout.estimate
        #: the timeout the analysis works with, and where it comes from
        self.timeout: pd.Timedelta | None = case.timeout.value
        self.timeout_source = case.timeout.source
        #: the zone times are written in (``[case] display_tz``; stored times stay UTC)
        self.tz: str = getattr(case.settings, "display_tz", "UTC")
        #: service port -> its own timeout, where the data shows one (PAN-OS idle waits)
        self.port_timeouts: dict[int, pd.Timedelta] = (
            dict(self.estimate.by_port) if self.timeout is not None else {})

    def timeout_of(self, rows: pd.DataFrame) -> pd.Series:
        """Each row's timeout: its service port's own where it has one, else the case's."""
        own = rows["service_port"].map(self.port_timeouts).astype("timedelta64[ns]")
        return own.fillna(self.timeout)

    def timeouts_text(self) -> str:
        """``the 1:00:00 timeout (case.toml)``, with the ports that have their own:
        ``the 1:00:00 timeout (case.toml; 2:00:00 on vnetd/13724, its own timeout)``."""
        own = [f"{hms(t)} on {service(self._service_name(p), p)}"
               for p, t in sorted(self.port_timeouts.items())]
        return (f"the {hms(self.timeout)} timeout ({self.timeout_source}"
                + (f"; {listing(own)}, {'its' if len(own) == 1 else 'their'} own timeout"
                   if own else "") + ")")

    def _service_name(self, port: int) -> Any:
        names = self.sessions.loc[(self.sessions["service_port"] == port).fillna(False)
                                  .to_numpy(dtype=bool), "service"].dropna()
        return names.iloc[0] if len(names) else None
