"""The compiled passes that read syslog headers shape by shape (:mod:`.header_reader` runs them).

* :func:`shape_codes` gives each header its *shape* (the header with every digit masked to
  ``0``), comparing 8 bytes at a time (:func:`.bytescan.word_at`, digits masked in the word): a
  header equal to a recent one (looked up by its length and last bytes) takes that one's shape,
  or is read no more if its bytes are the same (the same second on the same device); the others
  are interned (:func:`.columns.intern`) in a per-block table of masked texts.
* :func:`read_rows` reads every header's numbers in place at its shape's *layout* (one integer
  row per shape: the byte positions of its fields, laid out below), checks them as the
  grammar's rules say (:mod:`.headers`: :data:`~.headers.INVALID_STAMP`,
  :data:`~.headers.INVALID_OFFSET`), and gives the naive local time, the zone code and the
  device; a two-stamp header also gives the pair of stamps that measures the relay-minus-device
  offset, interned so that the zone conversion runs once per distinct pair, not per line.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .bytescan import civil_days, word_at
from .columns import intern, new_table
from .headers import MAX_OFFSET_MINUTES, MAX_YEAR, MIN_YEAR, YEARLESS_BASE
from .zones import ZONE_DEVICE, ZONE_RELAY

#: a row's status: read, or why it is rejected (the shape's own error, or a value out of range)
OK, SHAPE_ERROR, BAD_STAMP, BAD_OFFSET = range(4)

# One stamp's layout: byte offsets (begin, end) from the header's start, -1 where absent;
# MONTH is the month when the shape names it by letters (0: read it at MONTH_B).
(MONTH, MONTH_B, MONTH_E, DAY_B, DAY_E, HOUR_B, HOUR_E, MINUTE_B, MINUTE_E,
 SECOND_B, SECOND_E, YEAR_B, YEAR_E, FRACTION_B, FRACTION_E, ZONE_KIND, ZONE,
 ZONE_H_B, ZONE_H_E, ZONE_M_B, ZONE_M_E) = range(21)
STAMP_SIZE = 21
#: a stamp's zone: none (the role's user zone), minutes east named by letters, a +-HH:MM offset
NO_ZONE, NAMED_ZONE, OFFSET_ZONE = range(3)
# One shape's layout: the dating stamp, the relay's stamp, then these.
DATING, RELAY = 0, STAMP_SIZE
HAS_DATING, HAS_RELAY, DEVICE_B, DEVICE_E, ROLE, ERROR = range(2 * STAMP_SIZE,
                                                                     2 * STAMP_SIZE + 6)
LAYOUT_SIZE = 2 * STAMP_SIZE + 6

NAT = np.iinfo(np.int64).min
_ZERO, _NINE = 48, 57
_DAY_NS = 86_400 * 10**9
_SECOND_NS = 10**9
#: the fields of a two-stamp pair, interned per block: device code, the device stamp's naive
#: ns and zone code, the relay stamp's naive ns and zone code, whether the relay stamp is
#: year-less (then it may belong to the neighbouring year, :func:`.header_reader.offsets`)
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
def shape_codes(data: np.ndarray, starts: np.ndarray, ends: np.ndarray,
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
    month = layout[stamp + MONTH]
    if month == 0:
        month = _field(data, base, layout, stamp + MONTH_B)
    fraction = 0
    begin = layout[stamp + FRACTION_B]
    if begin >= 0:
        end = layout[stamp + FRACTION_E]
        fraction = _number(data, base + begin, base + end) * 10 ** (9 - (end - begin))
    return (_field(data, base, layout, stamp + YEAR_B), month,
            _field(data, base, layout, stamp + DAY_B), _field(data, base, layout, stamp + HOUR_B),
            _field(data, base, layout, stamp + MINUTE_B),
            _field(data, base, layout, stamp + SECOND_B), fraction)


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
    kind = layout[stamp + ZONE_KIND]
    if kind == NO_ZONE:
        return role, True
    if kind == NAMED_ZONE:
        return layout[stamp + ZONE], True
    minutes = _field(data, base, layout, stamp + ZONE_M_B)
    zone = layout[stamp + ZONE] * (_field(data, base, layout, stamp + ZONE_H_B) * 60 + minutes)
    return zone, minutes <= 59 and abs(zone) <= MAX_OFFSET_MINUTES


@njit(nogil=True, cache=True)
def read_rows(data: np.ndarray, starts: np.ndarray, shape: np.ndarray, same_as: np.ndarray,
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
        if layout[ERROR]:
            status[i] = SHAPE_ERROR
            continue
        name = -1
        if layout[DEVICE_B] >= 0:
            b, e = base + layout[DEVICE_B], base + layout[DEVICE_E]
            slot = _slot(e - b, _tail(data, b, e - b))
            name = recent_name[slot]
            if name < 0 or names[1, name] - names[0, name] != e - b or not _same_text(
                    data, names[0, name], b, e - b):
                name, slots, named = intern(data, b, e, slots, names, hashes, named)
                recent_name[slot] = name
            device[i] = name
        if not layout[HAS_DATING]:
            continue
        year, month, day, hour, minute, second, fraction = _stamp(data, base, layout, DATING)
        naive = _naive(year if year >= 0 else YEARLESS_BASE, month, day, hour, minute, second,
                       fraction)
        if naive == NAT:
            status[i] = BAD_STAMP
            continue
        code, real = _zone(data, base, layout, DATING, layout[ROLE])
        if not real:
            status[i] = BAD_OFFSET
            continue
        local[i], zone[i], yearless[i] = naive, code, year < 0
        if not layout[HAS_RELAY]:
            continue
        relay_year, r_month, r_day, r_hour, r_minute, r_second, r_fraction = _stamp(
            data, base, layout, RELAY)
        if year < 0:  # the device stamp borrows the relay's year, else the guess
            year = relay_year if relay_year >= 0 else year_guess
            naive = _naive(year, month, day, hour, minute, second, fraction)
        relay = _naive(relay_year if relay_year >= 0 else year, r_month, r_day, r_hour,
                       r_minute, r_second, r_fraction)
        if naive == NAT or relay == NAT:
            continue  # no offset: one of the clocks has no time in that year
        key[0], key[1], key[2], key[3] = name, naive, code, relay
        key[4] = _zone(data, base, layout, RELAY, ZONE_RELAY)[0]
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
