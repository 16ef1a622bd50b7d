"""Juniper SRX ``RT_FLOW_SESSION_CLOSE`` / ``RT_FLOW_SESSION_CREATE`` -> connection events.

evidence-sources.md §5. Two forms: RFC 5424 structured data (``key="value"`` pairs order-free, any
SD-ID; ``keyvalue``) and the positional BSD form of older and newer Junos (with or without the
``0x0`` connection-tag tokens, two or four NAT-rule tokens). CLOSE is a teardown, CREATE a built;
other RT_FLOW messages are ignored by name. The reason is matched case-insensitively.

Time and device come from the header: an RFC 5424 stamp carries its offset; a BSD stamp is
device-local (``tz=``) and year-less. ``elapsed-time`` goes into ``duration``; whether it holds
the idle wait is [U] (§5.3), so ``active`` stays empty.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..zones import ZONE_DEVICE
from .common import (
    Account,
    Parsed,
    VendorSettings,
    close_of,
    empty_events,
    event_table,
    integers,
    join,
)
from .keyvalue import pairs
from .lines import split_lines
from .stamps import NAT, bsd_yearless, iso_utc

NAME = "juniper"
SIGNATURE = r"RT_FLOW_SESSION_|RT_FLOW:|junos@2636"
EXPECTED = ("an SRX log like '<14>Mar  2 02:30:05 srx01 RT_FLOW: RT_FLOW_SESSION_CLOSE: "
            "session closed idle Timeout: 192.0.2.10/50412->198.51.100.20/1556 ...'")
_MESSAGE = r"(RT_FLOW_[A-Z_]+)"
#: the header before the message name: octet count, PRI, RFC 5424 or BSD stamp, host
_HEAD = (r"^(?:\d+ )?(?:<\d{1,3}>)?\s*(?:1 (?P<iso>\d{4}-\d\d-\d\dT\S+)|(?P<bsd>[A-Z][a-z]{2} +"
         r"\d{1,2} \d\d:\d\d:\d\d)) +(?P<host>\S+) ")
_ENDPOINTS = (r"(?P<src>[^\s/]+)/(?P<sport>\d+)->(?P<dst>[^\s/]+)/(?P<dport>\d+)"
              r"(?: 0x[0-9a-fA-F]+)? \S+ \S+/\d+->\S+/\d+(?: 0x[0-9a-fA-F]+)? "
              r"(?:\S+ \S+ \S+ \S+|\S+ \S+) (?P<proto>\d+) \S+ (?P<from>\S+) (?P<to>\S+) "
              r"(?P<session>\d+)")
_CLOSE_BSD = (r"^RT_FLOW_SESSION_CLOSE: session closed (?P<reason>.+?): " + _ENDPOINTS
              + r" \d+\((?P<bc>\d+)\) \d+\((?P<bs>\d+)\) (?P<elapsed>\d+)"
              r"(?: \S+ \S+ (?P<user>\S+))?")
_CREATE_BSD = r"^RT_FLOW_SESSION_CREATE: session created " + _ENDPOINTS
_PROTOCOLS = {"6": "tcp", "17": "udp"}
_CLOSES = {"idle timeout": "idle-timeout", "tcp fin": "fin", "tcp rst": "reset",
           "tcp client rst": "reset", "tcp server rst": "reset", "denied by policy": "policy"}


def close_class(reason: str | None) -> str | None:
    if not reason:
        return None
    return _CLOSES.get(" ".join(reason.lower().split()), "other")


def parse_block(block: bytes, settings: VendorSettings) -> Parsed:
    """Classify and parse every line of ``block`` (see the module docstring)."""
    lines = split_lines(block)
    account = Account(lines)
    text = lines.text
    # the message name is found as a literal (fast), its kind read from the bytes after it
    at = pc.find_substring(text, "RT_FLOW_").to_numpy(zero_copy_only=False)
    mine = (at >= 0) & ~lines.control
    account.untagged(mine, EXPECTED)
    data = np.frombuffer(lines.buffer, dtype=np.uint8)
    name_at = lines.starts + at
    close, create = np.zeros(len(lines), bool), np.zeros(len(lines), bool)
    found = np.flatnonzero(mine)
    close[found] = _bytes_are(data, name_at[found], b"RT_FLOW_SESSION_CLOSE", b": [")
    create[found] = _bytes_are(data, name_at[found], b"RT_FLOW_SESSION_CREATE", b": [")
    other = np.flatnonzero(mine & ~close & ~create)
    if len(other):
        names = pc.struct_field(pc.extract_regex(text.take(pa.array(other)),
                                                 rf"\b(?P<m>{_MESSAGE[1:-1]})"), [0])
        account.ignore_each(pc.fill_null(names, "RT_FLOW"))
    rows = np.flatnonzero(close | create)
    close = close[rows]
    if not len(rows):
        return account.finish(int(mine.sum()), empty_events())
    head = pc.extract_regex(lines.span(rows, lines.starts[rows], name_at[rows]), _HEAD)
    after = name_at[rows] + np.where(close, 21, 22)
    structured = data[np.minimum(after + 1, len(data) - 1)] == ord("[")
    bodies = lines.span(rows, name_at[rows])
    fields = _structured(lines, rows, structured)
    fields.update(_positional(bodies, close, ~structured, fields))
    col = {k: pc.fill_null(v, "") for k, v in fields.items()}
    num = {k: integers(col[k]) for k in ("sport", "dport", "elapsed", "bc", "bs")}
    time, zone, yearless, time_ok = _times(head)
    matched = pc.not_equal(col["src"], "").to_numpy(zero_copy_only=False)
    bad_layout = ~matched
    bad_time = ~time_ok & ~bad_layout
    bad_port = ~bad_layout & ~bad_time & (~(num["sport"][1] & num["dport"][1]) | (
        np.maximum(num["sport"][0], num["dport"][0]) > 65535))
    known = pc.is_in(col["proto"], pa.array(list(_PROTOCOLS))).to_numpy(zero_copy_only=False)
    other_protocol = ~bad_layout & ~bad_time & ~bad_port & ~known
    bad = bad_layout | bad_time | bad_port
    account.reject(rows[bad], np.where(
        bad_layout[bad], "SRX session message not understood (expected 'session closed "
        "<reason>: <src>/<port>-><dst>/<port> ...' or key=\"value\" structured data)",
        np.where(bad_time[bad], "SRX header without a readable time stamp",
                 "SRX source/destination port not a number 0-65535")).tolist())
    account.ignore_each(join(
        names_of(close[other_protocol]), "proto", col["proto"].filter(
            pa.array(other_protocol)), sep="/"))
    keep = np.flatnonzero(~bad & ~other_protocol)
    take = pa.array(keep)
    col = {k: v.take(take) for k, v in col.items()}
    num = {k: (v[0][keep], v[1][keep]) for k, v in num.items()}
    rows, close, time, zone, yearless = rows[keep], close[keep], time[keep], zone[keep], \
        yearless[keep]
    host = pc.struct_field(head, [2]).take(take)
    nbytes = num["bc"][0] + num["bs"][0]
    has_bytes = close & num["bc"][1] & num["bs"][1]
    reason = pc.if_else(pa.array(close), col["reason"], pa.nulls(len(rows), pa.large_string()))
    return account.finish(int(mine.sum()), event_table(
        len(rows), row=rows, local_ns=time, zone=zone, yearless=yearless, device=host,
        vendor=NAME, msg_id=names_of(close), event=pc.if_else(pa.array(close), "teardown",
                                                              "built"),
        protocol=pc.if_else(pc.equal(col["proto"], "6"), "tcp", "udp"),
        conn_id=col["session"], src_if=_null_blank(col["from"]), src_ip=col["src"],
        src_port=num["sport"][0], dst_if=_null_blank(col["to"]), dst_ip=col["dst"],
        dst_port=num["dport"][0],
        duration_ns=pa.array(num["elapsed"][0] * 10**9, mask=~(close & num["elapsed"][1])),
        bytes=pa.array(nbytes, pa.uint64(), mask=~has_bytes),
        reason=reason, close=close_of(reason, close_class),
        user=_null_blank(pc.if_else(pc.is_in(col["user"], pa.array(["N/A", "UNKNOWN"])), "",
                                    col["user"]))))


def _bytes_are(data: np.ndarray, at: np.ndarray, word: bytes, follows: bytes) -> np.ndarray:
    """Per position: ``word`` starts there and one of ``follows`` comes right after it."""
    last = len(data) - 1
    ok = np.ones(len(at), bool)
    for k, byte in enumerate(word):
        ok &= data[np.minimum(at + k, last)] == byte
    after = data[np.minimum(at + len(word), last)]
    return ok & np.isin(after, np.frombuffer(follows, np.uint8))


def names_of(close: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(close), "RT_FLOW_SESSION_CLOSE", "RT_FLOW_SESSION_CREATE")


def _null_blank(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(values, ""), pa.nulls(len(values), values.type), values)


#: structured-data key -> field name shared with the positional form
_KEYS = {"reason": "reason", "source-address": "src", "source-port": "sport",
         "destination-address": "dst", "destination-port": "dport", "protocol-id": "proto",
         "source-zone-name": "from", "destination-zone-name": "to", "session-id-32": "session",
         "bytes-from-client": "bc", "bytes-from-server": "bs", "elapsed-time": "elapsed",
         "username": "user"}


def _structured(lines, rows: np.ndarray, structured: np.ndarray) -> dict[str, pa.Array]:
    """The fields of every row from its key="value" pairs (null on positional rows)."""
    if not structured.any():
        return {name: pa.nulls(len(rows), pa.large_string()) for name in _KEYS.values()}
    kv = pairs(lines, rows[structured])
    out = {}
    for key, name in _KEYS.items():
        values = kv.values(key, rows)
        out[name] = pc.if_else(pa.array(structured), values,
                               pa.nulls(len(rows), pa.large_string()))
    return out


def _positional(bodies: pa.Array, close: np.ndarray, positional: np.ndarray,
                fields: dict[str, pa.Array]) -> dict[str, pa.Array]:
    """The positional form's fields where ``positional`` (``bodies`` start at the message
    name), else what ``fields`` holds."""
    rows = np.arange(len(bodies))
    out = dict(fields)
    for pattern, which in ((_CLOSE_BSD, close), (_CREATE_BSD, ~close)):
        at = np.flatnonzero(positional & which)
        if not len(at):
            continue
        found = pc.extract_regex(bodies.take(pa.array(at)), pattern)
        mask = np.zeros(len(rows), bool)
        mask[at] = True
        index = np.zeros(len(rows), np.int64)
        index[at] = np.arange(len(at))
        for k in range(found.type.num_fields):
            name = found.type.field(k).name
            values = pc.struct_field(found, [k]).take(pa.array(index))
            base = out.get(name, pa.nulls(len(rows), pa.large_string()))
            out[name] = pc.if_else(pa.array(mask), values.cast(pa.large_string()), base)
    return out


def _times(head: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(local ns, zone code, year-less, valid): RFC 5424 stamps are UTC (their offset applied),
    BSD ones device-local and year-less."""
    iso, iso_ok = iso_utc(pc.struct_field(head, [0]))
    bsd, bsd_ok = bsd_yearless(pc.struct_field(head, [1]))
    zone = np.where(iso_ok, 0, ZONE_DEVICE).astype(np.int16)
    time = np.where(iso_ok, iso, np.where(bsd_ok, bsd, NAT))
    return time, zone, ~iso_ok & bsd_ok, iso_ok | bsd_ok
