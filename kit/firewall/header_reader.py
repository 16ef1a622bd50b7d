"""Syslog headers of a block's connection lines, read shape by shape (the grammar is
:mod:`.headers`, the compiled passes :mod:`.header_fields`).

1. :func:`.header_fields.shape_codes` gives each header its shape (digits masked to ``0``);
2. each distinct shape is parsed once (:func:`.headers.parse_shape`, cached) and its character
   spans laid out as byte positions in one integer row (:func:`_layout`);
3. :func:`.header_fields.read_rows` reads and checks every header's numbers at its shape's
   positions; the relay-minus-device offsets are measured once per distinct pair of stamps
   (:func:`_measure`: the IANA zone rules of :func:`.zones.localize` on a few thousand values,
   not on every line).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .columns import strings
from .header_fields import (
    BAD_OFFSET,
    BAD_STAMP,
    DATING,
    DAY_B,
    DEVICE_B,
    DEVICE_E,
    ERROR,
    FRACTION_B,
    HAS_DATING,
    HAS_RELAY,
    HOUR_B,
    LAYOUT_SIZE,
    MINUTE_B,
    MONTH,
    MONTH_B,
    NAMED_ZONE,
    NAT,
    NO_ZONE,
    OFFSET_ZONE,
    RELAY,
    ROLE,
    SECOND_B,
    SHAPE_ERROR,
    STAMP_SIZE,
    YEAR_B,
    ZONE,
    ZONE_H_B,
    ZONE_KIND,
    ZONE_M_B,
    read_rows,
    shape_codes,
)
from .headers import (
    INVALID_OFFSET,
    INVALID_STAMP,
    MAX_HEAD,
    MAX_YEAR,
    MIN_YEAR,
    StampShape,
    parse_shape,
)
from .zones import Zone, localize

#: a header of more bytes than this is longer than MAX_HEAD characters whatever its text (a
#: UTF-8 character has at most 4 bytes): it is not parsed (nor cached) for its error
_LONGEST = 4 * MAX_HEAD
_TOO_LONG = b"0" * (MAX_HEAD + 1)
_HALF_YEAR_NS = 182 * 86_400 * 10**9


@lru_cache(maxsize=4096)
def _layout(masked: bytes) -> tuple[np.ndarray, str | None]:
    """One shape's layout row (byte offsets of its fields; read-only: cached and shared by the
    worker threads) and its error text."""
    row = np.full(LAYOUT_SIZE, -1, np.int64)
    error = _fill_layout(masked, row)
    row[ERROR] = error is not None
    row.flags.writeable = False
    return row, error


def _fill_layout(masked: bytes, row: np.ndarray) -> str | None:
    text = masked.decode()
    shape = parse_shape(text)
    row[HAS_DATING] = row[HAS_RELAY] = 0
    if shape.error:
        return shape.error
    at = _byte_offsets(text)
    if shape.device is not None:
        row[DEVICE_B], row[DEVICE_E] = at[shape.device[0]], at[shape.device[1]]
    row[ROLE] = shape.role
    for stamp, first, flag in ((shape.stamp, DATING, HAS_DATING),
                               (shape.relay, RELAY, HAS_RELAY)):
        if stamp is not None:
            row[flag] = 1
            _stamp_layout(stamp, at, row[first:first + STAMP_SIZE])
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
        out[MONTH] = stamp.month
    else:
        out[MONTH] = 0
        put(stamp.month, MONTH_B)
    for span, begin in ((stamp.day, DAY_B), (stamp.hour, HOUR_B), (stamp.minute, MINUTE_B),
                        (stamp.second, SECOND_B), (stamp.year, YEAR_B),
                        (stamp.fraction, FRACTION_B)):
        put(span, begin)
    if stamp.zone is None:
        out[ZONE_KIND] = NO_ZONE
    elif isinstance(stamp.zone, int):
        out[ZONE_KIND], out[ZONE] = NAMED_ZONE, stamp.zone
    else:
        sign, hours, minutes = stamp.zone
        out[ZONE_KIND], out[ZONE] = OFFSET_ZONE, sign
        put(hours, ZONE_H_B)
        put(minutes, ZONE_M_B)


def _digits_only(masked: bytes, row: np.ndarray) -> bool:
    """Every number span of the layout holds ASCII digits (masked to ``0``)."""
    for first in (DATING, RELAY):
        for begin in (MONTH_B, DAY_B, HOUR_B, MINUTE_B, SECOND_B, YEAR_B, FRACTION_B,
                      ZONE_H_B, ZONE_M_B):
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
    shape, same_as, masked, spans = shape_codes(data, starts, ends)
    layouts = np.empty((spans.shape[1], LAYOUT_SIZE), np.int64)
    errors: list[str | None] = []
    for k, (b, e) in enumerate(spans.T.tolist()):
        layouts[k], error = _layout(masked[b:e].tobytes() if e - b <= _LONGEST else _TOO_LONG)
        errors.append(error)
    status, local, zone, yearless, device, names, pair, pairs = read_rows(
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
