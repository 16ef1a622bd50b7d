"""Sockets' own keepalive timers: Linux ``ss -o`` and net-tools ``netstat -o`` listings.

OS keepalive settings only matter on sockets whose application turned SO_KEEPALIVE on, and only
the socket list shows that: an idle established socket with SO_KEEPALIVE carries a ``keepalive``
timer (``ss``: ``timer:(keepalive,118min,0)``; ``netstat``: ``keepalive (7199.63/0/0)``).

``ss`` prints expiries its own way (iproute2 ``print_ms_timer``): ``118min``, ``5min3sec``,
``28sec``, ``1.595ms`` (which MEANS 1.595 s: seconds, a dot, then milliseconds), ``005ms``;
a patched ss prints ``1.595sec``. All are read exactly. Without ``-o`` no timer is printed, so
a listing without any timer information gives ``timer`` <NA> (unknown), not ``off``.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

import pandas as pd

from ..errors import ParseError
from ..loadreport import FileReport, LoadReport, OnBadLines, whole_file_problems
from ..services import BUILTIN_SERVICES, service_names, service_port, service_table
from ..sources import iter_sources
from .naming import host_from_content, host_from_filename
from .schema import SOCKET_DTYPES, STRING, TIMERS, frame
from .text import command_of, first_lines, split_lines

#: a socket list is text; anything bigger than this is the wrong file
MAX_BYTES = 64 * 1024 * 1024

_SS_STATES = {
    "ESTAB": "established", "SYN-SENT": "syn-sent", "SYN-RECV": "syn-recv",
    "FIN-WAIT-1": "fin-wait-1", "FIN-WAIT-2": "fin-wait-2", "TIME-WAIT": "time-wait",
    "UNCONN": "close", "CLOSE": "close", "CLOSE-WAIT": "close-wait", "LAST-ACK": "last-ack",
    "LISTEN": "listen", "CLOSING": "closing", "UNKNOWN": "unknown",
}
_NETSTAT_STATES = {
    "ESTABLISHED": "established", "SYN_SENT": "syn-sent", "SYN_RECV": "syn-recv",
    "FIN_WAIT1": "fin-wait-1", "FIN_WAIT2": "fin-wait-2", "TIME_WAIT": "time-wait",
    "CLOSE": "close", "CLOSE_WAIT": "close-wait", "LAST_ACK": "last-ack", "LISTEN": "listen",
    "CLOSING": "closing", "UNKNOWN": "unknown",
}
_SS_ROW = re.compile(
    r"^\s*(?:(?P<netid>tcp|udp|raw|u_\w+|p_\w+|nl|mptcp|sctp|dccp)\s+)?"
    r"(?:(?P<state>[A-Z][A-Z0-9-]*)\s+)?(?P<recvq>\d+)\s+(?P<sendq>\d+)\s+"
    r"(?P<local>\S+)\s+(?P<peer>\S+)(?P<rest>.*)$"
)
_SS_LIKE = re.compile(r"^\s*(?:tcp\s+)?(?:" + "|".join(map(re.escape, _SS_STATES)) + r")\s")
_SS_TIMER = re.compile(r"\btimer:\((?P<name>[\w-]+),(?P<expire>[^,)]*),(?P<count>\d+)\)")
_SS_EXPIRE = re.compile(
    r"^(?:(?P<min>\d+)min)?(?:(?P<sec>\d+)(?P<sep>sec|\.))?(?:(?P<ms>\d+)ms)?$"
)
_SS_EXPIRE_SEC = re.compile(r"^(?P<sec>\d+)\.(?P<frac>\d{1,9})sec$")
_NETSTAT_ROW = re.compile(
    r"^\s*(?P<proto>tcp6?|udp6?|raw6?)\s+(?P<recvq>\d+)\s+(?P<sendq>\d+)\s+"
    r"(?P<local>\S+)\s+(?P<peer>\S+)\s*(?P<rest>.*)$"
)
_NETSTAT_TIMER = re.compile(
    r"(?P<name>keepalive|on|off|timewait|probe|unkn-\d+)\s+"
    r"\((?P<secs>-?\d+(?:\.\d+)?)/(?P<retrans>-?\d+)(?:/(?P<probes>-?\d+))?\)"
)
_NETSTAT_MARKS = re.compile(r"Foreign Address|Active Internet connections|^\s*tcp6?\s+\d+\s+\d+\s",
                            re.MULTILINE)
_HEADER = re.compile(r"Recv-Q\s+Send-Q")
#: the longest timer a listing can sensibly show (a year): beyond it a number is garbage, and
#: beyond ~292 years it would overflow the nanosecond timedelta column
MAX_TIMER = pd.Timedelta(days=365)
_SERVICE_PORTS = {name: port for port, name in BUILTIN_SERVICES.items()}


def read_sockets(source: Any, *, host: str | None = None,
                 on_bad_lines: OnBadLines = "warn") -> pd.DataFrame:
    """Read ``ss -tino`` / ``ss -tnoa`` / ``ss -o`` and ``netstat -tno`` listings.

    Parameters
    ----------
    source
        Path, directory, glob, list, bytes, file-like or FileUpload value; one listing per file.
    host
        Host name for listings whose content (prompt, ``hostname`` output) does not name one; it
        overrides the file name (``dmz-web01.ss.txt`` -> ``dmz-web01``).
    on_bad_lines
        ``"error"``, ``"warn"`` (default) or ``"skip"`` for malformed socket lines.

    Returns
    -------
    pandas.DataFrame
        One row per TCP socket: host, state, local_ip, local_port, peer_ip, peer_port, timer
        (keepalive/on/off/timewait/persist/unknown, <NA> when the listing shows no timers at
        all), timer_remaining, probes (the keepalive probe counter, keepalive timers only),
        source, line; ``attrs["load_report"]`` has kind="sockets" file reports.
    """
    report = LoadReport()
    rows: list[dict[str, object]] = []
    failures: list[ParseError] = []
    for src in iter_sources(source):
        file = FileReport(src.name, kind="sockets")
        report.files.append(file)
        with whole_file_problems(file, failures):
            lines = split_lines(src.read_text(limit=MAX_BYTES, what="a socket listing"))
            file.read = len(lines)
            rows.extend(_parse(src.name, lines, host, file))
    if failures and not rows and all(f.problems for f in report.files):
        raise failures[0]
    result = frame(rows, SOCKET_DTYPES)
    result.attrs["load_report"] = report
    report.enforce(on_bad_lines)
    return result


def _parse(name: str, lines: list[str], host: str | None,
           report: FileReport) -> list[dict[str, object]]:
    text = "\n".join(lines)
    netstat = bool(_NETSTAT_MARKS.search(text))
    timers_shown = _timers_shown(lines, netstat)
    state_filter = _state_filter(lines, name, report)
    content_host, _ = host_from_content(lines)
    owner = content_host or host or host_from_filename(name)
    if not owner:
        raise ParseError("cannot tell which host this listing belongs to; pass host=",
                         source=name)
    rows: list[dict[str, object]] = []
    headers = 0
    for number, line in enumerate(lines, start=1):
        if command_of(line) is not None or not line.strip():
            report.ignore("other line")
            continue
        if _HEADER.search(line):
            headers += 1
            report.ignore("header")
            continue
        try:
            row = (_netstat_row(line) if netstat else _ss_row(line, state_filter))
        except ValueError as exc:
            report.reject(number, str(exc))
            continue
        if row is None:
            report.ignore("other line")
            continue
        if row == {}:
            report.ignore("not tcp")
            continue
        if row["timer"] is None and timers_shown:
            row["timer"], row["timer_remaining"] = "off", pd.Timedelta(0)
        row.update(host=owner, source=name, line=number)
        rows.append(row)
        report.parsed += 1
    if not rows and not headers:
        raise ParseError("not an ss or netstat socket listing (no header, no socket line). "
                         f"First lines: {first_lines(lines)}", source=name)
    return rows


def _ss_row(line: str, state_filter: str | None) -> dict[str, object] | None:
    match = _SS_ROW.match(line)
    if match is None:
        if _SS_LIKE.match(line):
            raise ValueError(f"expected 'STATE RECV-Q SEND-Q LOCAL:PORT PEER:PORT', found "
                             f"{line.strip()[:80]!r}")
        return None
    if match["netid"] not in (None, "tcp"):
        return {}
    raw_state = match["state"]
    if raw_state is not None and raw_state not in _SS_STATES:
        raise ValueError(f"unknown socket state {raw_state!r}")
    state = _SS_STATES[raw_state] if raw_state else (state_filter or "unknown")
    timer = _SS_TIMER.search(match["rest"])
    row = _endpoints(match["local"], match["peer"]) | {"state": state, "timer": None,
                                                       "timer_remaining": None, "probes": None}
    if timer:
        name = timer["name"] if timer["name"] in TIMERS else "unknown"
        row.update(timer=name, timer_remaining=ss_expiry(timer["expire"]),
                   probes=_probes(timer["count"]) if name == "keepalive" else None)
    return row


def _netstat_row(line: str) -> dict[str, object] | None:
    match = _NETSTAT_ROW.match(line)
    if match is None:
        return None
    if not match["proto"].startswith("tcp"):
        return {}
    rest = match["rest"].split()
    state = _NETSTAT_STATES.get(rest[0]) if rest else None
    if state is None:
        raise ValueError(f"expected a TCP state after the addresses, found "
                         f"{(rest[0] if rest else '')[:30]!r}")
    row = _endpoints(match["local"], match["peer"]) | {"state": state, "timer": None,
                                                       "timer_remaining": None, "probes": None}
    timer = _NETSTAT_TIMER.search(match["rest"])
    if timer:
        name = timer["name"]
        name = "persist" if name == "probe" else ("unknown" if name.startswith("unkn") else name)
        seconds = float(timer["secs"])
        if not abs(seconds) <= MAX_TIMER.total_seconds():
            raise ValueError(f"timer of {timer['secs'][:20]} s is out of range (not a real timer)")
        row.update(timer=name, timer_remaining=pd.Timedelta(seconds=seconds),
                   probes=(_probes(timer["probes"]) if name == "keepalive" and timer["probes"]
                           else None))
    return row


def _probes(text: str) -> int:
    """A timer's probe counter; a number no kernel counts to is a rejected line."""
    if len(text.lstrip("-")) > 6:
        raise ValueError(f"probe count {text[:20]} is out of range (not a real counter)")
    return int(text)


