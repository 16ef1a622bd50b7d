"""kit.infer_idle_timeout on synthetic idle-teardown durations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from analysis_frames import events
from hypothesis import given, settings
from hypothesis import strategies as st

from kit.analysis import infer_idle_timeout


def idle(durations, *, device="asa1", protocol="tcp"):
    """Connection events: one Conn-timeout teardown per duration (seconds)."""
    return events(*[{"event": "teardown", "time": 100_000 + i, "conn_id": str(i),
                     "duration": float(d), "bytes": 100, "reason": "Conn-timeout",
                     "close": "idle-timeout", "device": device, "protocol": protocol}
                    for i, d in enumerate(durations)])


@pytest.mark.parametrize("timeout", [1800, 3600, 7200])
def test_the_lower_edge_of_the_cluster_is_the_timeout(timeout):
    active = np.random.default_rng(timeout).integers(5, 400, 40)
    est = infer_idle_timeout(idle(timeout + active))
    assert est.edge == pd.Timedelta(seconds=timeout + int(active.min()))
    assert est.value == pd.Timedelta(seconds=timeout)       # the edge in whole minutes
    assert est.n == 40 and est.outliers == 0 and est.confidence == "high"
    q1, q3 = np.percentile(timeout + active, [25, 75])
    assert est.spread == pd.Timedelta(seconds=q3 - q1)
    assert est.device == "asa1"
    assert "40 idle-timeout teardowns on asa1" in est.explanation


def test_a_few_shorter_outliers_are_set_aside():
    durations = [3600 + a for a in range(0, 60, 2)] + [600, 3300]
    est = infer_idle_timeout(idle(durations))
    assert est.value == pd.Timedelta(hours=1)
    assert (est.n, est.outliers) == (30, 2)
    assert "2 shorter outliers ignored" in est.explanation


def test_a_sparse_but_genuine_cluster_is_not_trimmed():
    durations = [3650, 3900, 4500, 5000, 5300]
    est = infer_idle_timeout(idle(durations))
    assert est.edge == pd.Timedelta(seconds=3650) and est.outliers == 0
    assert est.value == pd.Timedelta(hours=1)
    assert est.confidence == "low"      # only one teardown at the edge


def test_one_teardown_is_low_confidence_and_says_so():
    est = infer_idle_timeout(idle([3687]))
    assert est.edge == pd.Timedelta(seconds=3687) and est.value == pd.Timedelta(seconds=3660)
    assert (est.n, est.confidence) == (1, "low")
    assert est.explanation == (
        "1 idle-timeout teardown on asa1 lasted at least 1:01:27 (median 1:01:27), 1 of them "
        "within 0:01:13 of that edge, so the idle timeout is at most 1:01:27: about 1:01:00 in "
        "whole minutes (confidence low).")


def test_no_evidence_is_stated_plainly():
    est = infer_idle_timeout(idle([]))
    assert est.value is None and est.n == 0 and est.confidence == "none"
    assert "no evidence" in est.explanation


def test_udp_idle_teardowns_are_not_evidence_of_the_tcp_timeout():
    est = infer_idle_timeout(idle([120, 121, 125], protocol="udp"))
    assert est.value is None


def test_each_device_is_estimated_on_its_own():
    both = pd.concat([idle([3600 + a for a in range(12)], device="asa1"),
                      idle([1800 + a for a in range(0, 30, 3)], device="fwsm1")])
    est = infer_idle_timeout(both)
    assert est.by_device["asa1"].value == pd.Timedelta(hours=1)
    assert est.by_device["fwsm1"].value == pd.Timedelta(minutes=30)
    assert est.value == pd.Timedelta(minutes=30) and est.n == 22
    assert "the estimates differ" in est.explanation and "fwsm1 0:30:00" in est.explanation
    only = infer_idle_timeout(both, device="asa1")
    assert only.value == pd.Timedelta(hours=1) and only.n == 12


def test_a_device_with_few_teardowns_bounds_but_does_not_contradict():
    # fwsm1's two teardowns (1:01:27, 1:02:00) only say its timeout is at most 1:01:27
    both = pd.concat([idle([3600 + a for a in range(12)], device="asa1"),
                      idle([3687, 3720], device="fwsm1")])
    est = infer_idle_timeout(both)
    assert est.by_device["fwsm1"].value == pd.Timedelta(minutes=61)
    assert est.value == pd.Timedelta(hours=1) and est.n == 14
    assert "consistent with one idle timeout of about 1:00:00" in est.explanation
    # but one that tore a connection down sooner than the others' timeout does differ
    sooner = pd.concat([idle([3600 + a for a in range(12)], device="asa1"),
                        idle([1900], device="fwsm1")])
    assert infer_idle_timeout(sooner).value == pd.Timedelta(minutes=31)
    assert "the estimates differ" in infer_idle_timeout(sooner).explanation


@settings(max_examples=40, deadline=None)
@given(timeout=st.integers(300, 20_000),
       active=st.lists(st.integers(0, 900), min_size=1, max_size=40),
       low=st.lists(st.integers(1, 250), max_size=3))
def test_property_the_estimate_is_one_of_the_durations_at_or_above_the_edge(timeout, active,
                                                                           low):
    durations = [timeout + a for a in active] + low
    est = infer_idle_timeout(idle(durations))
    secs = est.edge.total_seconds()
    assert secs in durations
    assert est.value == pd.Timedelta(minutes=secs // 60)
    assert est.n + est.outliers == len(durations)
    assert est.outliers <= max(1, len(durations) // 10)
    assert sum(d >= secs for d in durations) == est.n
