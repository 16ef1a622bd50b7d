"""Palo Alto PAN-OS TRAFFIC logs (syslog CSV, 8.x-11.x) -> connection events.

evidence-sources.md §3. Everything before the CSV is header (BSD, RFC 5424, octet-counted, relay
prefixes): the CSV starts at ``<digit>,YYYY/MM/DD HH:MM:SS,``; the Strata/Cortex forwarder
(``panwlogs``) has no leading ``1,`` and its own column order. The fields are found by one
compiled pass per block (:mod:`.paloalto_fields`: quoted values, commas inside quotes or braces,
any column count >= 47, later columns ignored except the high-resolution timestamp (102),
whose offset is preferred to the user's ``tz``); this module turns its spans and numbers into the
event table, repeated text dictionary-encoded.

``end`` rows are teardowns and ``start`` rows builts; ``time`` = Generated, ``duration`` =
Generated - Start, ``active`` = Elapsed (first to last packet), so ``idle_wait`` is each
session's effective idle timeout (§3.6).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import columns
from ..zones import ZONE_DEVICE
from . import paloalto_fields as pf
from .common import Account, Parsed, VendorSettings, event_table, join, labels
from .lines import split_lines
from .stamps import NAT, iso_utc, slash_local

NAME = "paloalto"
#: what marks a PAN-OS line (vendor detection): the CSV's start, or the forwarder's app name
SIGNATURE = r"(?:^|[\s>:])\d,\d{4}/\d\d/\d\d \d\d:\d\d:\d\d,[^,]*,[A-Z]+,|\spanwlogs\s"
EXPECTED = ("a PAN-OS syslog CSV line like '<14>Mar  2 02:30:06 fw-edge-01 1,2026/03/02 "
            "02:30:06,013201009999,TRAFFIC,end,...'")
MIN_FIELDS = pf.MIN_STANDARD
NO_CSV = ("PAN-OS forwarder line without its CSV (expected '... panwlogs - <time>,<serial>,"
          "TRAFFIC,end,...')")
UNREADABLE = "PAN-OS CSV that cannot be read (unbalanced quotes?)"
SHORT = (f"PAN-OS TRAFFIC log with fewer than {MIN_FIELDS} fields (the end reason is field "
         "46)")
BAD_TIME = "PAN-OS TRAFFIC: Generated or Start time not 'YYYY/MM/DD HH:MM:SS'"
BAD_PORT = "PAN-OS TRAFFIC: port not a number 0-65535"
BAD_COUNT = "PAN-OS TRAFFIC: bytes or elapsed time not a number"
_NUMBER = {name: k for k, name in enumerate(pf.NUMBERS)}
#: §2: end reason -> close (aged-out is decided with the protocol and packets, see _closes)
_CLOSES = {
    "tcp-fin": "fin", "tcp-rst-from-client": "reset", "tcp-rst-from-server": "reset",
    "policy-deny": "policy", "threat": "policy", "tcp-reuse": "other", "decoder": "other",
    "resources-unavailable": "other", "unknown": "other", "n/a": "other",
}


def close_class(reason: str | None) -> str | None:
    """The close class of an end reason; ``aged-out`` is refined by :func:`_closes`."""
    if reason is None or reason == "":
        return None
    key = reason.strip().lower()
    if key == "aged-out":
        return "idle-timeout"
    if key.startswith("decrypt"):
        return "policy"
    return _CLOSES.get(key, "other")


def parse_block(block: bytes, settings: VendorSettings) -> Parsed:
    """Classify and parse every line of ``block`` (see the module docstring)."""
    lines = split_lines(block, text=False)
    account = Account(lines)
    data = np.frombuffer(lines.buffer, dtype=np.uint8)
    kind, count, unclosed, escaped, spans, host, numbers, codes, times = pf.find_fields(
        data, lines.starts, lines.ends, lines.control, b"panwlogs" in block)
    pan = kind != pf.NOT_PAN
    account.untagged(pan, EXPECTED)
    again = np.flatnonzero(escaped & ~unclosed)
    if len(again):  # doubled quotes in a needed value: written out in a copy of the block
        data = data.copy()
        pf.unescape(data, again, spans, numbers, codes, times)
    account.reject(np.flatnonzero(kind == pf.FORWARDED_NO_CSV), NO_CSV)
    csv = (kind == pf.SYSLOG_CSV) | (kind == pf.FORWARDED)
    account.reject(np.flatnonzero(csv & unclosed), UNREADABLE)
    csv &= ~unclosed
    forwarded = kind == pf.FORWARDED
    short = csv & (count < np.where(forwarded, pf.MIN_FORWARDER, pf.MIN_STANDARD))
    traffic = codes[0].astype(bool)
    account.reject(np.flatnonzero(short & traffic), SHORT)
    _ignore(account, data, spans, np.flatnonzero(short & ~traffic))
    full = csv & ~short
    traffic &= full & (codes[1] != pf.OTHER)
    _ignore(account, data, spans, np.flatnonzero(full & ~traffic))
    connection = traffic & (codes[2] != pf.OTHER)
    _ignore(account, data, spans, np.flatnonzero(traffic & ~connection), protocol=True)
    rows = np.flatnonzero(connection)
    events = _events(rows, data, spans, host, numbers, codes, times, forwarded[rows], account)
    return account.finish(int(pan.sum()), events)


def _text(data: np.ndarray, spans: np.ndarray, field: str, rows: np.ndarray) -> pa.Array:
    """One field's text on ``rows`` (null where the row has no such field)."""
    slot = pf.SLOT[field]
    return columns.strings(data, spans[0, slot, rows], spans[1, slot, rows])


