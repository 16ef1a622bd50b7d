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
from .common import Account, Parsed, VendorSettings, event_table, integers, join, labels
from .keyvalue import pairs
from .lines import split_lines
from .stamps import NAT, bsd_yearless, iso_utc

NAME = "juniper"
SIGNATURE = r"RT_FLOW_SESSION_|RT_FLOW:|junos@2636"
EXPECTED = ("an SRX log like '<14>Mar  2 02:30:05 srx01 RT_FLOW: RT_FLOW_SESSION_CLOSE: "
            "session closed idle Timeout: 192.0.2.10/50412->198.51.100.20/1556 ...'")
_MESSAGE = r"(RT_FLOW_[A-Z_]+)"
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
    lines = split_lines(block, text=False)
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
    span = spans[:, :, rows]
    num = {name: numbers[k, rows] for name, k in jf.NUMBER.items()}
    if structured[rows].any():
        data = _structured(lines, data, rows, structured[rows], span, num)
    time, zone, yearless, time_ok = _times(data, span, bsd_ns[rows])
    digits = span[1, jf.SLOT["proto"]] - span[0, jf.SLOT["proto"]]
    tcp = (num["proto"] == 6) & (digits == 1)  # the text "6" (not "06")
    known = tcp | ((num["proto"] == 17) & (digits == 2))
    bad_layout = ~(span[1, jf.SLOT["src"]] > span[0, jf.SLOT["src"]])  # no source address
    bad_time = ~time_ok & ~bad_layout
    bad_port = ~bad_layout & ~bad_time & ((np.minimum(num["sport"], num["dport"]) < 0) | (
        np.maximum(num["sport"], num["dport"]) > 65535))
    other_protocol = ~bad_layout & ~bad_time & ~bad_port & ~known
    bad = bad_layout | bad_time | bad_port
    account.reject(rows[bad], np.where(bad_layout[bad], NOT_UNDERSTOOD, np.where(
        bad_time[bad], BAD_TIME, BAD_PORT)).tolist())
    account.ignore_each(join(names_of(close[other_protocol]), "proto", pc.fill_null(
        _text(data, span, "proto", np.flatnonzero(other_protocol)), ""), sep="/"))
    keep = np.flatnonzero(~bad & ~other_protocol)
    span, close, time, zone, yearless = (span[:, :, keep], close[keep], time[keep], zone[keep],
                                         yearless[keep])
    num = {k: v[keep] for k, v in num.items()}
    tcp = tcp[keep]
    repeated = [span[:, jf.SLOT["host"]], _blank_null(span[:, jf.SLOT["from"]]),
                _blank_null(span[:, jf.SLOT["to"]]),
                np.stack([np.where(close, span[0, jf.SLOT["reason"]], -1),
                          span[1, jf.SLOT["reason"]]]),
                _blank_null(span[:, jf.SLOT["user"]])]
    device, src_if, dst_if, reason, user = columns.dictionaries_of_rows(
        data, np.stack([r[0] for r in repeated]), np.stack([r[1] for r in repeated]))
    src, dst, session = columns.strings_of_rows(data, *(np.stack(
        [span[k, jf.SLOT[name]] for name in ("src", "dst", "session")]) for k in (0, 1)))
    has_bytes = close & (num["bc"] >= 0) & (num["bs"] >= 0)
    n = len(keep)
    return account.finish(int(mine.sum()), event_table(
        n, row=rows[keep], local_ns=time, zone=zone, yearless=yearless, device=device,
        vendor=labels(np.zeros(n, np.int64), [NAME]),
        msg_id=labels(close.astype(np.int64), list(_MESSAGES)),
        event=labels(close.astype(np.int64), ["built", "teardown"]),
        protocol=labels(np.where(tcp, 0, 1), ["tcp", "udp"]),
        conn_id=session, src_if=src_if, src_ip=src, src_port=num["sport"], dst_if=dst_if,
        dst_ip=dst, dst_port=num["dport"],
        duration_ns=pa.array(num["elapsed"] * 10**9, mask=~(close & (num["elapsed"] >= 0))),
        bytes=pa.array(num["bc"] + num["bs"], pa.uint64(), mask=~has_bytes),
        reason=reason, close=_closes(reason), user=_without(user, ("N/A", "UNKNOWN"))))


def _blank_null(span: np.ndarray) -> np.ndarray:
    """Spans (2, rows) with the empty ones absent (their value is null)."""
    return np.stack([np.where(span[1] > span[0], span[0], -1), span[1]])


