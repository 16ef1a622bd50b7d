"""Syslog headers read in two compiled passes, shape by shape (the grammar is :mod:`.headers`).

1. :func:`_shape_codes` gives each header its *shape* (the header with every digit masked to
   ``0``), comparing 8 bytes at a time (:func:`.bytescan.word_at`, digits masked in the word):
   a header equal to a recent one (looked up by its length and last bytes) takes that one's
   shape, or is read no more if its bytes are the same (the same second on the same device);
   the others are interned (:func:`.columns.intern`) in a per-block table of masked texts.
2. Python parses each distinct shape once (:func:`.headers.parse_shape`, cached) and lays its
   character spans out as byte positions in one integer row (:func:`_layout`).
3. :func:`_read_rows` reads every header's numbers in place at its shape's positions, checks
   them as the grammar's rules say (:data:`.headers.INVALID_STAMP`,
   :data:`.headers.INVALID_OFFSET`), and gives the naive local time, the zone code and the
   device; two-stamp headers also give the pair of stamps that measures the relay-minus-device
   offset, interned so that the zone conversion (:func:`.zones.localize`, IANA rules) runs once
   per distinct pair, not per line (:func:`_measure`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numba import njit

from .bytescan import civil_days, word_at
from .columns import intern, new_table, strings
from .headers import (
    INVALID_OFFSET,
    INVALID_STAMP,
    MAX_HEAD,
    MAX_OFFSET_MINUTES,
    MAX_YEAR,
    MIN_YEAR,
    YEARLESS_BASE,
    StampShape,
    parse_shape,
)
from .zones import ZONE_DEVICE, ZONE_RELAY, Zone, localize

#: a row's status: read, or why it is rejected (the shape's own error, or a value out of range)
OK, SHAPE_ERROR, BAD_STAMP, BAD_OFFSET = range(4)

# One stamp's layout: byte offsets (begin, end) from the header's start, -1 where absent.
(_MONTH, _MONTH_B, _MONTH_E, _DAY_B, _DAY_E, _HOUR_B, _HOUR_E, _MINUTE_B, _MINUTE_E,
 _SECOND_B, _SECOND_E, _YEAR_B, _YEAR_E, _FRACTION_B, _FRACTION_E, _ZONE_KIND, _ZONE,
 _ZONE_H_B, _ZONE_H_E, _ZONE_M_B, _ZONE_M_E) = range(21)
_STAMP_SIZE = 21
#: a stamp's zone: none (the role's user zone), minutes east named by letters, a +-HH:MM offset
_NO_ZONE, _NAMED_ZONE, _OFFSET_ZONE = range(3)
# One shape's layout: the dating stamp, the relay's stamp, then these.
_DATING, _RELAY = 0, _STAMP_SIZE
_HAS_DATING, _HAS_RELAY, _DEVICE_B, _DEVICE_E, _ROLE, _ERROR = range(2 * _STAMP_SIZE,
                                                                     2 * _STAMP_SIZE + 6)
_LAYOUT_SIZE = 2 * _STAMP_SIZE + 6

NAT = np.iinfo(np.int64).min
_ZERO, _NINE = 48, 57
#: a header of more bytes than this is longer than MAX_HEAD characters whatever its text (a
#: UTF-8 character has at most 4 bytes): it is not parsed (nor cached) for its error
_LONGEST = 4 * MAX_HEAD
_TOO_LONG = b"0" * (MAX_HEAD + 1)
_DAY_NS = 86_400 * 10**9
_SECOND_NS = 10**9
_HALF_YEAR_NS = 182 * 86_400 * 10**9
#: the fields of a two-stamp pair, interned per block: device code, the device stamp's naive
#: ns and zone code, the relay stamp's naive ns and zone code, whether the relay stamp is
#: year-less (then it may belong to the neighbouring year, :func:`_measure`)
_PAIR_FIELDS = 6
#: recently seen values (shapes, device names, pairs) are looked up by a slot of this many
#: before the hash table: most lines repeat one of a few recent values
_RECENT_BITS = 6
_RECENT = 1 << _RECENT_BITS

_DIGIT_HIGH = np.uint64(0x3030303030303030)
_LOW7 = np.uint64(0x7F7F7F7F7F7F7F7F)
_PLUS_118 = np.uint64(0x7676767676767676)
_HIGH = np.uint64(0x8080808080808080)


@njit(nogil=True, cache=True, inline="always")
def _masked_word(word: np.uint64) -> np.uint64:
    """``word`` with each ASCII digit byte made ``0``: a byte is a digit when XOR 0x30 leaves
    it below 10 (tested on all eight bytes at once, without a carry between them)."""
    y = word ^ _DIGIT_HIGH
    ten_or_more = (((y & _LOW7) + _PLUS_118) | y) & _HIGH
    digits = (~ten_or_more & _HIGH) >> np.uint64(7)
    return word & ~(digits * np.uint64(0x0F))


@njit(nogil=True, cache=True, inline="always")
def _same_shape(data: np.ndarray, at: int, masked: np.ndarray, seen: int, length: int) -> bool:
    """``data[at:at + length]`` with its digits masked equals ``masked[seen:seen + length]``
    (word by word; a text of 8 bytes or more ends on a word that overlaps the one before)."""
    if length < 8:
        for k in range(length):
            byte = data[at + k]
            if (_ZERO if _ZERO <= byte <= _NINE else byte) != masked[seen + k]:
                return False
        return True
    k = 0
    while True:
        if _masked_word(word_at(data, at + k)) != word_at(masked, seen + k):
            return False
        if k == length - 8:
            return True
        k = min(k + 8, length - 8)


@njit(nogil=True, cache=True, inline="always")
def _same_text(data: np.ndarray, a: int, b: int, length: int) -> bool:
    """``data[a:a + length] == data[b:b + length]``, word by word as :func:`_same_shape`."""
    if length < 8:
        for k in range(length):  # noqa: SIM110 (a generator does not compile)
            if data[a + k] != data[b + k]:
                return False
        return True
    k = 0
    while True:
        if word_at(data, a + k) != word_at(data, b + k):
            return False
        if k == length - 8:
            return True
        k = min(k + 8, length - 8)


@njit(nogil=True, cache=True, inline="always")
def _tail(data: np.ndarray, at: int, length: int) -> np.uint64:
    """The last 8 bytes of ``data[at:at + length]`` (0 when shorter)."""
    return word_at(data, at + length - 8) if length >= 8 else np.uint64(0)


@njit(nogil=True, cache=True, inline="always")
def _slot(length: int, tail: np.uint64) -> int:
    """A text's place among the recent values: by its length and its last 8 bytes (where
    host names that differ usually differ: "fw-east: ", "fw-west: ")."""
    mixed = (np.uint64(length) ^ tail) * np.uint64(0x9E3779B97F4A7C15)
    return np.int64(mixed >> np.uint64(64 - _RECENT_BITS))


@njit(nogil=True, cache=True)
def _shape_codes(data: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(shape code per header, an earlier header with the same bytes or -1, the distinct
    masked headers' bytes, their spans (2, k)). A header equal to a recent one of its length
    (the same second on the same device) is found by one comparison and then read only once."""
    n = len(starts)
    total = 0
    for i in range(n):
        total += ends[i] - starts[i]
    masked = np.empty(total, np.uint8)
    slots, spans, hashes = new_table(n)
    codes = np.empty(n, np.int32)
    same_as = np.full(n, -1, np.int64)
    recent_shape = np.full(_RECENT, -1, np.int64)  # by _slot
    recent_head = np.full(_RECENT, -1, np.int64)  # by _slot
    count, cursor = 0, 0
    for i in range(n):
        b, length = starts[i], ends[i] - starts[i]
        slot = _slot(length, _masked_word(_tail(data, b, length)))
        j = recent_head[slot]
        if j >= 0 and ends[j] - starts[j] == length and _same_text(data, starts[j], b, length):
            codes[i] = codes[j]
            same_as[i] = j
            continue
        recent_head[slot] = i
        code = recent_shape[slot]
        if (code >= 0 and spans[1, code] - spans[0, code] == length
                and _same_shape(data, b, masked, spans[0, code], length)):
            codes[i] = code
            continue
        for k in range(length):
            byte = data[b + k]
            masked[cursor + k] = _ZERO if _ZERO <= byte <= _NINE else byte
        code, slots, grown = intern(masked, cursor, cursor + length, slots, spans, hashes, count)
        if grown > count:  # a new shape keeps its bytes
            cursor += length
        count = grown
        codes[i] = code
        recent_shape[slot] = code
    return codes, same_as, masked[:cursor], spans[:, :count]