def _ignore(account: Account, data: np.ndarray, spans: np.ndarray, rows: np.ndarray, *,
            protocol: bool = False) -> None:
    """Ignore ``rows``, counted by ``TYPE/subtype`` (``/protocol`` for other protocols)."""
    if not len(rows):
        return
    parts = [pc.fill_null(_text(data, spans, name, rows), "?") for name in ("type", "subtype")]
    if protocol:
        parts.append(_text(data, spans, "protocol", rows))
    account.ignore_each(join(*parts, sep="/"))


def _events(rows: np.ndarray, data: np.ndarray, spans: np.ndarray, host: np.ndarray,
            numbers: np.ndarray, codes: np.ndarray, times: np.ndarray, forwarded: np.ndarray,
            account: Account) -> pa.Table:
    """TRAFFIC start/end rows of TCP/UDP -> events; bad values rejected."""
    number = {name: numbers[k, rows] for name, k in _NUMBER.items()}
    end = codes[1, rows] == pf.END
    generated, gen_ok = _stamps(data, spans, "generated", rows, times[0, rows], forwarded)
    start, start_ok = _stamps(data, spans, "start", rows, times[1, rows], forwarded)
    ports = np.stack([number["src_port"], number["dst_port"]])
    bad_port = (ports.min(axis=0) < 0) | (ports.max(axis=0) > 65535)
    bad_count = end & ((number["bytes"] < 0) | (number["elapsed"] < 0))
    bad_time = ~gen_ok | (end & ~start_ok)
    bad = bad_port | bad_count | bad_time
    account.reject(rows[bad], np.where(bad_time[bad], BAD_TIME, np.where(
        bad_port[bad], BAD_PORT, BAD_COUNT)).tolist())
    keep = ~bad
    rows, end, forwarded = rows[keep], end[keep], forwarded[keep]
    number = {k: v[keep] for k, v in number.items()}
    generated, start = generated[keep], start[keep]
    zone = np.where(forwarded, 0, ZONE_DEVICE).astype(np.int16)
    duration = np.where(end, generated - start, NAT)  # both on the firewall's own clock
    hires = np.flatnonzero(spans[0, pf.SLOT["high_resolution"], rows] >= 0)
    if len(hires):
        generated[hires], zone[hires] = _high_resolution(
            _text(data, spans, "high_resolution", rows[hires]), generated[hires], zone[hires])
    span = {name: spans[:, pf.SLOT[name], rows] for name in
            ("serial", "device_name", "user", "src_if", "dst_if", "reason")}
    device = _device(data, span, host[:, rows], forwarded)
    repeated = [device, _blank_null(span["src_if"]), _blank_null(span["dst_if"]),
                np.stack([np.where(end, span["reason"][0], -1), span["reason"][1]]),
                _blank_null(span["user"])]
    device, src_if, dst_if, reason, user = columns.dictionaries_of_rows(
        data, np.stack([r[0] for r in repeated]), np.stack([r[1] for r in repeated]))
    conn_id, src_ip, dst_ip = columns.strings_of_rows(
        data, *(np.stack([spans[k, pf.SLOT[name], rows] for name in ("session", "src_ip",
                                                                      "dst_ip")])
                for k in (0, 1)))
    return event_table(
        len(rows), row=rows, local_ns=generated, zone=zone, yearless=np.zeros(len(rows), bool),
        device=device, vendor=labels(np.zeros(len(rows), np.int64), [NAME]),
        msg_id=labels(end.astype(np.int64), ["TRAFFIC/start", "TRAFFIC/end"]),
        event=labels(end.astype(np.int64), ["built", "teardown"]),
        protocol=labels(codes[2, rows].astype(np.int64) - 1, ["tcp", "udp"]),
        conn_id=conn_id, src_if=src_if, src_ip=src_ip, src_port=number["src_port"],
        dst_if=dst_if, dst_ip=dst_ip, dst_port=number["dst_port"],
        duration_ns=pa.array(duration, mask=~end),
        active_ns=pa.array(number["elapsed"] * 10**9, mask=~end),
        bytes=pa.array(number["bytes"], pa.uint64(), mask=~end), reason=reason,
        close=_closes(reason, codes[2, rows] == pf.TCP, number, end, forwarded), user=user)


