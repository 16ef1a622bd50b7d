"""The frames ``kit.hosts`` returns: column names and dtypes, declared once."""

from __future__ import annotations

import pandas as pd

from .defaults import OS_LABELS

STRING = pd.StringDtype("pyarrow")

#: one row per host (``read_keepalive``)
KEEPALIVE_DTYPES: dict[str, object] = {
    "host": STRING,
    "os": pd.CategoricalDtype(OS_LABELS),
    "keepalive_time": "timedelta64[ns]",
    "keepalive_interval": "timedelta64[ns]",
    "keepalive_probes": pd.Int64Dtype(),
    "time_to_detect": "timedelta64[ns]",
    "defaulted": STRING,
    "warnings": STRING,
    "source": STRING,
    "line": pd.UInt64Dtype(),
}

#: the normalised TCP states (``ss`` and ``netstat`` spell them differently)
STATES = ("established", "syn-sent", "syn-recv", "fin-wait-1", "fin-wait-2", "time-wait",
          "close", "close-wait", "last-ack", "listen", "closing", "unknown")
#: the kernel's timer names as ``ss -o`` and ``netstat -o`` print them
TIMERS = ("keepalive", "on", "off", "timewait", "persist", "unknown")

#: one row per socket (``read_sockets``)
SOCKET_DTYPES: dict[str, object] = {
    "host": STRING,
    "state": pd.CategoricalDtype(STATES),
    "local_ip": STRING,
    "local_port": pd.UInt16Dtype(),
    "peer_ip": STRING,
    "peer_port": pd.UInt16Dtype(),
    "timer": pd.CategoricalDtype(TIMERS),
    "timer_remaining": "timedelta64[ns]",
    "probes": pd.Int64Dtype(),
    "source": STRING,
    "line": pd.UInt64Dtype(),
}


def frame(rows: list[dict[str, object]], dtypes: dict[str, object]) -> pd.DataFrame:
    """``rows`` as a frame with exactly ``dtypes``' columns, in order (zero rows allowed)."""
    columns = {name: pd.Series([row[name] for row in rows], dtype=_loose(dtype))
               for name, dtype in dtypes.items()}
    return pd.DataFrame(columns).astype(dtypes)


def _loose(dtype: object) -> object:
    """Build through object so None/NaT/NA mix freely before the final cast."""
    return "timedelta64[ns]" if dtype == "timedelta64[ns]" else object