def ss_expiry(text: str) -> pd.Timedelta:
    """An ``ss`` timer expiry as a duration: ``118min``, ``5min3sec``, ``1.595ms`` = 1.595 s."""
    if text == "":
        return pd.Timedelta(0)  # ss prints nothing for an expiry of 0
    if match := _SS_EXPIRE_SEC.match(text):
        if int(match["sec"]) > MAX_TIMER.total_seconds():
            raise ValueError(f"ss timer expiry {text[:20]!r} is out of range (not a real timer)")
        frac = match["frac"].ljust(9, "0")
        return pd.Timedelta(int(match["sec"]) * 10**9 + int(frac), unit="ns")
    match = _SS_EXPIRE.match(text)
    if match is None or (match["sep"] == "." and match["ms"] is None):
        raise ValueError(f"unreadable ss timer expiry {text!r}: expected e.g. 118min, 28sec, "
                         "1.595ms or 005ms")
    minutes, seconds, millis = (int(match[k] or 0) for k in ("min", "sec", "ms"))
    if minutes * 60 + seconds + millis / 1000 > MAX_TIMER.total_seconds():
        raise ValueError(f"ss timer expiry {text[:20]!r} is out of range (not a real timer)")
    return pd.Timedelta(minutes=minutes, seconds=seconds, milliseconds=millis)


