"""Out-of-range values are counted rejects with their reason, never silently wrong (issue 15, 12).

These are validation steps the compiled (numba) Cisco pass must keep: duration hours at most
``MAX_DURATION_HOURS``, stamp years within ``MIN_YEAR..MAX_YEAR``, zone offsets within +-14:00
with minutes 00-59.
"""

from __future__ import annotations

import pandas as pd
import pytest

from kit.firewall.cisco import DURATION_TOO_LONG, MAX_DURATION_HOURS
from kit.firewall.headers import INVALID_OFFSET, INVALID_STAMP

from .helpers import read

LINE = ("{stamp} fw1 : %ASA-6-302014: Teardown TCP connection 7 for outside:192.0.2.1/443 to "
        "inside:10.0.0.5/40000 duration {duration} bytes 1234 TCP FINs")
STAMP = "Aug 28 2023 15:35:00"


def one(stamp: str = STAMP, duration: str = "0:00:34") -> tuple[pd.DataFrame, list[str]]:
    good = LINE.format(stamp=STAMP, duration="0:00:01")
    frame = read(f"{good}\n{LINE.format(stamp=stamp, duration=duration)}\n")
    report = frame.attrs["load_report"]
    return frame, [r.reason.split(": '%ASA")[0] for r in report.rejects]  # without the quote


@pytest.mark.parametrize("duration", ["99999999:59:59", "2562048:00:00", "100001:00:00"])
def test_an_overflowing_duration_is_a_counted_reject(duration: str) -> None:
    frame, reasons = one(duration=duration)
    assert len(frame) == 1 and frame.duration.min() >= pd.Timedelta(0)
    assert reasons == [f"302014: {DURATION_TOO_LONG}"]
    assert "100,000 hours" in DURATION_TOO_LONG


def test_the_longest_kept_duration_is_exact() -> None:
    frame, reasons = one(duration=f"{MAX_DURATION_HOURS}:59:59")
    assert reasons == []
    assert frame.duration.iloc[1] == pd.Timedelta(hours=MAX_DURATION_HOURS, minutes=59,
                                                  seconds=59)


@pytest.mark.parametrize("stamp", ["Apr 12 2999 10:00:00", "Apr 12 2262 10:00:00",
                                   "Apr 12 1969 10:00:00"])
def test_a_stamp_year_out_of_range_is_a_counted_reject(stamp: str) -> None:
    frame, reasons = one(stamp=stamp)
    assert len(frame) == 1 and frame.time.dt.year.tolist() == [2023]  # no 1830 or 1677 dates
    assert reasons == [INVALID_STAMP]
    assert "a year outside 1970-2200" in INVALID_STAMP


@pytest.mark.parametrize("offset", ["+99:99", "+15:00", "-12:60", "+1460"])
def test_an_offset_out_of_range_is_a_counted_reject(offset: str) -> None:
    frame, reasons = one(stamp=f"2023-08-28T15:35:00{offset}")
    assert len(frame) == 1
    assert reasons == [INVALID_OFFSET]


@pytest.mark.parametrize(("offset", "utc"), [("+14:00", "2023-08-28 01:35:00"),
                                             ("-12:00", "2023-08-29 03:35:00")])
def test_real_extreme_offsets_are_kept(offset: str, utc: str) -> None:
    frame, reasons = one(stamp=f"2023-08-28T15:35:00{offset}")
    assert reasons == []
    assert frame.time.iloc[1] == pd.Timestamp(utc, tz="UTC")