@njit(nogil=True, cache=True, inline="always")
def _number(data: np.ndarray, at: int, end: int) -> int:
    value = 0
    for k in range(at, end):
        value = value * 10 + data[k] - _ZERO
    return value


@njit(nogil=True, cache=True, inline="always")
def _field(data: np.ndarray, base: int, layout: np.ndarray, at: int) -> int:
    """The number at the layout's span ``at`` (-1 where the shape has none)."""
    begin = layout[at]
    if begin < 0:
        return -1
    return _number(data, base + begin, base + layout[at + 1])


@njit(nogil=True, cache=True, inline="always")
def _stamp(data: np.ndarray, base: int, layout: np.ndarray, stamp: int,
           ) -> tuple[int, int, int, int, int, int, int]:
    """The stamp's (year (-1: none), month, day, hour, minute, second, fraction in ns)."""
    month = layout[stamp + _MONTH]
    if month == 0:
        month = _field(data, base, layout, stamp + _MONTH_B)
    fraction = 0
    begin = layout[stamp + _FRACTION_B]
    if begin >= 0:
        end = layout[stamp + _FRACTION_E]
        fraction = _number(data, base + begin, base + end) * 10 ** (9 - (end - begin))
    return (_field(data, base, layout, stamp + _YEAR_B), month,
            _field(data, base, layout, stamp + _DAY_B), _field(data, base, layout, stamp + _HOUR_B),
            _field(data, base, layout, stamp + _MINUTE_B),
            _field(data, base, layout, stamp + _SECOND_B), fraction)