def _stamps(data: np.ndarray, spans: np.ndarray, field: str, rows: np.ndarray,
            naive: np.ndarray, forwarded: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ns, valid) of a time field: the pass read exact ``YYYY/MM/DD HH:MM:SS`` stamps; other
    text goes through Arrow's ``strptime`` (syslog CSV) or the ISO reader (forwarder)."""
    ns = naive.copy()
    for which, reader in ((forwarded, iso_utc), (~forwarded & (naive == NAT), slash_local)):
        at = np.flatnonzero(which)
        if len(at):
            ns[at] = reader(pc.fill_null(_text(data, spans, field, rows[at]), ""))[0]
    return ns, ns != NAT


def _blank_null(span: np.ndarray) -> np.ndarray:
    """Spans (2, rows) with the empty ones absent (their value is null)."""
    return np.stack([np.where(span[1] > span[0], span[0], -1), span[1]])


def _device(data: np.ndarray, span: dict[str, np.ndarray], host: np.ndarray,
            forwarded: np.ndarray) -> np.ndarray:
    """The spans (2, rows) of each row's device: its name (52) where given, else the serial
    (Panorama forwards both); a forwarder row without a serial (``no-serial``) takes the
    sending host (empty when none is found)."""
    named = span["device_name"][1] > span["device_name"][0]
    chosen = np.where(named, span["device_name"], span["serial"])
    if forwarded.any():
        codes, serials = columns.encode(data, span["serial"][0], span["serial"][1])
        no_serial = [k for k, s in enumerate(serials.to_pylist()) if s == "no-serial"]
        replace = forwarded & np.isin(codes, no_serial)
        chosen = np.where(replace, np.maximum(host, 0), chosen)  # no host found: empty
    return chosen


def _high_resolution(text: pa.Array, generated: np.ndarray, zone: np.ndarray,
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Field 102 (``2026-03-02T02:30:05.412+01:00``, 10.x+) where present: its instant, and its
    offset as the row's zone (so the row no longer depends on the user's ``tz``)."""
    utc, ok = iso_utc(text)
    if not ok.any():
        return generated, zone
    offset = pc.extract_regex(text, r"(?P<sign>[+-])(?P<h>\d\d):?(?P<m>\d\d)$|(?P<z>Z)$")
    sign = pc.fill_null(pc.struct_field(offset, [0]), "+")
    hours = pc.fill_null(pc.cast(pc.struct_field(offset, [1]), pa.int64()), 0)
    minutes = pc.fill_null(pc.cast(pc.struct_field(offset, [2]), pa.int64()), 0)
    east = (hours.to_numpy(zero_copy_only=False) * 60 + minutes.to_numpy(zero_copy_only=False))
    east = np.where(pc.equal(sign, "-").to_numpy(zero_copy_only=False), -east, east)
    local = utc + east * 60 * 10**9
    return np.where(ok, local, generated), np.where(ok, east, zone).astype(np.int16)


def _closes(reason: pa.DictionaryArray, tcp: np.ndarray, number: dict, end: np.ndarray,
            forwarded: np.ndarray) -> pa.DictionaryArray:
    """§2: the reason's class; ``aged-out`` on TCP without a reply is a SYN timeout."""
    names = reason.dictionary.to_pylist()
    reason_codes = pc.fill_null(reason.indices, -1).to_numpy(zero_copy_only=False)
    classes = ["syn-timeout", *sorted({c for r in names if (c := close_class(r))})]
    index = {c: k for k, c in enumerate(classes)}
    of_reason = np.array([index.get(close_class(r), -1) for r in names] + [-1], np.int64)
    aged = np.array([r.lower() == "aged-out" for r in names] + [False])
    close = of_reason[reason_codes]
    received = np.where(forwarded, number["bytes_received"], number["packets_received"])
    no_reply = (received == 0) | (~forwarded & (number["packets_sent"] == 0))
    close[end & aged[reason_codes] & tcp & no_reply] = 0
    return labels(close, classes)
