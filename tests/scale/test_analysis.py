"""The case's heavy part on Dask gives the pandas path's idle teardowns, sessions and
aggregates on the sample incident."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kit
from kit.case.loader import names_in_case
from kit.scale.analysis import DURATION_EDGES, KEEP_FROM, reduce_case
from kit.synth.case import generate_case

SAMPLE = Path(__file__).parents[2] / "data" / "sample-incident"


@pytest.fixture(scope="module", params=["sample", "generated"])
def both(request, local_client, tmp_path_factory):
    """(case, pandas sessions, ReducedCase) for the sample incident and a generated case (a
    30-minute timeout, three days)."""
    folder = SAMPLE
    if request.param == "generated":
        folder = tmp_path_factory.mktemp("generated") / "case"
        generate_case(folder, seed=7, days=3, timeout_s=1800)
    case = kit.load_case(folder)
    s = case.settings
    lazy = kit.read_firewall_log(folder / "firewall", engine="dask", tz=s.tz,
                                 relay_tz=s.relay_tz, year=s.year, on_bad_lines="skip",
                                 progress=False, blocksize=96 * 1024, scheduler=local_client)
    with local_client.as_current():
        reduced = reduce_case(lazy, inventory=case.inventory, services=s.services,
                              timeout=case.timeout.value)
    for frame in (reduced.idle_teardowns, reduced.sessions):  # file names as the case gives them
        names_in_case(frame, folder)
    return case, kit.sessions(case), reduced


def test_idle_teardowns_equal_the_pandas_path(both):
    case, _, reduced = both
    expected = kit.idle_teardowns(case)
    assert len(expected) >= 10
    pd.testing.assert_frame_equal(reduced.idle_teardowns, expected, check_exact=True)


def test_sessions_kept_by_the_rule_equal_the_pandas_path(both):
    _, sessions, reduced = both
    rule = (sessions["duration"] >= KEEP_FROM) | (sessions["close"] == "idle-timeout").fillna(
        False)
    expected = sessions[rule.to_numpy(bool)].reset_index(drop=True)
    assert 0 < len(expected) < len(sessions)  # the rule does reduce
    pd.testing.assert_frame_equal(reduced.sessions, expected, check_exact=True)


def test_concurrency_equals_the_pandas_path(both):
    _, sessions, reduced = both
    expected = kit.concurrency(sessions)
    pd.testing.assert_series_equal(reduced.concurrency.open, expected.open)
    assert (reduced.concurrency.peak, reduced.concurrency.peak_time) == (
        expected.peak, expected.peak_time)
    assert reduced.concurrency.window == expected.window
    assert reduced.concurrency.mean == pytest.approx(expected.mean, rel=1e-12)


def test_duration_histogram_and_close_counts_equal_the_pandas_path(both):
    _, sessions, reduced = both
    classes = sessions["close"].astype("string").fillna("no reason").where(
        ~sessions["open"], "open")
    assert reduced.closes.to_dict() == classes.value_counts().to_dict()
    seconds = np.clip(sessions["duration"].fillna(pd.Timedelta(0)).dt.total_seconds(), 1, None)
    for close, rows in reduced.duration_histogram.groupby("close"):
        counts, _ = np.histogram(seconds[(classes == close).to_numpy()], bins=DURATION_EDGES)
        got = np.zeros(len(DURATION_EDGES) - 1, np.int64)
        got[np.searchsorted(DURATION_EDGES, rows["left"])] = rows["sessions"]
        assert got.tolist() == counts.tolist(), close