def _without(values: pa.DictionaryArray, placeholders: tuple[str, ...]) -> pa.DictionaryArray:
    """``values`` with the placeholder texts null (SRX writes ``N/A`` for no user)."""
    drop = [k for k, v in enumerate(values.dictionary.to_pylist()) if v in placeholders]
    if not drop:
        return values
    codes = pc.fill_null(values.indices, -1).to_numpy(zero_copy_only=False)
    codes = np.where(np.isin(codes, drop), -1, codes)
    return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32(), mask=codes < 0),
                                          values.dictionary)


def _closes(reason: pa.DictionaryArray) -> pa.DictionaryArray:
    """The close class of each reason, worked out once per distinct reason."""
    classes = [close_class(r) for r in reason.dictionary.to_pylist()]
    names = sorted({c for c in classes if c})
    of_reason = np.array([names.index(c) if c else -1 for c in classes] + [-1], np.int64)
    return labels(of_reason[pc.fill_null(reason.indices, -1).to_numpy(zero_copy_only=False)],
                  names)


_MESSAGES = ("RT_FLOW_SESSION_CREATE", "RT_FLOW_SESSION_CLOSE")


def names_of(close: np.ndarray) -> pa.Array:
    return pc.if_else(pa.array(close), "RT_FLOW_SESSION_CLOSE", "RT_FLOW_SESSION_CREATE")


#: structured-data key -> field name shared with the positional form
_KEYS = {"reason": "reason", "source-address": "src", "source-port": "sport",
         "destination-address": "dst", "destination-port": "dport", "protocol-id": "proto",
         "source-zone-name": "from", "destination-zone-name": "to", "session-id-32": "session",
         "bytes-from-client": "bc", "bytes-from-server": "bs", "elapsed-time": "elapsed",
         "username": "user"}


def _structured(lines, data: np.ndarray, rows: np.ndarray, structured: np.ndarray,
                span: np.ndarray, num: dict[str, np.ndarray]) -> np.ndarray:
    """The structured rows' fields from their key="value" pairs, into ``span`` and ``num``: the
    values' text is laid after the block's bytes (returned, the spans point into it); a
    missing key reads as empty text."""
    kv = pairs(lines, rows[structured])
    pieces, size = [data], len(data)
    for key, name in _KEYS.items():
        values = pc.cast(pc.fill_null(kv.values(key, rows), ""), pa.large_string())
        if name in num:
            value, valid = integers(values)
            num[name] = np.where(structured, np.where(valid, value, -1), num[name])
            if name != "proto":  # the protocol's text is kept too (ignored lines name it)
                continue
        text = values.filter(pa.array(structured))
        offsets = np.frombuffer(text.buffers()[1], np.int64)[text.offset:
                                                             text.offset + len(text) + 1]
        slot = jf.SLOT[name]
        span[0, slot, structured] = size + offsets[:-1] - offsets[0]
        span[1, slot, structured] = size + offsets[1:] - offsets[0]
        if offsets[-1] > offsets[0]:
            pieces.append(np.frombuffer(text.buffers()[2], np.uint8)[offsets[0]:offsets[-1]])
            size += int(offsets[-1] - offsets[0])
    return np.concatenate(pieces)


def _times(data: np.ndarray, span: np.ndarray, naive: np.ndarray,
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(local ns, zone code, year-less, valid): RFC 5424 stamps are UTC (their offset applied),
    BSD ones device-local and year-less. The pass read exact BSD stamps; other BSD text goes
    through Arrow's ``strptime``, ISO stamps through the ISO reader."""
    time = naive.copy()
    bsd = span[0, jf.SLOT["bsd"]] >= 0
    lenient = np.flatnonzero(bsd & (time == NAT))
    if len(lenient):
        time[lenient] = bsd_yearless(_text(data, span, "bsd", lenient))[0]
    bsd_ok = bsd & (time != NAT)
    iso = np.flatnonzero(span[0, jf.SLOT["iso"]] >= 0)
    iso_ok = np.zeros(len(time), bool)
    if len(iso):
        time[iso], iso_ok[iso] = iso_utc(_text(data, span, "iso", iso))
    zone = np.where(iso_ok, 0, ZONE_DEVICE).astype(np.int16)
    return time, zone, ~iso_ok & bsd_ok, iso_ok | bsd_ok


def _text(data: np.ndarray, span: np.ndarray, name: str, at: np.ndarray) -> pa.Array:
    """A field's text on the rows ``at`` of ``span`` (null where the pass found none)."""
    slot = jf.SLOT[name]
    return columns.strings(data, span[0, slot, at], span[1, slot, at])