def _endpoints(local: str, peer: str) -> dict[str, object]:
    local_ip, local_port = _endpoint(local)
    peer_ip, peer_port = _endpoint(peer)
    return {"local_ip": local_ip, "local_port": local_port, "peer_ip": peer_ip,
            "peer_port": peer_port}


def _endpoint(text: str) -> tuple[str, int | None]:
    """``10.0.0.5:22``, ``[2001:db8::1]:443``, ``::1:631`` (netstat), ``*:*``, ``host:ssh``."""
    if text.startswith("["):
        address, sep, port = text[1:].partition("]:")
    else:
        address, sep, port = text.rpartition(":")
    if not sep or not address:
        raise ValueError(f"expected ADDRESS:PORT, found {text[:60]!r}")
    address = address.split("%", 1)[0]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        pass  # "*", or a host name when ss/netstat ran without -n
    else:
        mapped = getattr(ip, "ipv4_mapped", None)
        address = str(mapped or ip)
    return address, _port(port)


def _port(text: str) -> int | None:
    if text == "*":
        return None
    if text.isascii() and text.isdigit():
        port = int(text) if len(text) <= 5 else 65536
        if port > 65535:
            raise ValueError(f"port {text[:12]} is outside 0..65535")
        return port
    if text in _SERVICE_PORTS:
        return _SERVICE_PORTS[text]
    try:
        return socket.getservbyname(text, "tcp")
    except (OSError, UnicodeError, ValueError):
        return None  # a service name this machine does not know: the port stays unknown


def _timers_shown(lines: list[str], netstat: bool) -> bool:
    """Whether the listing prints timers (ss -o / netstat -o), so a missing one means off."""
    for line in lines:
        if "timer:(" in line or (netstat and _HEADER.search(line) and "Timer" in line):
            return True
        command = command_of(line)
        if command and re.match(r"(?:ss|netstat)\s", command) and re.search(
                r"\s-\w*o|--options|--timers", command):
            return True
    return False


