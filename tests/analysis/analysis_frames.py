"""Hand-built connection events and a small Case shared by the analysis tests.

(Not in conftest.py: several test folders have one, and a plain ``import conftest`` could pick up
another folder's.)
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kit import LoadReport
from kit.case import Case, CaseSettings
from kit.firewall.schema import conform, empty_connections
from kit.hosts.schema import SOCKET_DTYPES

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


C1, C2, MASTER, WEB = "192.168.1.10", "192.168.1.11", "10.0.0.1", "8.8.8.8"
HOURS = 9600 / 3600
s = pd.to_timedelta


def hosts_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "host": ["master", "c1", "c2"], "os": ["linux", "linux", "windows"],
        "keepalive_time": s([7200, 7200, 300], unit="s"),
        "keepalive_interval": s([75, 75, 1], unit="s"),
        "keepalive_probes": pd.array([9, 9, 10], dtype="Int64"),
        "time_to_detect": s([7875, 7875, 310], unit="s"),
        "defaulted": "", "warnings": "", "source": "x", "line": 1,
    })


def sockets_frame(rows=()) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=list(SOCKET_DTYPES))
    return frame.astype(SOCKET_DTYPES)


def the_case(*, sockets=(), timeout=3600, capacity=None, idle=True) -> Case:
    """Seven TCP sessions over 9600 s; A and C die idle (see the test module's arithmetic)."""
    close = "idle-timeout" if idle else "fin"
    ev = events(
        *connection("A", 0, 3700, close=close, src_ip=C1, src_port=40001, dst_ip=MASTER,
                    dst_port=13724),
        *connection("C", 100, 3700, close=close, src_ip=C1, src_port=40002, dst_ip=MASTER,
                    dst_port=1556),
        *connection("E", 300, 700, src_ip=C1, src_port=40003, dst_ip=WEB, dst_port=443),
        *connection("D", 1300, 1000, src_ip=C2, src_port=40004, dst_ip=MASTER, dst_port=1556),
        *connection("F", 4000, 500, src_ip=C2, src_port=40005, dst_ip=MASTER, dst_port=1556),
        *connection("G", 4100, 100, src_ip=C1, src_port=40006, dst_ip=MASTER, dst_port=13782),
        *connection("B", 9000, 600, src_ip=C1, src_port=40007, dst_ip=MASTER, dst_port=13724),
    )
    inventory = pd.DataFrame({"host": ["master", "c1", "c2"], "ip": [MASTER, C1, C2],
                              "role": ["master", "client", "client"],
                              "os": ["linux", "linux", "windows"]})
    settings_ = CaseSettings(id="t", idle_timeout=pd.Timedelta(seconds=timeout) if timeout
                             else None, capacity=capacity)
    return Case(Path("."), settings_, ev, hosts_frame(), sockets_frame(sockets), inventory,
                LoadReport())
