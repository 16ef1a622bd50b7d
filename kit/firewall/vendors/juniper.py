"""Juniper SRX ``RT_FLOW_SESSION_CLOSE`` / ``RT_FLOW_SESSION_CREATE`` -> connection events.

evidence-sources.md §5. Two forms: RFC 5424 structured data (``key="value"`` pairs order-free, any
SD-ID; ``keyvalue``) and the positional BSD form of older and newer Junos (with or without the
``0x0`` connection-tag tokens, two or four NAT-rule tokens). CLOSE is a teardown, CREATE a built;
other RT_FLOW messages are ignored by name. The reason is matched case-insensitively.

The positional form, the header and the message name are found by one compiled pass per block
(:mod:`.juniper_fields`, anchored at ``RT_FLOW_``); the structured form's pairs by ``keyvalue``.
Time and device come from the header: an RFC 5424 stamp carries its offset; a BSD stamp is
device-local (``tz=``) and year-less. ``elapsed-time`` goes into ``duration``; whether it holds
the idle wait is [U] (§5.3), so ``active`` stays empty.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import columns
from ..headers import YEARLESS_BASE
from ..zones import ZONE_DEVICE
from . import juniper_fields as jf
from .common import Account, Parsed, VendorSettings, close_of, event_table, integers, join
from .keyvalue import pairs
from .lines import compiled_lines
from .stamps import NAT, bsd_yearless, iso_utc

NAME = "juniper"
SIGNATURE = r"RT_FLOW_SESSION_|RT_FLOW:|junos@2636"
EXPECTED = ("an SRX log like '<14>Mar  2 02:30:05 srx01 RT_FLOW: RT_FLOW_SESSION_CLOSE: "
            "session closed idle Timeout: 192.0.2.10/50412->198.51.100.20/1556 ...'")
_MESSAGE = r"(RT_FLOW_[A-Z_]+)"
_PROTOCOLS = {"6": "tcp", "17": "udp"}
_CLOSES = {"idle timeout": "idle-timeout", "tcp fin": "fin", "tcp rst": "reset",
           "tcp client rst": "reset", "tcp server rst": "reset", "denied by policy": "policy"}
NOT_UNDERSTOOD = ("SRX session message not understood (expected 'session closed <reason>: "
                  "<src>/<port>-><dst>/<port> ...' or key=\"value\" structured data)")
BAD_TIME = "SRX header without a readable time stamp"
BAD_PORT = "SRX source/destination port not a number 0-65535"


def close_class(reason: str | None) -> str | None:
    if not reason:
        return None
    return _CLOSES.get(" ".join(reason.lower().split()), "other")


def parse_block(block: bytes, settings: VendorSettings) -> Parsed:
    """Classify and parse every line of ``block`` (see the module docstring)."""
    lines = compiled_lines(block)
    account = Account(lines)
    data = np.frombuffer(lines.buffer, dtype=np.uint8)
    kind, _, structured, _, spans, numbers, bsd_ns = jf.find_flow(
        data, lines.starts, lines.ends, lines.control, YEARLESS_BASE)
    mine = kind != jf.NOT_SRX
    account.untagged(mine, EXPECTED)
    other = np.flatnonzero(kind == jf.OTHER_FLOW)
    if len(other):
        names = pc.struct_field(pc.extract_regex(lines.texts(other),
                                                 rf"\b(?P<m>{_MESSAGE[1:-1]})"), [0])
        account.ignore_each(pc.fill_null(names, "RT_FLOW"))
    rows = np.flatnonzero((kind == jf.CLOSE) | (kind == jf.CREATE))
    close = kind[rows] == jf.CLOSE
    names = ("reason", "src", "dst", "proto", "from", "to", "session", "user")
    text = dict(zip(names, columns.strings_of_rows(data, *(
        np.stack([spans[k, jf.SLOT[name], rows] for name in names]) for k in (0, 1))),
        strict=True))
    num = {name: numbers[k, rows] for name, k in jf.NUMBER.items()}
    sd = structured[rows]
    if sd.any():
        _structured(lines, rows, sd, text, num)
    time, zone, yearless, time_ok = _times(data, spans, rows, bsd_ns[rows])
    col = {k: pc.fill_null(v, "") for k, v in text.items()}
    matched = pc.not_equal(col["src"], "").to_numpy(zero_copy_only=False)
    bad_layout = ~matched
    bad_time = ~time_ok & ~bad_layout
    bad_port = ~bad_layout & ~bad_time & ((np.minimum(num["sport"], num["dport"]) < 0) | (
        np.maximum(num["sport"], num["dport"]) > 65535))
    known = pc.is_in(col["proto"], pa.array(list(_PROTOCOLS))).to_numpy(zero_copy_only=False)
    other_protocol = ~bad_layout & ~bad_time & ~bad_port & ~known
    bad = bad_layout | bad_time | bad_port
    account.reject(rows[bad], np.where(bad_layout[bad], NOT_UNDERSTOOD, np.where(
        bad_time[bad], BAD_TIME, BAD_PORT)).tolist())
    account.ignore_each(join(
        names_of(close[other_protocol]), "proto", col["proto"].filter(
            pa.array(other_protocol)), sep="/"))
    keep = np.flatnonzero(~bad & ~other_protocol)
    if len(keep) < len(rows):
        take = pa.array(keep)
        col = {k: v.take(take) for k, v in col.items()}
    num = {k: v[keep] for k, v in num.items()}
    close, time, zone, yearless = close[keep], time[keep], zone[keep], yearless[keep]
    host = spans[:, jf.SLOT["host"], rows[keep]]
    rows = rows[keep]
    has_bytes = close & (num["bc"] >= 0) & (num["bs"] >= 0)
    reason = pc.if_else(pa.array(close), col["reason"], pa.nulls(len(rows), pa.large_string()))
    user = pc.if_else(pc.is_in(col["user"], pa.array(["N/A", "UNKNOWN"])), "", col["user"])
    return account.finish(int(mine.sum()), event_table(
        len(rows), row=rows, local_ns=time, zone=zone, yearless=yearless,
        device=columns.dictionary(data, host[0], host[1]),
        vendor=_encoded(pa.array(np.full(len(rows), NAME, dtype=object), pa.large_string())),
        msg_id=_encoded(names_of(close)),
        event=_encoded(pc.if_else(pa.array(close), "teardown", "built")),
        protocol=_encoded(pc.if_else(pc.equal(col["proto"], "6"), "tcp", "udp")),
        conn_id=col["session"], src_if=_encoded(col["from"], blank=True), src_ip=col["src"],
        src_port=num["sport"], dst_if=_encoded(col["to"], blank=True), dst_ip=col["dst"],
        dst_port=num["dport"],
        duration_ns=pa.array(num["elapsed"] * 10**9, mask=~(close & (num["elapsed"] >= 0))),
        bytes=pa.array(num["bc"] + num["bs"], pa.uint64(), mask=~has_bytes),
        reason=_encoded(reason), close=_encoded(close_of(reason, close_class)),
        user=_encoded(user, blank=True)))


def _text(data: np.ndarray, spans: np.ndarray, name: str, rows: np.ndarray) -> pa.Array:
    """A field's text on ``rows`` (null where the pass found none)."""
    slot = jf.SLOT[name]
    return columns.strings(data, spans[0, slot, rows], spans[1, slot, rows])