def _state_filter(lines: list[str], name: str, report: FileReport) -> str | None:
    """``ss ... state established`` omits the State column: the filter names the state.

    The recorded command says which state; without it, a header lacking the State column shows
    that one state was filtered, and the file name may name it (``web01.established.ss.txt``),
    else it is the state the README's command asks for, ``established`` (said in the report).
    """
    for line in lines:
        command = command_of(line)
        if command and command.startswith("ss"):
            match = re.search(r"\bstate\s+([\w-]+)", command)
            if match:
                return _state_word(match[1])
    header = next((line for line in lines if _HEADER.search(line)), None)
    if header is None or re.search(r"\bState\b", header) or "Foreign Address" in header:
        return None
    words = re.findall(r"[a-z][a-z0-9_-]*", PurePath(name.replace("\\", "/")).name.lower())
    named = next((state for word in words if (state := _state_word(word))), None)
    why = "as the file name says" if named else "as the README's `ss -tino state established`"
    report.problems.append(
        f"no State column and no recorded command: the sockets are taken as "
        f"{named or 'established'}, {why}; record the command in the file to be sure")
    return named or "established"


def _state_word(word: str) -> str | None:
    """A state as ``ss`` filters or lists it (``established``, ``estab``, ``time-wait``)."""
    wanted = word.upper()
    return (_SS_STATES.get(wanted) or _NETSTAT_STATES.get(wanted.replace("-", "_"))
            or _SS_STATES.get(wanted.replace("_", "-")))


def keepalive_coverage(sockets: pd.DataFrame, *,
                       services: Mapping[int, str] | None = None) -> pd.DataFrame:
    """Per host, peer and service port: do the application's established sockets keep alive?

    The service port is the local port when the host listens on it (an inbound connection),
    else the port ``kit.services`` names as the service (the peer's, for a client's socket).
    A ``keepalive`` timer proves SO_KEEPALIVE; ``off`` (no timer) on an established socket
    means it is not set; ``on``/``persist`` timers (data in flight) hide it: unknown.

    Parameters
    ----------
    sockets
        A ``read_sockets`` frame.
    services
        A case's own ``[services]`` (``case.settings.services``), on top of the built-in table,
        so a port has the same name here as in the sessions.

    Returns
    -------
    pandas.DataFrame
        host, peer_ip, service_port, service, direction (inbound/outbound), sockets, keepalive,
        no_keepalive, unknown (counts), coverage (all/partial/none/unknown) and longest_timer
        (the longest keepalive timer left: at most the keepalive time in force).
    """
    sockets = pd.DataFrame({c: sockets[c] for c in SOCKET_DTYPES})  # without attrs: pandas
    # deep-copies attrs (the load report) into every intermediate frame otherwise
    established = sockets[sockets["state"] == "established"]
    listening = sockets.loc[sockets["state"] == "listen", ["host", "local_port"]].dropna()
    listens = pd.MultiIndex.from_frame(established[["host", "local_port"]]).isin(
        pd.MultiIndex.from_frame(listening))
    names = service_table(services)
    guessed = service_port(established["local_port"], established["peer_port"], names)
    port = established["local_port"].where(listens, guessed).astype(pd.UInt16Dtype())
    timer = established["timer"].astype(object)
    table = pd.DataFrame({
        "host": established["host"],
        "peer_ip": established["peer_ip"],
        "service_port": port,
        "direction": pd.Series("outbound", index=established.index, dtype=object).where(
            ~(port == established["local_port"]).fillna(False).astype(bool), "inbound"),
        "keepalive": (timer == "keepalive").astype(int),
        "no_keepalive": (timer == "off").astype(int),
        "timer_remaining": established["timer_remaining"].where(timer == "keepalive"),
    })
    keys = ["host", "peer_ip", "service_port", "direction"]
    grouped = table.groupby(keys, dropna=False, sort=True, observed=True)
    summary = grouped.agg(sockets=("keepalive", "size"), keepalive=("keepalive", "sum"),
                          no_keepalive=("no_keepalive", "sum"),
                          longest_timer=("timer_remaining", "max")).reset_index()
    summary["unknown"] = summary["sockets"] - summary["keepalive"] - summary["no_keepalive"]
    summary["coverage"] = [_coverage(k, n, u) for k, n, u in
                           zip(summary["keepalive"], summary["no_keepalive"], summary["unknown"],
                               strict=True)]
    summary["service"] = service_names(summary["service_port"], names)
    columns = ["host", "peer_ip", "service_port", "service", "direction", "sockets", "keepalive",
               "no_keepalive", "unknown", "coverage", "longest_timer"]
    counts = {c: "int64" for c in ("sockets", "keepalive", "no_keepalive", "unknown")}
    return summary[columns].astype({
        "host": STRING, "peer_ip": STRING, "service_port": pd.UInt16Dtype(), "service": STRING,
        "direction": pd.CategoricalDtype(("inbound", "outbound")), **counts,
        "coverage": pd.CategoricalDtype(("all", "partial", "none", "unknown")),
        "longest_timer": "timedelta64[ns]",
    })


def _coverage(keepalive: int, none: int, unknown: int) -> str:
    if keepalive + none == 0:
        return "unknown"
    if none == 0:
        return "all"
    return "none" if keepalive == 0 else "partial"
