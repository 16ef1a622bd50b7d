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

Speed: the signature and every wanted pair are found by compiled passes (``keyvalue.find``),
numbers and stamps read from the spans in place; the few-valued fields (type, action, proto,
logid, device, interfaces, tz, user) are looked at once per distinct value
(``columns.encode_repeated``), and the events keep them as dictionaries (``COMPACT_EVENT_SCHEMA``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numba import njit

from .. import columns
from ..zones import ZONE_DEVICE, zone_minutes
from .common import COMPACT_EVENT_SCHEMA, Account, Parsed, VendorSettings, coded, event_table, join
from .keyvalue import Keys, Spans, find, integers
from .lines import matches, split_lines
from .stamps import NAT, strptime

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
_KEYS = Keys("type", "action", "proto", "logid", "devname", "devid", "sessionid", "srcip",
             "srcport", "srcintf", "dstip", "dstport", "dstintf", "duration", "sentbyte",
             "rcvdbyte", "sentpkt", "rcvdpkt", "eventtime", "date", "time", "tz", "user")
_COUNTS = ("srcport", "dstport", "duration", "sentbyte", "rcvdbyte", "sentpkt", "rcvdpkt")
_SPACE, _TAB, _GT, _QUOTE, _ZERO, _NINE, _DASH, _COLON = 32, 9, 62, 34, 48, 57, 45, 58
_LOGID = np.frombuffer(b"logid=", np.uint8).copy()
_INT64_MAX = np.iinfo(np.int64).max


def close_class(action: str | None) -> str | None:
    return None if not action else _CLOSES.get(action.strip().lower(), "other")


@njit(nogil=True, cache=True)
def _digits(data: np.ndarray, at: int, count: int) -> bool:
    for k in range(at, at + count):  # noqa: SIM110 (a generator does not compile)
        if not _ZERO <= data[k] <= _NINE:
            return False
    return True


@njit(nogil=True, cache=True)
def _signed(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, control: np.ndarray,
            ) -> np.ndarray:
    """Per line: :data:`SIGNATURE` found (lines with control characters never are)."""
    found = np.zeros(len(starts), np.bool_)
    for i in range(len(starts)):
        if control[i]:
            continue
        start, end = starts[i], ends[i]
        for k in range(start, end - 15):
            if data[k] != _LOGID[0] or (k > start and data[k - 1] != _SPACE
                                        and data[k - 1] != _TAB and data[k - 1] != _GT):
                continue
            at = k
            for j in range(6):
                if data[k + j] != _LOGID[j]:
                    at = -1
                    break
            if at < 0:
                continue
            at = k + 6 + (data[k + 6] == _QUOTE)
            if at + 10 > end or not _digits(data, at, 10):
                continue
            at += 10
            if at < end and data[at] == _QUOTE:
                at += 1
            if at == end or data[at] == _SPACE or data[at] == _TAB:
                found[i] = True
                break
    return found


@njit(nogil=True, cache=True)
def _epochs(data: np.ndarray, begin: np.ndarray, end: np.ndarray,
            ) -> tuple[np.ndarray, np.ndarray]:
    """``eventtime`` spans -> (UTC ns, valid): an epoch of 10, 13, 16 or 19 digits (s, ms, us,
    ns); one beyond int64 is not valid."""
    ns = np.full(len(begin), NAT, np.int64)
    valid = np.zeros(len(begin), np.bool_)
    for i in range(len(begin)):
        b, width = begin[i], end[i] - begin[i]
        if b < 0 or width not in (10, 13, 16, 19) or not _digits(data, b, width):
            continue
        value = np.uint64(0)
        for k in range(b, b + width):
            value = value * np.uint64(10) + np.uint64(data[k] - _ZERO)
        if value > np.uint64(_INT64_MAX):  # 19 digits beyond int64
            continue
        scale = 1 if width == 19 else 1000 if width == 16 else 1000000 if width == 13 else (
            1000000000)
        ns[i] = np.int64(value) * np.int64(scale)  # wraps as numpy does past the year 2262
        valid[i] = True
    return ns, valid


@njit(nogil=True, cache=True)
def _two(data: np.ndarray, at: int) -> int:
    return (data[at] - _ZERO) * 10 + data[at + 1] - _ZERO


@njit(nogil=True, cache=True)
def _local(data: np.ndarray, date_b: np.ndarray, date_e: np.ndarray, time_b: np.ndarray,
           time_e: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``date`` ``YYYY-MM-DD`` + ``time`` ``HH:MM:SS`` spans -> (naive ns, valid, unsure): a
    valid calendar date and clock time is read here; any other text is ``unsure`` and left to
    Arrow's strptime (which has its own leniency)."""
    n = len(date_b)
    ns = np.full(n, NAT, np.int64)
    valid = np.zeros(n, np.bool_)
    unsure = np.zeros(n, np.bool_)
    for i in range(n):
        d, t = date_b[i], time_b[i]
        if (d < 0 or t < 0 or date_e[i] - d != 10 or time_e[i] - t != 8
                or data[d + 4] != _DASH or data[d + 7] != _DASH or data[t + 2] != _COLON
                or data[t + 5] != _COLON or not _digits(data, d, 4)
                or not _digits(data, d + 5, 2) or not _digits(data, d + 8, 2)
                or not _digits(data, t, 2) or not _digits(data, t + 3, 2)
                or not _digits(data, t + 6, 2)):
            unsure[i] = True
            continue
        year = _two(data, d) * 100 + _two(data, d + 2)
        month, day = _two(data, d + 5), _two(data, d + 8)
        hour, minute, second = _two(data, t), _two(data, t + 3), _two(data, t + 6)
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        days_in = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
        if (not 1 <= month <= 12 or not 1 <= day <= days_in[month - 1] or hour > 23
                or minute > 59 or second > 59):
            unsure[i] = True
            continue
        y = year - (month <= 2)  # days from civil (H. Hinnant)
        era = y // 400
        yoe = y - era * 400
        doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
        days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
        ns[i] = ((days * 24 + hour) * 60 + minute) * 60_000_000_000 + second * 1_000_000_000
        valid[i] = True
    return ns, valid, unsure


def _lower(values: list[str]) -> list[str]:
    """Arrow's lower case (as the reader always used), once per distinct value."""
    return pc.utf8_lower(pa.array(values, pa.large_string())).to_pylist()


def parse_block(block: bytes, settings: VendorSettings) -> Parsed:
    """Classify and parse every line of ``block`` (see the module docstring)."""
    lines = split_lines(block, text=False)
    account = Account(lines)
    data = np.frombuffer(lines.buffer, np.uint8)
    mine = _signed(data, lines.starts, lines.ends, lines.control)
    candidates = np.flatnonzero(mine)
    others = np.flatnonzero(~mine & ~lines.control)
    partial = np.zeros(len(lines), bool)
    partial[others[matches(lines.texts(others), _PARTIAL)]] = True
    account.untagged(mine | partial, EXPECTED)
    account.reject(np.flatnonzero(partial), "FortiGate log without its logid (cut short?)")
    if not len(candidates):
        return account.finish(0, _no_events())
    kv = find(data, lines.starts, lines.ends, candidates, _KEYS)
    kind_code, kinds = kv.encoded("type")
    action_code, actions = kv.encoded("action")
    proto_code, protos = kv.encoded("proto")
    lower = _lower(actions)
    traffic = np.isin(kind_code, [k for k, v in enumerate(_lower(kinds)) if v == "traffic"])
    is_end = np.isin(action_code, [k for k, v in enumerate(lower) if v in _ENDS])
    is_start = np.isin(action_code, [k for k, v in enumerate(lower) if v == "start"])
    connection = traffic & (is_end | is_start) & np.isin(
        proto_code, [k for k, v in enumerate(protos) if v in _PROTOCOLS])
    # a line cut short: no type, or a traffic log without its action or protocol
    damaged = (np.isin(kind_code, [k for k, v in enumerate(kinds) if v == ""])
               | (traffic & (np.isin(action_code, [k for k, v in enumerate(actions) if v == ""])
                             | np.isin(proto_code, [k for k, v in enumerate(protos) if v == ""]))))
    account.reject(candidates[damaged], "FortiGate log without type, action or proto (cut "
                                        "short?)")
    ignored = np.flatnonzero(~connection & ~damaged)
    if len(ignored):
        logid_code, logids = kv.encoded("logid", ignored)
        account.ignore_each(join(pa.array(logids, pa.large_string()).take(pa.array(logid_code)),
                                 pa.array(lower, pa.large_string()).take(
                                     pa.array(action_code[ignored])), sep="/"))
    at = np.flatnonzero(connection)
    rows = candidates[at]
    if not len(rows):
        return account.finish(len(candidates), _no_events())
    end = is_end[at]
    num = {k: integers(data, *kv(k, at)) for k in _COUNTS}
    offsets: list[tuple[str | None, float, int]] = []
    time, zone, time_ok = _times(kv, at, settings, offsets)
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
    at, rows, end, time, zone = at[keep], rows[keep], end[keep], time[keep], zone[keep]
    num = {k: (v[0][keep], v[1][keep]) for k, v in num.items()}
    action = action_code[at]
    nbytes = num["sentbyte"][0].astype(np.uint64) + num["rcvdbyte"][0].astype(np.uint64)
    has_bytes = end & num["sentbyte"][1] & num["rcvdbyte"][1]
    return account.finish(len(candidates), event_table(
        len(rows), schema=COMPACT_EVENT_SCHEMA, row=rows, local_ns=time, zone=zone,
        yearless=np.zeros(len(rows), bool), device=_device(kv, at),
        vendor=coded(np.zeros(len(rows), np.int32), [NAME]),
        msg_id=kv.dictionary("logid", at, missing="empty"),
        event=coded(np.where(end, 0, 1), ["teardown", "built"]),
        protocol=coded(np.where(np.isin(proto_code[at], [k for k, v in enumerate(protos)
                                                         if v == "6"]), 0, 1), ["tcp", "udp"]),
        conn_id=kv.text("sessionid", at, missing="blank"),
        src_if=kv.dictionary("srcintf", at, missing="blank"),
        src_ip=kv.text("srcip", at, missing="empty"), src_port=num["srcport"][0],
        dst_if=kv.dictionary("dstintf", at, missing="blank"),
        dst_ip=kv.text("dstip", at, missing="empty"), dst_port=num["dstport"][0],
        duration_ns=pa.array(num["duration"][0] * 10**9, mask=~end),
        bytes=pa.array(nbytes, pa.uint64(), mask=~has_bytes),
        reason=coded(np.where(end, action, -1), actions),
        close=_closes(action, lower, num, end), user=kv.dictionary("user", at, missing="blank")),
        offsets)


def _no_events() -> pa.Table:
    return event_table(0, schema=COMPACT_EVENT_SCHEMA)


def _device(kv: Spans, at: np.ndarray) -> pa.Array:
    """``devname``, else ``devid``; null when neither has a value."""
    name_b, name_e = kv("devname", at)
    id_b, id_e = kv("devid", at)
    named = name_e > name_b
    begin, end = np.where(named, name_b, id_b), np.where(named, name_e, id_e)
    return columns.dictionary_repeated(kv.data, np.where(end > begin, begin, -1), end)


_CLOSE_NAMES = [None, "syn-timeout", *dict.fromkeys(_CLOSES.values())]


def _closes(action: np.ndarray, lower: list[str], num: dict, end: np.ndarray) -> pa.Array:
    """§2 per distinct action; ``timeout`` with at most one packet each way never got going:
    a SYN timeout."""
    table = np.array([_CLOSE_NAMES.index(close_class(a)) for a in lower] or [0], np.int32)
    close = np.where(end, table[action], 0)
    sent, received = num["sentpkt"], num["rcvdpkt"]
    few = sent[1] & received[1] & (sent[0] <= 1) & (received[0] <= 1)
    timeout = np.isin(action, [k for k, v in enumerate(lower) if v == "timeout"])
    close = np.where(end & timeout & few, 1, close)
    return coded(close - 1, _CLOSE_NAMES[1:])


def _times(kv: Spans, at: np.ndarray, settings: VendorSettings,
           offsets: list[tuple[str | None, float, int]],
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(local ns, zone code, valid) per row by §4.3's rule; offsets measured where both the
    epoch and the device's date/time exist."""
    epoch, epoch_ok = _epochs(kv.data, *kv("eventtime", at))
    local, local_ok, unsure = _local(kv.data, *kv("date", at), *kv("time", at))
    if unsure.any():  # not a plain valid date and time: as Arrow's strptime reads it
        odd = at[unsure]
        local[unsure], local_ok[unsure] = strptime(join(
            kv.text("date", odd, missing="empty"), kv.text("time", odd, missing="empty"),
            sep=" "), "%Y-%m-%d %H:%M:%S")
    zone = np.zeros(len(at), np.int16)  # epochs are UTC; the others take their tz=
    local_only = np.flatnonzero(~epoch_ok)
    if len(local_only):
        tz_code, zones = kv.encoded("tz", at[local_only])
        zone[local_only] = np.array([_tz(t) for t in zones] + [ZONE_DEVICE], np.int64)[tz_code]
    time = np.where(epoch_ok, epoch, np.where(local_ok, local, NAT))
    both = epoch_ok & local_ok
    if both.any():
        diff = np.round((local[both] - epoch[both]) / 1e9).astype(np.int64)
        device_code, names = kv.encoded("devname", at[both])
        for d, name in enumerate(names):  # by device, then offset
            seconds, counts = np.unique(diff[device_code == d], return_counts=True)
            offsets += [(f"{name or '<unnamed>'} (date/time minus eventtime)", float(s),
                         int(n)) for s, n in zip(seconds, counts, strict=True)]
    return time, zone, epoch_ok | local_ok


def _tz(text: str | None) -> int:
    """``+0100``, ``-07:00``, ``UTC+2:00`` -> minutes east; unknown or absent -> the user's."""
    if not text:
        return ZONE_DEVICE
    minutes = zone_minutes(text.strip())
    return ZONE_DEVICE if minutes is None else minutes
