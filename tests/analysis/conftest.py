"""Small hand-built connection frames, inventories and keepalive frames for the analysis tests."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

from kit.firewall.schema import conform, empty_connections

T0 = pd.Timestamp("2024-06-02 00:00:00", tz="UTC")

_DEFAULTS = {
    "device": "asa1", "vendor": "cisco-asa", "msg_id": "302014", "protocol": "tcp",
    "src_if": "dmz", "src_ip": "192.168.1.10", "src_port": 40000, "dst_if": "inside",
    "dst_ip": "10.0.0.1", "dst_port": 1556,
    "orientation": "logged", "duration": pd.NaT, "bytes": None, "reason": None, "close": None,
    "user": None, "source": "asa.log", "line": 1,
}


def at(seconds: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(seconds=seconds)


def events(*rows: dict) -> pd.DataFrame:
    """Connection events from short dicts: ``time`` in seconds after T0, ``duration`` in s."""
    full = []
    for i, row in enumerate(rows):
        r = {**_DEFAULTS, "line": i + 1, **row}
        r["time"] = at(r["time"])
        r["msg_id"] = "302013" if r["event"] == "built" else "302014"
        if r["event"] == "teardown" and not isinstance(r["duration"], pd.Timedelta):
            r["duration"] = pd.Timedelta(seconds=r["duration"])
        full.append(r)
    return conform(pd.DataFrame(full)) if full else empty_connections()


def connection(conn_id: str, start: float, duration: float, *, close: str = "fin",
               bytes: int = 1000, **endpoint) -> list[dict]:
    """A Built at ``start`` and its Teardown ``duration`` seconds later."""
    reason = {"fin": "TCP FINs", "idle-timeout": "Conn-timeout", "reset": "TCP Reset-I"}[close]
    return [
        {"event": "built", "time": start, "conn_id": conn_id, **endpoint},
        {"event": "teardown", "time": start + duration, "conn_id": conn_id,
         "duration": duration, "bytes": bytes, "reason": reason, "close": close, **endpoint},
    ]


@pytest.fixture
def inventory() -> pd.DataFrame:
    return pd.DataFrame({
        "host": ["master", "media", "media", "client1", "client2"],
        "ip": ["10.0.0.1", "10.0.0.2", "10.0.1.2", "192.168.1.10", "192.168.1.11"],
        "role": ["master", "media", "media", "client", "client"],
        "os": ["linux", "linux", "linux", "linux", "windows"],
    })

