"""kit.concurrency: the sweep over start and end events."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from analysis_frames import T0, at
from hypothesis import given, settings
from hypothesis import strategies as st

from kit.analysis import concurrency


def spans(*pairs):
    return pd.DataFrame({"start": [at(a) for a, _ in pairs], "end": [at(b) for _, b in pairs]})


def test_peak_mean_and_the_sampled_counts():
    c = concurrency(spans((0, 10), (5, 15), (10, 20)), freq="5s")
    assert c.peak == 2 and c.peak_time == at(5)
    assert c.mean == (10 + 10 + 10) / 20
    assert c.open.to_dict() == {at(0): 1, at(5): 2, at(10): 2, at(15): 1, at(20): 0}


def test_the_description_gives_the_peak_time_in_the_display_zone():
    c = concurrency(spans((0, 10), (5, 15), (10, 20)), freq="5s")
    utc = f"{at(5):%Y-%m-%d %H:%M:%S}"
    assert str(c) == f"peak 2 open connections at {utc} UTC, mean 1.5"
    berlin = f"{at(5).tz_convert('Europe/Berlin'):%Y-%m-%d %H:%M:%S %Z}"
    assert c.describe("Europe/Berlin") == f"peak 2 open connections at {berlin}, mean 1.5"
    assert str(concurrency(spans())) == "peak 0 open connections at n/a, mean 0.0"


def test_an_end_and_a_start_at_the_same_instant_do_not_overlap():
    assert concurrency(spans((0, 10), (10, 20))).peak == 1


def test_the_window_clips_the_intervals():
    c = concurrency(spans((0, 100), (50, 60)), start=at(40), end=at(80), freq="10s")
    assert c.peak == 2 and c.mean == (40 + 10) / 40
    assert c.window == (at(40), at(80))


def test_no_sessions_give_an_empty_result():
    c = concurrency(spans())
    assert c.peak == 0 and c.mean == 0.0 and c.open.empty and c.peak_time is None


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 500), st.integers(1, 300)), min_size=1, max_size=30))
def test_property_the_peak_equals_a_brute_force_count(raw):
    pairs = [(a, a + d) for a, d in raw]
    brute = max(sum(a <= t < b for a, b in pairs) for t, _ in pairs)
    c = concurrency(spans(*pairs), freq="1s")
    assert c.peak == brute
    assert c.open.max() == brute
    lo, hi = min(a for a, _ in pairs), max(b for _, b in pairs)
    assert np.isclose(c.mean, sum(b - a for a, b in pairs) / (hi - lo))


def test_a_million_sessions_in_seconds():
    rng = np.random.default_rng(0)
    start = T0 + pd.to_timedelta(rng.integers(0, 86_400 * 2, 1_000_000), unit="s")
    frame = pd.DataFrame({"start": start,
                          "end": start + pd.to_timedelta(rng.integers(1, 7200, 1_000_000),
                                                         unit="s")})
    began = time.perf_counter()
    c = concurrency(frame)
    assert time.perf_counter() - began < 5
    assert 0 < c.mean <= c.peak <= 1_000_000


def test_a_moved_sweep_equals_a_fresh_one():
    """What the remedy replay relies on: moving a few ends without sorting everything again."""
    import numpy as np
    import pytest

    from kit.analysis.concurrency import sweep

    rng = np.random.default_rng(7)
    starts = rng.integers(0, 10_000, 5_000)
    ends = starts + rng.integers(0, 500, 5_000)
    ends[:10] = starts[:10]  # zero-length intervals: not counted until they grow
    lo, hi = 1_000, 9_000
    today = sweep(starts, ends, lo, hi)
    moved = rng.choice(5_000, 300, replace=False)
    moved = np.concatenate([moved, np.arange(10)])
    later = ends.copy()
    later[moved] += rng.integers(1, 3_000, len(moved))
    fresh = sweep(starts, later, lo, hi)
    again = today.moved(starts[moved], ends[moved], later[moved])
    assert np.array_equal(again.starts, fresh.starts) and np.array_equal(again.ends, fresh.ends)
    assert again.peak() == fresh.peak() and again.mean() == pytest.approx(fresh.mean())
