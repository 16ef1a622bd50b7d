"""Sessions and side messages -> the firewall's syslog lines, split into daily relay files.

Every line carries the relay's RFC 3164 header in the relay's local zone (one second late, now
and then two) followed by the device's own UTC stamp with the year, as in the seed line. The FWSM
writes its TCP teardowns in the legacy ``faddr/gaddr/laddr`` layout.
"""

from __future__ import annotations

import gzip
import io
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa

from . import asa
from .hosts import FWSM
from .sessions import Session, for_to
from .text import join

RELAY_HOST = "syslog01"
PRODUCT = {FWSM: "FWSM"}
EVENT_COLUMNS = ("t", "device", "msg_id", "severity", "body", "event", "session")


@dataclass(frozen=True)
class LogFile:
    """One relay file: its name, whether it is gzip-rotated, and its lines (text or junk)."""

    name: str
    compressed: bool
    lines: list[bytes]
    #: row of the event frame -> 1-based line number in this file
    line_of_event: dict[int, int]
    malformed_lines: list[int]

    def payload(self) -> bytes:
        data = b"".join(line + b"\n" for line in self.lines)
        if not self.compressed:
            return data
        buffer = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0,
                           compresslevel=9) as stream:
            stream.write(data)
        return buffer.getvalue()


def connection_events(sessions: list[Session]) -> pd.DataFrame:
    """Built and Teardown events of every session, formatted (bodies only, no headers)."""
    frames = []
    for event in ("built", "teardown"):
        for device in sorted({s.device for s in sessions}):
            for protocol in ("tcp", "udp"):
                index = [i for i, s in enumerate(sessions)
                         if s.device == device and s.protocol == protocol]
                if index:
                    frames.append(_format(event, device, protocol, sessions, index))
    return pd.concat(frames, ignore_index=True)


def side_events(rows: list[dict]) -> pd.DataFrame:
    """Other messages (denies, ICMP): rows with t, device, msg_id, severity, body, and an
    event (``deny-no-connection`` for 106015, which the reader keeps; else ``other``)."""
    frame = pd.DataFrame(rows, columns=["t", "device", "msg_id", "severity", "body", "event"])
    return frame.assign(event=frame["event"].astype(object).fillna("other"), session=-1)


def _format(event: str, device: str, protocol: str, sessions: list[Session],
            index: list[int]) -> pd.DataFrame:
    chosen = [sessions[i] for i in index]
    ends = [for_to(s) for s in chosen]
    outer_addr = [f"{o.ip}/{o.port}" for o, _, _ in ends]
    inner_addr = [f"{i.ip}/{i.port}" for _, i, _ in ends]
    outer = join([o.interface for o, _, _ in ends], ":", outer_addr)
    inner = join([i.interface for _, i, _ in ends], ":", inner_addr)
    ids = [s.conn_id for s in chosen]
    word = protocol.upper()
    if event == "built":
        msg = "302013" if protocol == "tcp" else "302015"
        body = asa.built(word, [d for _, _, d in ends], ids, outer, outer_addr, inner,
                         inner_addr)
        times = [s.start for s in chosen]
    else:
        msg = "302014" if protocol == "tcp" else "302016"
        duration = np.array([s.end - s.start for s in chosen])
        nbytes = [s.nbytes for s in chosen]
        if device == FWSM and protocol == "tcp":
            body = asa.legacy_teardown(ids, outer_addr, inner_addr, duration, nbytes,
                                       [s.reason or "" for s in chosen])
        else:
            body = asa.teardown(word, ids, outer, inner, duration, nbytes,
                                reason=[s.reason or "" for s in chosen],
                                initiator=[_initiator(s) for s in chosen])
        times = [s.end for s in chosen]
    return pd.DataFrame({"t": times, "device": device, "msg_id": msg, "severity": "6",
                         "body": body.to_pylist(), "event": event, "session": index})