@njit(nogil=True, cache=True, inline="always")
def _naive(year: int, month: int, day: int, hour: int, minute: int, second: int,
           fraction: int) -> int:
    """Naive local ns since 1970; NaT when a field is out of range (hour 24, 30 February, a
    year outside MIN_YEAR..MAX_YEAR); second 60 (a leap second) counts as 59."""
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59
            and second <= 60 and MIN_YEAR <= year <= MAX_YEAR):
        return NAT
    days = civil_days(year, month, day)
    if day > 28 and days >= civil_days(year + (month == 12), month % 12 + 1, 1):
        return NAT
    return days * _DAY_NS + (hour * 3600 + minute * 60 + min(second, 59)) * _SECOND_NS + fraction


@njit(nogil=True, cache=True, inline="always")
def _zone(data: np.ndarray, base: int, layout: np.ndarray, stamp: int, role: int,
          ) -> tuple[int, bool]:
    """The stamp's zone code (its offset or named zone, else ``role``) and whether the offset
    is a real one (minutes <= 59, at most 14 hours)."""
    kind = layout[stamp + _ZONE_KIND]
    if kind == _NO_ZONE:
        return role, True
    if kind == _NAMED_ZONE:
        return layout[stamp + _ZONE], True
    minutes = _field(data, base, layout, stamp + _ZONE_M_B)
    zone = layout[stamp + _ZONE] * (_field(data, base, layout, stamp + _ZONE_H_B) * 60 + minutes)
    return zone, minutes <= 59 and abs(zone) <= MAX_OFFSET_MINUTES


