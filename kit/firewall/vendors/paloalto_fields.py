"""The PAN-OS field finder: one compiled pass per block over the lines of a block.

Per line it finds where the CSV starts (``<digit>,YYYY/MM/DD HH:MM:SS,`` for the syslog layout,
after ``panwlogs <token>`` for the forwarder's), walks the comma-separated fields by Arrow's CSV
rules (``bytescan.csv_field``: quoted values with commas, doubled quotes, ``{a,b}`` values are
plain text) and keeps the span of each field the frame needs (``FIELDS``); then, while the line is
in cache, it reads the numbers and the naive time stamps in place and classifies the row. A row
with an escaped wanted value (doubled quotes) is read again after :func:`unescape` has written
the value into a copy of the block. Nothing becomes a Python object per line.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..bytescan import (
    LAST_FIELD,
    UNCLOSED_QUOTE,
    civil_days,
    csv_field,
    csv_unescape,
    digit_count,
    is_digit,
    is_space,
    literal,
    match,
    number,
)

#: the fields the frame needs; ``STANDARD``/``FORWARDER`` give their CSV position per layout
FIELDS = ("serial", "type", "subtype", "generated", "src_ip", "dst_ip", "user", "src_if",
          "dst_if", "session", "src_port", "dst_port", "protocol", "bytes", "bytes_received",
          "start", "elapsed", "packets_sent", "packets_received", "reason", "device_name",
          "high_resolution")
SLOT = {name: k for k, name in enumerate(FIELDS)}
#: §3.1 positions (0-based from the CSV's leading digit)
STANDARD = {
    "serial": 2, "type": 3, "subtype": 4, "generated": 6, "src_ip": 7, "dst_ip": 8,
    "user": 12, "src_if": 16, "dst_if": 17, "session": 22, "src_port": 24, "dst_port": 25,
    "protocol": 29, "bytes": 31, "bytes_received": 33, "start": 35, "elapsed": 36,
    "packets_sent": 44, "packets_received": 45, "reason": 46, "device_name": 52,
    "high_resolution": 102,
}
#: the forwarder's order (§3.3, a public sample): time 0 and serial 1, type 2, subtype 3,
#: session 20, ports 22/23, protocol 26, bytes 28-30, start 32, elapsed 33, reason 40.
#: Addresses at 5/6 are [U]; packets are not located, so "reply seen" is bytes received (30).
FORWARDER = {
    "generated": 0, "serial": 1, "type": 2, "subtype": 3, "src_ip": 5, "dst_ip": 6,
    "session": 20, "src_port": 22, "dst_port": 23, "protocol": 26, "bytes": 28,
    "bytes_received": 30, "start": 32, "elapsed": 33, "reason": 40,
}
#: the fewest fields a TRAFFIC row of each layout needs (its end reason's position + 1)
MIN_STANDARD, MIN_FORWARDER = STANDARD["reason"] + 1, FORWARDER["reason"] + 1

#: row kinds
NOT_PAN, SYSLOG_CSV, FORWARDED, FORWARDED_NO_CSV = 0, 1, 2, 3
#: subtype and protocol codes
OTHER, START, END = 0, 1, 2
TCP, UDP = 1, 2
#: numbers read in the pass (value, -1 where the field is not a plain number)
NUMBERS = ("src_port", "dst_port", "bytes", "elapsed", "bytes_received", "packets_sent",
           "packets_received")
NAT = np.iinfo(np.int64).min


def _slots(layout: dict[str, int]) -> np.ndarray:
    """CSV position -> slot in ``FIELDS`` (-1: a field not needed)."""
    out = np.full(max(layout.values()) + 1, -1, np.int64)
    for name, position in layout.items():
        out[position] = SLOT[name]
    return out


_STANDARD_SLOTS, _FORWARDER_SLOTS = _slots(STANDARD), _slots(FORWARDER)
_NUMBER_SLOTS = np.array([SLOT[n] for n in NUMBERS], np.int64)
_PANWLOGS = literal("panwlogs")
_TRAFFIC, _START, _END = literal("TRAFFIC"), literal("start"), literal("end")
_TCP, _UDP = literal("tcp"), literal("udp")
#: the CSV start's shape, 0 for a digit
_SHAPE = literal("0,0000/00/00 00:00:00,")
_COMMA, _SLASH, _COLON, _SPACE, _LT, _GT, _ONE = 44, 47, 58, 32, 60, 62, 49


@njit(nogil=True, cache=True)
def _csv_start(data: np.ndarray, at: int, end: int) -> int:
    """First position of ``\\d,\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d,`` in the line, else -1."""
    shape = _SHAPE
    for k in range(at, end - len(shape) + 1):
        if data[k + 1] != _COMMA or not is_digit(data[k]):
            continue
        ok = True
        for j in range(2, len(shape)):
            want = shape[j]
            byte = data[k + j]
            if (want == 48 and not is_digit(byte)) or (want != 48 and byte != want):
                ok = False
                break
        if ok:
            return k
    return -1


@njit(nogil=True, cache=True)
def _forwarder_body(data: np.ndarray, at: int, end: int) -> tuple[int, int]:
    """(where ``\\spanwlogs\\s`` is, where the CSV after ``panwlogs\\s+\\S+\\s+`` starts): -1
    for the first when the line is no forwarder line, -1 for the second when the CSV is
    missing."""
    found = -1
    for k in range(at, end - 9):
        if not is_space(data[k]) or match(data, k + 1, end, _PANWLOGS) < 0 or not is_space(
                data[k + 9]):
            continue
        if found < 0:
            found = k
        j = k + 9
        while j < end and is_space(data[j]):
            j += 1
        token = j
        while j < end and not is_space(data[j]):
            j += 1
        if j == token or j >= end:
            continue
        while j < end and is_space(data[j]):
            j += 1
        if j < end:
            return found, j
    return found, -1


@njit(nogil=True, cache=True)
def forwarder_host(data: np.ndarray, at: int, end: int) -> tuple[int, int]:
    """The host after an RFC 5424 stamp, ``^(?:\\d+ )?<\\d+>1 \\S+ (\\S+)``, else (-1, -1)."""
    for skip in (True, False):
        k = at
        if skip:
            digits = digit_count(data, k, end)
            if digits == 0 or k + digits >= end or data[k + digits] != _SPACE:
                continue
            k += digits + 1
        if k >= end or data[k] != _LT:
            continue
        digits = digit_count(data, k + 1, end)
        k += 1 + digits
        if digits == 0 or k + 3 > end or data[k] != _GT or data[k + 1] != _ONE or \
                data[k + 2] != _SPACE:
            continue
        k += 3
        stamp = k
        while k < end and not is_space(data[k]):
            k += 1
        if k == stamp or k >= end or data[k] != _SPACE:
            continue
        host = k + 1
        k = host
        while k < end and not is_space(data[k]):
            k += 1
        if k > host:
            return host, k
    return -1, -1


@njit(nogil=True, cache=True)
def slash_stamp(data: np.ndarray, at: int, end: int) -> int:
    """``YYYY/MM/DD HH:MM:SS`` exactly, with a real date and time in the years int64 ns can
    hold, as naive ns; else NAT (the caller hands such text to Arrow's more lenient
    ``strptime``, which also decides the years at the edges of the ns range)."""
    if end - at != 19:
        return NAT
    for j in range(19):
        byte = data[at + j]
        if j in (4, 7):
            if byte != _SLASH:
                return NAT
        elif j == 10:
            if byte != _SPACE:
                return NAT
        elif j in (13, 16):
            if byte != _COLON:
                return NAT
        elif not is_digit(byte):
            return NAT
    year = int(number(data, at, 4))
    month, day = int(number(data, at + 5, 2)), int(number(data, at + 8, 2))
    hour, minute, second = (int(number(data, at + 11, 2)), int(number(data, at + 14, 2)),
                            int(number(data, at + 17, 2)))
    if not 1678 <= year <= 2261 or not 1 <= month <= 12 or day < 1 or hour > 23 or \
            minute > 59 or second > 59:
        return NAT
    following = civil_days(year + (month == 12), month % 12 + 1, 1)
    day0 = civil_days(year, month, 1)
    if day > following - day0:
        return NAT
    return ((day0 + day - 1) * 86400 + hour * 3600 + minute * 60 + second) * 1_000_000_000


@njit(nogil=True, cache=True)
def _plain_number(data: np.ndarray, at: int, end: int) -> int:
    """``^\\d{1,19}$`` within int64, else -1."""
    count = digit_count(data, at, end)
    if count == 0 or at + count != end or count > 19:
        return -1
    value = number(data, at, count)
    if value > np.uint64(9223372036854775807):
        return -1
    return int(value)


@njit(nogil=True, cache=True)
def _is(data: np.ndarray, spans: np.ndarray, slot: int, row: int, text: np.ndarray) -> bool:
    at, end = spans[0, slot, row], spans[1, slot, row]
    return at >= 0 and end - at == len(text) and match(data, at, end, text) == end


@njit(nogil=True, cache=True)
def read_row(data: np.ndarray, spans: np.ndarray, row: int, numbers: np.ndarray,
             codes: np.ndarray, times: np.ndarray) -> None:
    """The row's numbers (``NUMBERS``), its codes (TRAFFIC, subtype, protocol) and its naive
    Generated and Start stamps, read from its field spans."""
    for k in range(len(_NUMBER_SLOTS)):
        slot = _NUMBER_SLOTS[k]
        at = spans[0, slot, row]
        numbers[k, row] = -1 if at < 0 else _plain_number(data, at, spans[1, slot, row])
    codes[0, row] = _is(data, spans, 1, row, _TRAFFIC)
    codes[1, row] = (START if _is(data, spans, 2, row, _START) else
                     END if _is(data, spans, 2, row, _END) else OTHER)
    codes[2, row] = (TCP if _is(data, spans, 12, row, _TCP) else
                     UDP if _is(data, spans, 12, row, _UDP) else OTHER)
    for k, slot in enumerate((3, 15)):
        at = spans[0, slot, row]
        times[k, row] = NAT if at < 0 else slash_stamp(data, at, spans[1, slot, row])


@njit(nogil=True, cache=True)
def find_fields(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, control: np.ndarray,
                forwarded_block: bool) -> tuple:
    """The pass over one block: (kind, field count, unclosed quote, escaped, spans (2, slots,
    lines), host spans (2, lines), numbers, codes, times) per line (see the module
    docstring)."""
    n = len(starts)
    kind = np.zeros(n, np.int8)
    count = np.zeros(n, np.int32)
    unclosed = np.zeros(n, np.bool_)
    escaped = np.zeros(n, np.bool_)
    spans = np.full((2, len(FIELDS), n), -1, np.int64)
    host = np.full((2, n), -1, np.int64)
    numbers = np.full((len(_NUMBER_SLOTS), n), -1, np.int64)
    codes = np.zeros((3, n), np.int8)
    times = np.full((2, n), NAT, np.int64)
    for row in range(n):
        if control[row]:
            continue
        at, end = starts[row], ends[row]
        body, layout = -1, _STANDARD_SLOTS
        if forwarded_block:
            seen, body = _forwarder_body(data, at, end)
            if seen >= 0:
                layout = _FORWARDER_SLOTS
                if body < 0:
                    kind[row] = FORWARDED_NO_CSV
                    continue
                kind[row] = FORWARDED
                host[0, row], host[1, row] = forwarder_host(data, at, body)
        if kind[row] == NOT_PAN:
            body = _csv_start(data, at, end)
            if body < 0:
                continue
            kind[row] = SYSLOG_CSV
        k, position = body, 0
        while True:
            value, value_end, k, raw = csv_field(data, k, end)
            if k == UNCLOSED_QUOTE:
                unclosed[row] = True
                break
            if position < len(layout) and layout[position] >= 0:
                slot = layout[position]
                spans[0, slot, row], spans[1, slot, row] = value, value_end
                escaped[row] |= raw
            position += 1
            if k == LAST_FIELD:
                break
        count[row] = position
        if not unclosed[row] and not escaped[row]:
            read_row(data, spans, row, numbers, codes, times)
    return kind, count, unclosed, escaped, spans, host, numbers, codes, times


@njit(nogil=True, cache=True)
def unescape(work: np.ndarray, rows: np.ndarray, spans: np.ndarray, numbers: np.ndarray,
             codes: np.ndarray, times: np.ndarray) -> None:
    """Write the escaped values of ``rows`` into ``work`` (a copy of the block), then read those
    rows' numbers, codes and stamps from them."""
    for row in rows:
        for slot in range(spans.shape[1]):
            at, end = spans[0, slot, row], spans[1, slot, row]
            if at >= 0 and end > at and work[at] == 34:
                spans[1, slot, row] = csv_unescape(work, at, end)
        read_row(work, spans, row, numbers, codes, times)