def _initiator(session: Session) -> str:
    """Newer ASA code names the interface whose side closed; some FINs here carry it."""
    if session.reason == "TCP FINs" and int(session.conn_id) % 3 == 0:
        return session.src.interface
    return ""


def render(events: pd.DataFrame, rng: np.random.Generator, relay_tz: str) -> pd.DataFrame:
    """Order events as the relay wrote them and give each its full text line."""
    events = events.sort_values(["t", "event", "session"], kind="stable",
                                key=_event_order).reset_index(drop=True)
    delay = np.where(rng.random(len(events)) < 0.1, 2, 1)
    relay_t = np.maximum.accumulate(events["t"].to_numpy() + delay)
    product = [PRODUCT.get(d, "ASA") for d in events["device"]]
    tag = asa.tag(product, events["severity"].tolist(), events["msg_id"].tolist())
    lines = join(asa.relay_header(relay_t, RELAY_HOST, relay_tz),
                 asa.device_stamp(events["t"].to_numpy(), events["device"].tolist()),
                 tag, pa.array(events["body"].tolist(), pa.string()))
    return events.assign(relay_t=relay_t, text=lines.to_pylist())


def _event_order(column: pd.Series) -> pd.Series:
    if column.name == "event":  # within one second: builts, then others, then teardowns
        return column.map({"built": 0, "other": 1, "deny-no-connection": 1, "teardown": 2})
    return column


def split_files(events: pd.DataFrame, *, base: str, days_start: datetime, days: int,
                junk: list[list[bytes]], rng: np.random.Generator) -> list[LogFile]:
    """One file per relay-local day: the newest plain ``base``, older ones ``base.N`` gzip.

    ``junk[d]`` are malformed lines put at random places of day ``d``'s file.
    """
    bounds = [_local_midnight(days_start, d) for d in range(days + 1)]
    day_of = np.searchsorted(np.array(bounds[1:]), events["relay_t"].to_numpy(), side="right")
    files = []
    for day in range(days):
        rows = np.flatnonzero(day_of == day)
        text = [events.at[int(r), "text"].encode("ascii") for r in rows]
        positions = sorted(rng.choice(len(text) + 1, size=len(junk[day]), replace=True))
        lines, line_of_event, bad = [], {}, []
        cursor = 0
        for k, row in enumerate(rows):
            while cursor < len(positions) and positions[cursor] == k:
                lines.append(junk[day][cursor])
                bad.append(len(lines))
                cursor += 1
            lines.append(text[k])
            line_of_event[int(row)] = len(lines)
        for extra in junk[day][cursor:]:
            lines.append(extra)
            bad.append(len(lines))
        age = days - 1 - day
        files.append(LogFile(base if age == 0 else f"{base}.{age}", age > 0, lines,
                             line_of_event, bad))
    return files


def _local_midnight(first: datetime, day: int) -> int:
    """Epoch seconds of local midnight ``day`` days after ``first`` (DST-aware)."""
    local = datetime.combine(first.date() + timedelta(days=day), datetime.min.time(),
                             tzinfo=first.tzinfo)
    return int(local.timestamp())


def junk_lines(rng: np.random.Generator, count: int, samples: list[str]) -> list[bytes]:
    """Malformed lines as real files have them: a relay line cut short inside an address,
    binary garbage, and the NUL run a crash leaves in a log file."""
    out = []
    for k in range(count):
        kind = k % 3
        if kind == 0:
            line = samples[int(rng.integers(0, len(samples)))]
            anchor = " to " if " to " in line else " laddr "  # legacy FWSM teardowns: no " to "
            cut = line.index(anchor) + len(anchor) + int(rng.integers(5, 10))
            out.append(line[:cut].encode("ascii"))
        elif kind == 1:
            raw = rng.integers(0x80, 0x100, int(rng.integers(30, 90)), dtype=np.uint8)
            out.append(b"\x1b\x03" + raw.tobytes())
        else:
            out.append(b"\x00" * int(rng.integers(40, 200)))
    return out