@njit(nogil=True, cache=True)
def _read_rows(data: np.ndarray, starts: np.ndarray, shape: np.ndarray, same_as: np.ndarray,
               layouts: np.ndarray, year_guess: int,
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                          np.ndarray, np.ndarray]:
    """Each header read at its shape's layout: (status, naive local ns, zone code, year-less,
    device code, device names' spans (2, d), pair code (-1: no offset measured), pairs (p, 6))."""
    n = len(starts)
    status = np.zeros(n, np.int8)
    local = np.full(n, NAT, np.int64)
    zone = np.full(n, ZONE_DEVICE, np.int16)
    yearless = np.zeros(n, np.bool_)
    device = np.full(n, -1, np.int32)
    pair = np.full(n, -1, np.int32)
    slots, names, hashes = new_table(n)
    recent_name = np.full(_RECENT, -1, np.int64)  # by _slot
    named = 0
    pairs = np.empty((n, _PAIR_FIELDS), np.int64)
    pair_slots = np.full(1024, -1, np.int64)
    recent_pair = np.full(_RECENT, -1, np.int64)  # by device
    paired = 0
    key = np.empty(_PAIR_FIELDS, np.int64)
    for i in range(n):
        j = same_as[i]
        if j >= 0:  # the same header as row j
            status[i], local[i], zone[i], yearless[i] = status[j], local[j], zone[j], yearless[j]
            device[i], pair[i] = device[j], pair[j]
            continue
        layout = layouts[shape[i]]
        base = starts[i]
        if layout[_ERROR]:
            status[i] = SHAPE_ERROR
            continue
        name = -1
        if layout[_DEVICE_B] >= 0:
            b, e = base + layout[_DEVICE_B], base + layout[_DEVICE_E]
            slot = _slot(e - b, _tail(data, b, e - b))
            name = recent_name[slot]
            if name < 0 or names[1, name] - names[0, name] != e - b or not _same_text(
                    data, names[0, name], b, e - b):
                name, slots, named = intern(data, b, e, slots, names, hashes, named)
                recent_name[slot] = name
            device[i] = name
        if not layout[_HAS_DATING]:
            continue
        year, month, day, hour, minute, second, fraction = _stamp(data, base, layout, _DATING)
        naive = _naive(year if year >= 0 else YEARLESS_BASE, month, day, hour, minute, second,
                       fraction)
        if naive == NAT:
            status[i] = BAD_STAMP
            continue
        code, real = _zone(data, base, layout, _DATING, layout[_ROLE])
        if not real:
            status[i] = BAD_OFFSET
            continue
        local[i], zone[i], yearless[i] = naive, code, year < 0
        if not layout[_HAS_RELAY]:
            continue
        relay_year, r_month, r_day, r_hour, r_minute, r_second, r_fraction = _stamp(
            data, base, layout, _RELAY)
        if year < 0:  # the device stamp borrows the relay's year, else the guess
            year = relay_year if relay_year >= 0 else year_guess
            naive = _naive(year, month, day, hour, minute, second, fraction)
        relay = _naive(relay_year if relay_year >= 0 else year, r_month, r_day, r_hour,
                       r_minute, r_second, r_fraction)
        if naive == NAT or relay == NAT:
            continue  # no offset: one of the clocks has no time in that year
        key[0], key[1], key[2], key[3] = name, naive, code, relay
        key[4] = _zone(data, base, layout, _RELAY, ZONE_RELAY)[0]
        key[5] = relay_year < 0
        at = recent_pair[name % _RECENT]
        if at < 0 or not _same_key(pairs, at, key):
            at, pair_slots, paired = _intern_key(key, pairs, pair_slots, paired)
            recent_pair[name % _RECENT] = at
        pair[i] = at
    return status, local, zone, yearless, device, names[:, :named], pair, pairs[:paired]


@njit(nogil=True, cache=True, inline="always")
def _same_key(keys: np.ndarray, at: int, key: np.ndarray) -> bool:
    for f in range(len(key)):  # noqa: SIM110 (a generator does not compile)
        if keys[at, f] != key[f]:
            return False
    return True


@njit(nogil=True, cache=True, inline="always")
def _key_slot(key: np.ndarray, mask: int) -> int:
    h = np.uint64(0xCBF29CE484222325)
    for value in key:
        h = (h ^ np.uint64(value)) * np.uint64(0x100000001B3)
        h ^= h >> np.uint64(29)
    return np.int64(h & np.uint64(mask))


@njit(nogil=True, cache=True)
def _intern_key(key: np.ndarray, keys: np.ndarray, slots: np.ndarray, count: int,
                ) -> tuple[int, np.ndarray, int]:
    """The code of the row ``key`` among the ``count`` rows of ``keys`` (added if new), as
    :func:`.columns.intern` does for text: (code, slots, count)."""
    mask = len(slots) - 1
    slot = _key_slot(key, mask)
    while slots[slot] >= 0:
        if _same_key(keys, slots[slot], key):
            return slots[slot], slots, count
        slot = (slot + 1) & mask
    slots[slot] = count
    keys[count] = key
    count += 1
    if 2 * count > len(slots):
        slots = np.full(2 * len(slots), -1, np.int64)
        mask = len(slots) - 1
        for j in range(count):
            at = _key_slot(keys[j], mask)
            while slots[at] >= 0:
                at = (at + 1) & mask
            slots[at] = j
    return count - 1, slots, count