def _encoded(values: pa.Array, *, blank: bool = False) -> pa.DictionaryArray:
    """Repeated text dictionary-encoded (``blank``: empty values null)."""
    values = pc.cast(values, pa.large_string())
    if blank:
        values = pc.if_else(pc.equal(values, ""), pa.nulls(len(values), values.type), values)
    return pc.dictionary_encode(values)


def names_of(close: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(close), "RT_FLOW_SESSION_CLOSE", "RT_FLOW_SESSION_CREATE")


#: structured-data key -> field name shared with the positional form
_KEYS = {"reason": "reason", "source-address": "src", "source-port": "sport",
         "destination-address": "dst", "destination-port": "dport", "protocol-id": "proto",
         "source-zone-name": "from", "destination-zone-name": "to", "session-id-32": "session",
         "bytes-from-client": "bc", "bytes-from-server": "bs", "elapsed-time": "elapsed",
         "username": "user"}


def _structured(lines, rows: np.ndarray, structured: np.ndarray, text: dict[str, pa.Array],
                num: dict[str, np.ndarray]) -> None:
    """The structured rows' fields from their key="value" pairs, over ``text`` and ``num``
    (a missing key reads as empty text, as on a positional row that does not read)."""
    kv = pairs(lines, rows[structured])
    where = pa.array(structured)
    for key, name in _KEYS.items():
        values = pc.fill_null(kv.values(key, rows), "")
        if name in num:
            value, valid = integers(values)
            num[name] = np.where(structured, np.where(valid, value, -1), num[name])
        else:
            text[name] = pc.if_else(where, values, text[name])


def _times(data: np.ndarray, spans: np.ndarray, rows: np.ndarray, naive: np.ndarray,
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(local ns, zone code, year-less, valid): RFC 5424 stamps are UTC (their offset applied),
    BSD ones device-local and year-less. The pass read exact BSD stamps; other BSD text goes
    through Arrow's ``strptime``, ISO stamps through the ISO reader."""
    time = naive.copy()
    bsd = spans[0, jf.SLOT["bsd"], rows] >= 0
    lenient = np.flatnonzero(bsd & (time == NAT))
    if len(lenient):
        time[lenient] = bsd_yearless(_text(data, spans, "bsd", rows[lenient]))[0]
    bsd_ok = bsd & (time != NAT)
    iso = np.flatnonzero(spans[0, jf.SLOT["iso"], rows] >= 0)
    iso_ok = np.zeros(len(rows), bool)
    if len(iso):
        time[iso], iso_ok[iso] = iso_utc(_text(data, spans, "iso", rows[iso]))
    zone = np.where(iso_ok, 0, ZONE_DEVICE).astype(np.int16)
    return time, zone, ~iso_ok & bsd_ok, iso_ok | bsd_ok
