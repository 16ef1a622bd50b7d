"""Small hand-made cases for the redaction and report tests (no parser involved)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from kit.case import Case, CaseSettings
from kit.firewall.schema import CONNECTION_COLUMNS, conform
from kit.hosts.schema import KEEPALIVE_DTYPES, SOCKET_DTYPES
from kit.loadreport import FileReport, LoadReport

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))


def connections(rows: list[dict]) -> pd.DataFrame:
    """A connection-event frame from partial rows (missing columns are NA)."""
    full = [{c: row.get(c) for c in CONNECTION_COLUMNS} for row in rows]
    frame = pd.DataFrame(full, columns=list(CONNECTION_COLUMNS))
    frame["time"] = pd.to_datetime(frame["time"], utc=True)
    frame["duration"] = pd.to_timedelta(frame["duration"])
    frame["active"] = pd.to_timedelta(frame["active"])  # all None: object dtype otherwise
    return conform(frame)


def make_case(root: Path, *, user: str = "LOCAL\\alice", interface: str = "outside") -> Case:
    """A tiny case: a client 192.168.10.21 (db01) killed at 1:00:27 by fw01 talking to the
    master nbu-master.corp.example (10.20.0.5), plus IPv6 and a host-name endpoint."""
    root.mkdir(parents=True, exist_ok=True)
    events = connections([
        {"time": "2024-06-02T20:53:00Z", "device": "fw01.corp.example", "vendor": "cisco-asa",
         "msg_id": "302013", "event": "built", "protocol": "tcp", "conn_id": "17",
         "src_if": interface, "src_ip": "192.168.10.21", "src_port": 40001, "dst_if": "inside",
         "dst_ip": "10.20.0.5", "dst_port": 13724, "orientation": "logged", "user": user,
         "source": str(root / "firewall" / "asa.log"), "line": 1},
        {"time": "2024-06-02T21:53:27Z", "device": "fw01.corp.example", "vendor": "cisco-asa",
         "msg_id": "302014", "event": "teardown", "protocol": "tcp", "conn_id": "17",
         "src_if": interface, "src_ip": "192.168.10.21", "src_port": 40001, "dst_if": "inside",
         "dst_ip": "10.20.0.5", "dst_port": 13724, "orientation": "built",
         "duration": "1:00:27", "bytes": 1546, "reason": "Conn-timeout", "close": "idle-timeout",
         "user": user, "source": str(root / "firewall" / "asa.log"), "line": 2},
        {"time": "2024-06-02T22:00:00Z", "device": "fw01.corp.example", "vendor": "cisco-asa",
         "msg_id": "302014", "event": "teardown", "protocol": "tcp", "conn_id": "18",
         "src_if": "outside", "src_ip": "2001:db8:5::21", "src_port": 50000, "dst_if": "inside",
         "dst_ip": "backup-vip.corp.example", "dst_port": 1556, "orientation": "port",
         "duration": "0:00:04", "bytes": 99, "reason": "TCP FINs", "close": "fin",
         "source": str(root / "firewall" / "asa.log.1.gz"), "line": 7},
    ])
    hosts = pd.DataFrame({
        "host": ["db01", "nbu-master.corp.example"], "os": ["linux", "linux"],
        "keepalive_time": pd.to_timedelta(["2h", "2h"]),
        "keepalive_interval": pd.to_timedelta(["75s", "75s"]), "keepalive_probes": [9, 9],
        "time_to_detect": pd.to_timedelta(["2h11min15s", "2h11min15s"]),
        "defaulted": ["", ""], "warnings": ["db01: tcp_keepalive_time is the default", ""],
        "source": [str(root / "hosts" / "db01.sysctl"), str(root / "hosts" / "master.sysctl")],
        "line": [1, 1],
    }).astype(KEEPALIVE_DTYPES)
    sockets = pd.DataFrame({
        "host": ["db01"], "state": ["established"], "local_ip": ["192.168.10.21"],
        "local_port": [40001],
        "peer_ip": ["10.20.0.5"], "peer_port": [13724], "timer": ["on"],
        "timer_remaining": pd.to_timedelta(["10s"]), "probes": [0],
        "source": [str(root / "sockets" / "db01-ss.txt")], "line": [3],
    }).astype(SOCKET_DTYPES)
    inventory = pd.DataFrame({
        "host": ["db01", "nbu-master.corp.example", "db01"],
        "ip": ["192.168.10.21", "10.20.0.5", "2001:db8:5::21"],
        "role": pd.Categorical(["client", "master", "client"]), "os": ["linux", "linux", "linux"],
    })
    firewall = FileReport(str(root / "firewall" / "asa.log"), read=5, parsed=2)
    firewall.reject(3, "expected 'for IF:ip/port' near 'outside:192.168.10.99/1'")
    firewall.reject(4, "binary junk")
    firewall.ignore("106023")
    report = LoadReport([firewall], {"fw01.corp.example": pd.Timedelta(hours=-5)})
    settings = CaseSettings(id="INC-1", title="db01 backups fail",
                            notes="db01 (192.168.10.21) loses its vnetd session to nbu-master")
    return Case(root, settings, events, hosts, sockets, inventory, report)