@lru_cache(maxsize=4096)
def _layout(masked: bytes) -> tuple[np.ndarray, str | None]:
    """One shape's layout row (byte offsets of its fields; read-only: cached and shared by the
    worker threads) and its error text."""
    row = np.full(_LAYOUT_SIZE, -1, np.int64)
    error = _fill_layout(masked, row)
    row[_ERROR] = error is not None
    row.flags.writeable = False
    return row, error


def _fill_layout(masked: bytes, row: np.ndarray) -> str | None:
    text = masked.decode()
    shape = parse_shape(text)
    row[_HAS_DATING] = row[_HAS_RELAY] = 0
    if shape.error:
        return shape.error
    at = _byte_offsets(text)
    if shape.device is not None:
        row[_DEVICE_B], row[_DEVICE_E] = at[shape.device[0]], at[shape.device[1]]
    row[_ROLE] = shape.role
    for stamp, first, flag in ((shape.stamp, _DATING, _HAS_DATING),
                               (shape.relay, _RELAY, _HAS_RELAY)):
        if stamp is not None:
            row[flag] = 1
            _stamp_layout(stamp, at, row[first:first + _STAMP_SIZE])
    if not _digits_only(masked, row):
        return INVALID_STAMP  # a non-ASCII digit (say "٣") matched the grammar's \d
    return None


def _byte_offsets(text: str) -> np.ndarray:
    """The byte offset of each character position of ``text`` (and of its end) in UTF-8."""
    if text.isascii():
        return np.arange(len(text) + 1)
    return np.concatenate([[0], np.cumsum([len(c.encode()) for c in text])])


def _stamp_layout(stamp: StampShape, at: np.ndarray, out: np.ndarray) -> None:
    def put(span: tuple[int, int] | None, begin: int) -> None:
        if span is not None:
            out[begin], out[begin + 1] = at[span[0]], at[span[1]]

    if isinstance(stamp.month, int):
        out[_MONTH] = stamp.month
    else:
        out[_MONTH] = 0
        put(stamp.month, _MONTH_B)
    for span, begin in ((stamp.day, _DAY_B), (stamp.hour, _HOUR_B), (stamp.minute, _MINUTE_B),
                        (stamp.second, _SECOND_B), (stamp.year, _YEAR_B),
                        (stamp.fraction, _FRACTION_B)):
        put(span, begin)
    if stamp.zone is None:
        out[_ZONE_KIND] = _NO_ZONE
    elif isinstance(stamp.zone, int):
        out[_ZONE_KIND], out[_ZONE] = _NAMED_ZONE, stamp.zone
    else:
        sign, hours, minutes = stamp.zone
        out[_ZONE_KIND], out[_ZONE] = _OFFSET_ZONE, sign
        put(hours, _ZONE_H_B)
        put(minutes, _ZONE_M_B)


def _digits_only(masked: bytes, row: np.ndarray) -> bool:
    """Every number span of the layout holds ASCII digits (masked to ``0``)."""
    for first in (_DATING, _RELAY):
        for begin in (_MONTH_B, _DAY_B, _HOUR_B, _MINUTE_B, _SECOND_B, _YEAR_B, _FRACTION_B,
                      _ZONE_H_B, _ZONE_M_B):
            b, e = row[first + begin], row[first + begin + 1]
            if b >= 0 and masked[b:e].strip(b"0"):
                return False
    return True


