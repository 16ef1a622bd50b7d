"""Cases generated with other parameters load back to the truth they were generated with."""

from __future__ import annotations

import pytest

import kit
from kit.synth import generate_case

QUICK = {"background_rate": 30.0, "malformed": 3}


@pytest.mark.parametrize("params", [
    pytest.param({"timeout_s": 1800, "seed": 11}, id="30-minute-timeout"),
    pytest.param({"keepalive": "all-tuned", "seed": 12}, id="all-tuned"),
    pytest.param({"timeout_s": 7200, "seed": 13, "days": 3}, id="2-hour-timeout"),
    pytest.param({"clients": 11, "seed": 14, "state_timeout": False,
                  "keepalive": {"dmz-web01": 7200, "dmz-aix01": 900}}, id="11-clients-overrides"),
])
def test_generated_case_loads_to_its_truth(tmp_path, params, check_truth):
    truth = generate_case(tmp_path / "case", **QUICK, **params)
    case = kit.load_case(tmp_path / "case")
    check_truth(case, truth)
    if params.get("state_timeout", True):
        assert case.settings.idle_timeout.total_seconds() == truth["timeout_s"]
    else:
        assert case.settings.idle_timeout is None


def test_thirty_minute_timeout_catches_the_half_hour_keepalive(tmp_path):
    truth = generate_case(tmp_path / "c", timeout_s=1800, seed=11, **QUICK)
    assert truth["hosts"]["dmz-sol01"]["keepalive_time_s"] == 1800
    assert truth["hosts"]["dmz-sol01"]["at_risk"]  # keepalive == T is too late
    assert truth["hosts"]["dmz-sol01"]["idle_timeout_teardowns"] == 2
    assert truth["hosts"]["dmz-web01"]["idle_timeout_teardowns"] == 0  # 600 s < 1800 s


def test_all_tuned_has_no_victims(tmp_path):
    truth = generate_case(tmp_path / "c", keepalive="all-tuned", seed=12, **QUICK)
    assert truth["victims"] == [] and truth["at_risk_hosts"] == []
    assert all(h["keepalive_time_s"] == 300 for h in truth["hosts"].values())
    assert all(job["status"] == "ok" for job in truth["jobs"])


def test_two_hour_timeout_only_kills_scans_longer_than_two_hours(tmp_path):
    import pandas as pd

    truth = generate_case(tmp_path / "c", timeout_s=7200, seed=13, days=3, **QUICK)
    sessions = pd.read_csv(tmp_path / "c" / truth["sessions_file"])
    backup = sessions[sessions["kind"].isin(["backup-control", "backup-data"])]
    long_gap = backup["gap_s"] > 7200
    unprotected = backup["keepalive_s"].isna() | (backup["keepalive_s"] >= 7200)
    assert (backup["idle_torn"] == (long_gap & unprotected)).all()
    assert 0 < len(truth["victims"]) < long_gap.sum() + 1
