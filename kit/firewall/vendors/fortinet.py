"""FortiGate traffic logs (``key=value``) -> connection events.

evidence-sources.md §4. Pairs are read order-free, quoted or bare, with the PRI glued to the first
pair or a relay header in front (``keyvalue``). Traffic logs with an ``action`` that says how an
allowed session ended are teardowns (``accept``, ``close``, ``timeout``, ``client-rst``,
``server-rst``, ``dns``, ``ip-conn``); ``start`` logs are builts; ``deny`` and other types are
ignored by ``logid``/``action``.

Time: ``eventtime`` (UTC epoch, unit by digit count) is preferred; else ``date`` + ``time`` with
``tz`` (``+0100``, ``UTC+2:00``); else ``date`` + ``time`` in the user's ``tz=``. Where both
exist, ``date``/``time`` minus ``eventtime`` goes into the load report as the device's clock
offset. ``duration`` is seconds; whether it includes the idle wait is [U], so ``active`` stays
empty (§4.4).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..zones import ZONE_DEVICE, zone_minutes
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
from .lines import matches, split_lines
from .stamps import NAT, epoch_ns, strptime

NAME = "fortinet"
SIGNATURE = r"(?:^|[\s>])logid=\"?\d{10}\"?(?:\s|$)"
EXPECTED = ("a FortiGate log like 'date=2026-03-02 time=02:30:05 devname=\"fgt\" "
            "logid=\"0000000013\" type=\"traffic\" ... action=\"timeout\" ...'")
#: FortiGate's first pairs: a line with them but no logid was cut short
_PARTIAL = r"(?:^|[\s>])(?:date=\d{4}-\d\d-\d\d|devname=|devid=)"
_PROTOCOLS = {"6": "tcp", "17": "udp"}
_ENDS = {"accept", "close", "timeout", "client-rst", "server-rst", "dns", "ip-conn"}
#: §2: action -> close ("timeout" is refined by the packets both ways, see _closes)
_CLOSES = {"timeout": "idle-timeout", "close": "fin", "client-rst": "reset",
           "server-rst": "reset", "deny": "policy", "accept": "other", "dns": "other",
           "ip-conn": "other"}


def close_class(action: str | None) -> str | None:
    return None if not action else _CLOSES.get(action.strip().lower(), "other")


def parse_block(block: bytes, settings: VendorSettings) -> Parsed:
    """Classify and parse every line of ``block`` (see the module docstring)."""
    lines = split_lines(block)
    account = Account(lines)
    candidates = np.flatnonzero(~lines.control & pc.fill_null(pc.match_substring_regex(
        lines.text, SIGNATURE), False).to_numpy(zero_copy_only=False))
    mine = np.zeros(len(lines), bool)
    mine[candidates] = True
    partial = matches(lines.text, _PARTIAL) & ~mine & ~lines.control
    account.untagged(mine | partial, EXPECTED)
    account.reject(np.flatnonzero(partial), "FortiGate log without its logid (cut short?)")
    if not len(candidates):
        return account.finish(0, empty_events())
    kv = pairs(lines, candidates)

    def get(key: str, rows: np.ndarray = candidates) -> pa.Array:
        return pc.fill_null(kv.values(key, rows), "")

    kind = pc.utf8_lower(get("type"))
    action = pc.utf8_lower(get("action"))
    proto = get("proto")
    traffic = pc.equal(kind, "traffic").to_numpy(zero_copy_only=False)
    is_end = pc.is_in(action, pa.array(sorted(_ENDS))).to_numpy(zero_copy_only=False)
    is_start = pc.equal(action, "start").to_numpy(zero_copy_only=False)
    connection = traffic & (is_end | is_start) & pc.is_in(
        proto, pa.array(list(_PROTOCOLS))).to_numpy(zero_copy_only=False)
    # a line cut short: no type, or a traffic log without its action or protocol
    damaged = (pc.equal(kind, "").to_numpy(zero_copy_only=False)
               | (traffic & pc.or_(pc.equal(action, ""), pc.equal(proto, "")).to_numpy(
                   zero_copy_only=False)))
    account.reject(candidates[damaged], "FortiGate log without type, action or proto (cut "
                                        "short?)")
    keys = join(get("logid"), action, sep="/")
    account.ignore_each(keys.filter(pa.array(~connection & ~damaged)))
    rows = candidates[connection]
    offsets: list[tuple[str | None, float, int]] = []
    if not len(rows):
        return account.finish(len(candidates), empty_events())
    col = {k: get(k, rows) for k in (
        "devname", "devid", "logid", "action", "proto", "sessionid", "srcip", "srcport",
        "srcintf", "dstip", "dstport", "dstintf", "duration", "sentbyte", "rcvdbyte",
        "sentpkt", "rcvdpkt", "eventtime", "date", "time", "tz", "user")}
    end = is_end[connection]
    num = {k: integers(col[k]) for k in ("srcport", "dstport", "duration", "sentbyte",
                                         "rcvdbyte", "sentpkt", "rcvdpkt")}
    time, zone, time_ok = _times(col, settings, offsets)
    bad_port = ~(num["srcport"][1] & num["dstport"][1]) | (
        np.maximum(num["srcport"][0], num["dstport"][0]) > 65535)
    bad_time = ~time_ok
    bad_duration = end & ~num["duration"][1]
    bad = bad_port | bad_time | bad_duration
    account.reject(rows[bad], np.where(
        bad_time[bad], "FortiGate log without a usable eventtime or date/time",
        np.where(bad_port[bad], "FortiGate srcport/dstport not a number 0-65535",
                 "FortiGate duration not a number of seconds")).tolist())
    keep = np.flatnonzero(~bad)
    take = pa.array(keep)
    col = {k: v.take(take) for k, v in col.items()}
    num = {k: (v[0][keep], v[1][keep]) for k, v in num.items()}
    rows, end, time, zone = rows[keep], end[keep], time[keep], zone[keep]
    action = pc.utf8_lower(col["action"])
    nbytes = num["sentbyte"][0] + num["rcvdbyte"][0]
    has_bytes = end & num["sentbyte"][1] & num["rcvdbyte"][1]
    device = pc.if_else(pc.equal(col["devname"], ""), col["devid"], col["devname"])
    return account.finish(len(candidates), event_table(
        len(rows), row=rows, local_ns=time, zone=zone, yearless=np.zeros(len(rows), bool),
        device=_null_blank(device), vendor=NAME, msg_id=col["logid"],
        event=pc.if_else(pa.array(end), "teardown", "built"),
        protocol=_protocol(col["proto"]),
        conn_id=_null_blank(col["sessionid"]), src_if=_null_blank(col["srcintf"]),
        src_ip=col["srcip"], src_port=num["srcport"][0], dst_if=_null_blank(col["dstintf"]),
        dst_ip=col["dstip"], dst_port=num["dstport"][0],
        duration_ns=pa.array(num["duration"][0] * 10**9, mask=~end),
        bytes=pa.array(nbytes, pa.uint64(), mask=~has_bytes),
        reason=pc.if_else(pa.array(end), col["action"], pa.nulls(len(rows),
                                                                 pa.large_string())),
        close=_closes(action, num, end), user=_null_blank(col["user"])), offsets)


def _protocol(proto: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(proto, "6"), "tcp", "udp")


def _null_blank(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(values, ""), pa.nulls(len(values), values.type), values)


def _closes(action: pa.Array, num: dict, end: np.ndarray) -> pa.Array:
    """§2: ``timeout`` with at most one packet each way never got going: a SYN timeout."""
    close = close_of(pc.if_else(pa.array(end), action, pa.nulls(len(action), action.type)),
                     close_class)
    sent, received = num["sentpkt"], num["rcvdpkt"]
    few = sent[1] & received[1] & (sent[0] <= 1) & (received[0] <= 1)
    timeout = pc.equal(action, "timeout").to_numpy(zero_copy_only=False)
    return pc.if_else(pa.array(end & timeout & few), "syn-timeout", close)


def _times(col: dict[str, pa.Array], settings: VendorSettings,
           offsets: list[tuple[str | None, float, int]],
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(local ns, zone code, valid) per row by §4.3's rule; offsets measured where both the
    epoch and the device's date/time exist."""
    epoch, epoch_ok = epoch_ns(col["eventtime"])
    local, local_ok = strptime(join(col["date"], col["time"], sep=" "),
                               "%Y-%m-%d %H:%M:%S")
    encoded = pc.dictionary_encode(col["tz"])
    table = np.array([_tz(t) for t in encoded.dictionary.to_pylist()] + [ZONE_DEVICE],
                     dtype=np.int64)
    tz_minutes = table[pc.fill_null(encoded.indices, len(table) - 1).to_numpy(
        zero_copy_only=False)]
    zone = np.where(epoch_ok, 0, tz_minutes).astype(np.int16)
    time = np.where(epoch_ok, epoch, np.where(local_ok, local, NAT))
    both = epoch_ok & local_ok
    if both.any():
        diff = np.round((local[both] - epoch[both]) / 1e9).astype(np.int64)
        names = pc.dictionary_encode(col["devname"].filter(pa.array(both)))
        pairs_seen, counts = np.unique(np.column_stack(
            [names.indices.to_numpy(zero_copy_only=False), diff]), axis=0, return_counts=True)
        labels = names.dictionary.to_pylist()
        offsets += [(f"{labels[d] or '<unnamed>'} (date/time minus eventtime)", float(s),
                     int(n)) for (d, s), n in zip(pairs_seen, counts, strict=True)]
    return time, zone, epoch_ok | local_ok


def _tz(text: str | None) -> int:
    """``+0100``, ``-07:00``, ``UTC+2:00`` -> minutes east; unknown or absent -> the user's."""
    if not text:
        return ZONE_DEVICE
    minutes = zone_minutes(text.strip())
    return ZONE_DEVICE if minutes is None else minutes