@dataclass
class Heads:
    """Each connection line's header, read (arrays aligned with the lines given)."""

    #: OK, or the reject: SHAPE_ERROR (``reasons`` by shape), BAD_STAMP or BAD_OFFSET
    status: np.ndarray
    shape: np.ndarray
    shape_errors: list[str | None]
    device: np.ndarray        # int32 index into ``devices`` (-1: no device named)
    devices: list[str]
    local_ns: np.ndarray      # naive local time of the dating stamp (NaT if none)
    zone: np.ndarray          # int16 zone code (ZONE_DEVICE, ZONE_RELAY or minutes east)
    yearless: np.ndarray      # bool
    #: per line, its two-stamp pair (-1: none); per pair, relay-minus-device seconds (NaN: none)
    pair: np.ndarray
    pair_offset_s: np.ndarray
    pair_device: np.ndarray

    def reasons(self, rows: np.ndarray) -> list[str]:
        """Why each of the (rejected) ``rows`` was rejected."""
        texts = {BAD_STAMP: INVALID_STAMP, BAD_OFFSET: INVALID_OFFSET}
        return [(self.shape_errors[s] or "") if st == SHAPE_ERROR else texts[st]
                for st, s in zip(self.status[rows].tolist(), self.shape[rows].tolist(),
                                 strict=True)]

    def offsets(self, rows: np.ndarray) -> list[tuple[str | None, float, int]]:
        """(device, relay-minus-device seconds rounded to ms, lines) over the lines ``rows``."""
        pair = self.pair[rows]
        lines = np.bincount(pair[pair >= 0], minlength=len(self.pair_offset_s))
        measured = np.flatnonzero(~np.isnan(self.pair_offset_s) & (lines > 0))
        if not len(measured):
            return []
        devices: list[str | None] = [*self.devices, None]
        device = self.pair_device[measured]
        seconds = np.round(self.pair_offset_s[measured], 3)
        order = np.lexsort((seconds, device))
        device, seconds = device[order], seconds[order]
        first = np.flatnonzero(np.concatenate(
            [[True], (device[1:] != device[:-1]) | (seconds[1:] != seconds[:-1])]))
        counts = np.add.reduceat(lines[measured][order], first)
        return [(devices[d], s, c) for d, s, c in zip(
            device[first].tolist(), seconds[first].tolist(), counts.tolist(), strict=True)]


def read_heads(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, device_zone: Zone,
               relay_zone: Zone, year_guess: int) -> Heads:
    """Read the headers ``data[starts:ends]`` (see the module docstring).

    ``year_guess`` stands in for missing years when measuring the relay-minus-device offset.
    """
    shape, same_as, masked, spans = _shape_codes(data, starts, ends)
    layouts = np.empty((spans.shape[1], _LAYOUT_SIZE), np.int64)
    errors: list[str | None] = []
    for k, (b, e) in enumerate(spans.T.tolist()):
        layouts[k], error = _layout(masked[b:e].tobytes() if e - b <= _LONGEST else _TOO_LONG)
        errors.append(error)
    status, local, zone, yearless, device, names, pair, pairs = _read_rows(
        data, starts, shape, same_as, layouts, year_guess)
    devices = strings(data, names[0], names[1]).to_pylist()
    return Heads(status, shape, errors, device, devices, local, zone, yearless, pair,
                 _measure(pairs, device_zone, relay_zone), pairs[:, 0])


def _measure(pairs: np.ndarray, device_zone: Zone, relay_zone: Zone) -> np.ndarray:
    """Relay-minus-device seconds of each distinct pair of stamps. A year-less relay stamp
    more than half a year off is read in the neighbouring year (across New Year)."""
    device_utc = localize(pairs[:, 1], pairs[:, 2], device_zone, relay_zone)
    relay_codes = pairs[:, 4]
    offset = (localize(pairs[:, 3], relay_codes, device_zone, relay_zone) - device_utc
              ).astype(float)
    yearless = pairs[:, 5] == 1
    for step, wrong in ((-1, yearless & (offset > _HALF_YEAR_NS)),
                        (1, yearless & (offset < -_HALF_YEAR_NS))):
        rows = np.flatnonzero(wrong)
        if len(rows):
            moved = _year_moved(pairs[rows, 3], step)
            utc = localize(moved, relay_codes[rows], device_zone, relay_zone)
            offset[rows] = np.where(moved == NAT, np.nan, (utc - device_utc[rows]).astype(float))
    return offset / 1e9


def _year_moved(naive: np.ndarray, step: int) -> np.ndarray:
    """Naive ns moved ``step`` years (NaT where that day does not exist or the year is out of
    range: 29 February, 1969)."""
    day = naive.view("M8[ns]").astype("M8[D]")
    month = day.astype("M8[M]")
    moved_month = month + np.timedelta64(12 * step, "M")
    moved_day = moved_month.astype("M8[D]") + (day - month.astype("M8[D]"))
    year = moved_month.astype("M8[Y]").astype(np.int64) + 1970
    valid = ((moved_day.astype("M8[M]") == moved_month) & (year >= MIN_YEAR)
             & (year <= MAX_YEAR))
    time_of_day = naive - day.astype("M8[ns]").view(np.int64)
    return np.where(valid, moved_day.astype("M8[ns]").view(np.int64) + time_of_day, NAT)
