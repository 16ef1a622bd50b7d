"""The ground truth of a generated case: what the kit must find in it, as plain numbers.

Written independently of the readers and the analysis (from the generator's own plan), so tests
can check the kit against it. ``data/README.md`` documents every key.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from . import exports as ex
from .hosts import DEFAULT_KEEPALIVE, Host
from .sessions import Session

TRUTH_FORMAT = 1
CLOSE = {"Conn-timeout": "idle-timeout", "TCP FINs": "fin", "TCP Reset-I": "reset",
         "TCP Reset-O": "reset", "SYN Timeout": "syn-timeout", "FIN Timeout": "half-closed-timeout"}
BACKUP_PORTS = {1556: "pbx", 13724: "vnetd", 13782: "bpcd"}


@dataclass(frozen=True)
class Export:
    """A host's export file and the keepalive it states (seconds; None = not applicable)."""

    file: str
    data: bytes
    keepalive_time_s: int
    keepalive_interval_s: float | None
    keepalive_probes: int | None
    time_to_detect_s: float
    #: columns whose value took the OS default because the export does not state it
    defaulted: tuple[str, ...]


def host_exports(hosts: list[Host]) -> dict[str, Export]:
    """host name -> its export in the OS's native format, with the values it encodes."""
    return {h.name: _export(h) for h in hosts if h.export}


def _export(h: Host) -> Export:
    k = h.keepalive_s
    if h.os == "linux":
        prompt = {"sysctl-prompt": f"[root@{h.name} ~]#", "sysctl-a": f"root@{h.name}:~#"}
        return Export(f"{h.name}.sysctl.txt", ex.linux_sysctl(k, prompt=prompt.get(h.export)),
                      k, 75, 9, k + 9 * 75, ())
    if h.os == "windows":
        time_ms = None if k == DEFAULT_KEEPALIVE else k * 1000
        defaulted = ("keepalive_interval", "keepalive_probes")
        if time_ms is None:
            defaulted = ("keepalive_time", *defaulted)
        if h.export == "reg":
            return Export(f"{h.name}.reg", ex.windows_reg(h.name, time_ms), k, 1.0, 10, k + 10.0,
                          defaulted)
        return Export(f"{h.name}.regquery.txt", ex.windows_reg_query(h.name, time_ms), k, 1.0,
                      10, k + 10.0, defaulted)
    if h.os == "aix":
        return Export(f"{h.name}.no.txt", ex.aix_no(k * 2), k, 75, 8, k + 8 * 75, ())
    if h.os == "solaris":
        data = ex.ndd_transcript({"tcp_keepalive_interval": k * 1000,
                                  "tcp_keepalive_abort_interval": 480_000},
                                 uname=f"SunOS {h.name} 5.10 Generic_150400-40 sun4v sparc sun4v")
        return Export(f"{h.name}.ndd.txt", data, k, None, None, k + 480, ())
    if h.os == "hpux":
        data = ex.ndd_transcript({"tcp_keepalive_interval": k * 1000,
                                  "tcp_ip_notify_interval": 10_000,
                                  "tcp_ip_abort_interval": 600_000},
                                 uname=f"HP-UX {h.name} B.11.31 U ia64 2837461923 unlimited-user "
                                       "license")
        return Export(f"{h.name}.ndd.txt", data, k, 10, None, k + 600, ())
    if h.os == "macos":
        return Export(f"{h.name}.sysctl.txt", ex.macos_sysctl(k * 1000), k, 75, 8, k + 8 * 75, ())
    raise ValueError(f"no export writer for {h.os}")


def truth_document(p, hosts: list[Host], sessions: list[Session], jobs: list[dict[str, Any]],
                   events: pd.DataFrame, files, exports: dict[str, Export],
                   sockets: dict[str, list[ex.Socket]], window: tuple[int, int]) -> dict[str, Any]:
    """The whole ground truth as a JSON-ready dict."""
    victims = [s for s in sessions if s.idle_torn]
    where = {row: (f.name, line) for f in files for row, line in f.line_of_event.items()}
    teardown_row = {int(r.session): int(i) for i, r in events.iterrows()
                    if r.event == "teardown"}
    failed = {s.job for s in victims}
    for job in jobs:
        job["status"] = "failed" if job["job"] in failed else "ok"
    no_timer = {name for name, socks in sockets.items()
                if any(s.keepalive_ms is None for s in socks if s.local_port != 22)}
    return {
        "format": TRUTH_FORMAT,
        "generator": "kit.synth.generate_case",
        "params": {k: v for k, v in asdict(p).items() if k != "extra"},
        "timeout_s": p.timeout_s,
        "window": {"start": _iso(window[0]), "end": _iso(window[1])},
        "clock": _clock(events, p.relay_tz, window[0]),
        "hosts": {h.name: _host(h, exports.get(h.name), p.timeout_s, victims,
                                h.name in no_timer) for h in hosts},
        "at_risk_hosts": sorted(h.name for h in hosts
                                if h.keepalive_s >= p.timeout_s or h.name in no_timer),
        "victims": [_victim(s, where[teardown_row[i]]) for i, s in enumerate(sessions)
                    if s.idle_torn],
        "victims_by_host_port": _by_host_port(victims),
        "jobs": jobs,
        "sockets": {name: [_socket(s) for s in socks] for name, socks in sockets.items()},
        "counts": _counts(events, files, sessions),
        "sessions_file": "truth-sessions.csv.gz",
    }


