"""Settling the time of each row: the year of year-less stamps, then the zone, then UTC.

Stamps arrive as naive local times (year-less ones placed in :data:`YEARLESS_BASE`) with a zone
code per row (:mod:`.headers`). Once a whole file is read:

* year-less stamps take ``year`` for the file's first one, else the file's modification year (or
  today's, for buffers) chosen so that no stamp lies after the modification time; they roll over
  to the next year whenever the months go back, December -> January (a backwards step of more
  than six months; a stamp a little out of order across New Year stays in its own year);
* each row is converted to UTC with the zone its stamp named, else the device's (``tz``) or the
  relay's (``relay_tz``) zone.

The relay-minus-device clock offsets of two-stamp lines are summarised per device as a median.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from .headers import YEARLESS_BASE
from .zones import Zone, localize

NAT = np.iinfo(np.int64).min
_DAY_NS = 86_400 * 10**9


def known_times(local_ns: np.ndarray, zone: np.ndarray, yearless: np.ndarray, *,
                device_zone: Zone, relay_zone: Zone) -> np.ndarray:
    """UTC int64 ns of the rows whose stamp has its year; year-less rows keep their local
    time (in YEARLESS_BASE) until :func:`settle_times` has the whole file."""
    times = np.array(local_ns, dtype=np.int64)
    rows = np.flatnonzero((times != NAT) & ~yearless)
    times[rows] = localize(times[rows], zone[rows], device_zone, relay_zone)
    return times


def settle_times(times: np.ndarray, zone: np.ndarray, yearless: np.ndarray, *,
                 year: int | None, modified: datetime | None, device_zone: Zone,
                 relay_zone: Zone) -> np.ndarray:
    """UTC int64 ns for one file's rows, in file order (NaT where a row has no usable stamp):
    ``times`` from :func:`known_times`, whose year-less rows are settled here."""
    rows = np.flatnonzero(yearless & (times != NAT))
    if len(rows):
        local = _place_years(times[rows], year, modified)
        times[rows] = localize(local, zone[rows], device_zone, relay_zone)
    return times


def _place_years(based: np.ndarray, year: int | None, modified: datetime | None) -> np.ndarray:
    """Year-less local times (in YEARLESS_BASE, file order) -> the same times in their years."""
    offset = year_turns(yearless_months(based))
    first_year = year if year is not None else year_of_first(based[-1], int(offset[-1]), modified)
    return in_years(based, first_year + offset)


def yearless_months(based: np.ndarray) -> np.ndarray:
    """Month (0-11) of each year-less local time."""
    month_start = based.view("M8[ns]").astype("M8[M]")
    return (month_start - np.datetime64(f"{YEARLESS_BASE}-01", "M")).astype(np.int64)


def year_turns(month: np.ndarray) -> np.ndarray:
    """Years passed since the first stamp: +1 each time the months go back (Dec -> Jan)."""
    return np.floor(np.unwrap(month.astype(float), period=12) / 12).astype(np.int64)


def in_years(based: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Year-less local times moved into ``years`` (NaT for Feb 29 of a common year)."""
    stamp = based.view("M8[ns]")
    month_start = stamp.astype("M8[M]")
    month = (month_start - np.datetime64(f"{YEARLESS_BASE}-01", "M")).astype(np.int64)
    day = (stamp.astype("M8[D]") - month_start.astype("M8[D]")).astype(np.int64)
    time_of_day = based - stamp.astype("M8[D]").astype("M8[ns]").view(np.int64)
    months = (years - 1970) * 12 + month
    start = months.astype("M8[M]").astype("M8[D]")
    days = start + day.astype("m8[D]")
    valid = days.astype("M8[M]") == months.astype("M8[M]")  # Feb 29 of a common year is not
    result = days.astype("M8[ns]").view(np.int64) + time_of_day
    return np.where(valid, result, NAT)


def year_of_first(last_based: int, last_offset: int, modified: datetime | None) -> int:
    """The first year-less stamp's year such that the last one is not after ``modified``."""
    reference = (modified or datetime.now(UTC)).astimezone(UTC)
    moment = datetime(YEARLESS_BASE, reference.month, reference.day, reference.hour,
                      reference.minute, reference.second)
    reference_based = pd.Timestamp(moment).value
    last_year = reference.year if last_based <= reference_based + _DAY_NS else reference.year - 1
    return last_year - last_offset


class ClockOffsets:
    """Relay-minus-device offsets seen per device (seconds -> lines), summarised as medians."""

    def __init__(self) -> None:
        self._seen: dict[str, Counter[float]] = {}

    def add(self, device: str | None, seconds: float, lines: int) -> None:
        self._seen.setdefault(device or "<unnamed>", Counter())[round(seconds, 3)] += lines

    def medians(self) -> dict[str, pd.Timedelta]:
        """Per device, the median offset over all two-stamp lines."""
        out = {}
        for device, counts in self._seen.items():
            values = np.array(sorted(counts))
            weights = np.array([counts[v] for v in values])
            cumulative = np.cumsum(weights)
            median = values[np.searchsorted(cumulative, cumulative[-1] / 2)]
            out[device] = pd.Timedelta(seconds=float(median))
        return out