def _host(h: Host, export: Export | None, timeout_s: int, victims: list[Session],
          no_timer: bool) -> dict[str, Any]:
    lost = sum(1 for s in victims if h.name in (s.src.host, s.dst.host))
    out: dict[str, Any] = {"role": h.role, "os": h.os, "ips": [h.ip], "firewall": h.device,
                           "keepalive_time_s": h.keepalive_s, "so_keepalive": h.so_keepalive,
                           "sockets_without_keepalive_timer": no_timer,
                           "at_risk": h.keepalive_s >= timeout_s or no_timer,
                           "idle_timeout_teardowns": lost}
    if export is not None:
        out.update(export=f"hosts/{export.file}", keepalive_interval_s=export.keepalive_interval_s,
                   keepalive_probes=export.keepalive_probes,
                   time_to_detect_s=export.time_to_detect_s, defaulted=list(export.defaulted))
    return out


def _victim(s: Session, place: tuple[str, int]) -> dict[str, Any]:
    return {"device": s.device, "conn_id": s.conn_id, "job": s.job, "kind": s.kind,
            "src_host": s.src.host, "src_ip": s.src.ip, "src_port": s.src.port,
            "dst_host": s.dst.host, "dst_ip": s.dst.ip, "dst_port": s.dst.port,
            "service_port": s.dst.port, "service": BACKUP_PORTS.get(s.dst.port, ""),
            "start": _iso(s.start), "end": _iso(s.end), "duration_s": s.end - s.start,
            "active_s": s.busy_until - s.start, "bytes": s.nbytes,
            "file": f"firewall/{place[0]}", "line": place[1]}


def _by_host_port(victims: list[Session]) -> list[dict[str, Any]]:
    counts = Counter((_client(s), s.dst.port) for s in victims)
    return [{"host": host, "port": port, "service": BACKUP_PORTS.get(port, ""), "count": n}
            for (host, port), n in sorted(counts.items())]


def _client(s: Session) -> str:
    return s.src.host if s.src.host and s.src.host.startswith("dmz") else str(s.dst.host)


def _socket(s: ex.Socket) -> dict[str, Any]:
    return {"local": f"{s.local_ip}:{s.local_port}", "peer": f"{s.peer_ip}:{s.peer_port}",
            "timer": "keepalive" if s.keepalive_ms is not None else None,
            "remaining_ms": s.keepalive_ms,
            "printed": None if s.keepalive_ms is None else ex.ss_timer(s.keepalive_ms)}


def _counts(events: pd.DataFrame, files, sessions: list[Session]) -> dict[str, Any]:
    conn = events[events["event"] != "other"]
    closes = Counter(CLOSE.get(s.reason, "none") if s.reason else "none" for s in sessions)
    per_file = {}
    for f in files:
        rows = list(f.line_of_event)
        kinds = events.loc[rows, "event"]
        per_file[f"firewall/{f.name}"] = {
            "lines": len(f.lines), "connection_events": int((kinds != "other").sum()),
            "ignored": int((kinds == "other").sum()), "malformed": len(f.malformed_lines),
            "malformed_lines": f.malformed_lines, "gzip": f.compressed}
    return {
        "lines": sum(len(f.lines) for f in files),
        "connection_events": len(conn),
        "built": int((conn["event"] == "built").sum()),
        "teardown": int((conn["event"] == "teardown").sum()),
        "deny_no_connection": int((conn["event"] == "deny-no-connection").sum()),
        "by_device": {d: int(n) for d, n in sorted(Counter(conn["device"]).items())},
        "by_msg_id": {m: int(n) for m, n in sorted(Counter(events["msg_id"]).items())},
        "teardowns_by_close": dict(sorted(closes.items())),
        "ignored": int((events["event"] == "other").sum()),
        "ignored_by_msg_id": {m: int(n) for m, n in
                              sorted(Counter(events.loc[events["event"] == "other", "msg_id"])
                                     .items())},
        "malformed": sum(len(f.malformed_lines) for f in files),
        "files": per_file,
    }


def sessions_frame(sessions: list[Session]) -> pd.DataFrame:
    """One row per connection with its plan and outcome (``truth-sessions.csv.gz``)."""
    return pd.DataFrame([{
        "device": s.device, "conn_id": s.conn_id, "protocol": s.protocol, "kind": s.kind,
        "job": s.job, "src_host": s.src.host or "", "src_ip": s.src.ip, "src_port": s.src.port,
        "dst_host": s.dst.host or "", "dst_ip": s.dst.ip, "dst_port": s.dst.port,
        "start": _iso(s.start), "end": _iso(s.end), "duration_s": s.end - s.start,
        "bytes": s.nbytes, "reason": s.reason or "", "close": CLOSE.get(s.reason or "", ""),
        "busy_until": _iso(s.busy_until), "gap_s": s.gap,
        "keepalive_s": "" if s.keepalive_s is None else s.keepalive_s,
        "idle_torn": s.idle_torn} for s in sorted(sessions, key=lambda s: (s.start, s.conn_id))])


def _clock(events: pd.DataFrame, relay_tz: str, first: int) -> dict[str, Any]:
    """The relay's lag behind the devices (median, per device) and its wall-clock offset."""
    lag = (events["relay_t"] - events["t"]).groupby(events["device"]).median()
    overall = int((events["relay_t"] - events["t"]).median())
    return {"device_tz": "UTC", "relay_tz": relay_tz, "relay_minus_device_s": overall,
            "relay_minus_device_s_by_device": {d: int(v) for d, v in lag.items()},
            "relay_wall_clock_minus_device_s": _wall_offset(first, relay_tz) + overall}


def _wall_offset(epoch: int, zone: str) -> int:
    offset = datetime.fromtimestamp(epoch, tz=ZoneInfo(zone)).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
