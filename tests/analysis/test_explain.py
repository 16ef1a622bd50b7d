"""explain_failures: the sample's ground truth exactly, a backup clock 7 minutes off, app errors."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import kit
from kit.analysis.format import hms
from kit.synth import generate_case

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-incident"
#: lags are compared to the truth within this (the offset estimate is whole seconds)
LAG_TOLERANCE = pd.Timedelta(seconds=5)


@pytest.fixture(scope="module")
def sample():
    case = kit.load_case(SAMPLE)
    truth = json.loads((SAMPLE / "truth.json").read_text())["failures"]
    return case, kit.explain_failures(case), truth


def _by_try(result: pd.DataFrame) -> dict[tuple[int, int], dict]:
    return {(int(r["job_id"]), int(r["try_number"])): r for r in result.to_dict("records")}


def test_sample_explained_and_unexplained_equal_the_truth(sample):
    _, result, truth = sample
    got = _by_try(result)
    assert sorted(got) == sorted((f["job_id"], f["try"]) for f in truth["tries"])
    for expected in truth["tries"]:
        row = got[(expected["job_id"], expected["try"])]
        assert row["explained"] == expected["explained"], expected
        assert row["time"] == pd.Timestamp(expected["time"])
        assert row["error_code"] == str(expected["status"])
        if expected["explained"]:
            assert row["teardown_conn_id"] == expected["teardown_conn_id"]
            assert row["teardown_conn_id"] in expected["teardown_conn_ids"]
            assert row["teardown_time"] == pd.Timestamp(expected["teardown_time"])
            assert abs(row["lag"] - pd.Timedelta(seconds=expected["lag_s"])) <= LAG_TOLERANCE
            assert row["resumed"] == pd.Timestamp(expected["resumed"])
            assert row["teardowns"] == len(expected["teardown_conn_ids"])
            assert "deny-no-connection" in row["evidence"]
            assert pd.isna(row["why_not"])
        else:
            assert row["why_not"] == expected["why_not"]
            assert pd.isna(row["teardown_conn_id"])


def test_sample_numbers_stated_in_the_readme(sample):
    _, result, truth = sample
    assert result["explained"].sum() == 5 and len(result) == 8
    assert result.attrs["clock_offset"].value == pd.Timedelta(seconds=truth["clock_offset_s"])
    assert result.attrs["teardowns_without_failure"].empty
    # strong status + the refused packet: high; the weak status 13 with the refused packet: medium
    explained = result[result["explained"]]
    assert dict(zip(explained["error_code"], explained["confidence"].astype(str),
                    strict=True)) == {"24": "high", "13": "medium", "14": "high", "40": "high",
                                      "41": "high"}
    readme = (SAMPLE.parent / "README.md").read_text()
    block = readme.split("<!-- failures-table:start -->")[1].split("<!-- failures-table:end -->")[0]
    table = [[c.strip() for c in line.split("|")[1:-1]] for line in block.strip().splitlines()[2:]]
    got = [[str(r.job_id), str(r.try_number), r.peer, r.error_code,
            "yes" if r.explained else "no", r.teardown_conn_id if r.explained else "-",
            hms(r.lag) if r.explained else "-", r.why_not if not r.explained else "-"]
           for r in result.itertuples()]
    assert [[t[0], t[1], t[2], t[3], t[4], t[5], t[7], t[9]] for t in table] == got


@pytest.mark.parametrize("offset_s", [420, -420])
def test_backup_clock_seven_minutes_off_is_found_and_applied(tmp_path, offset_s):
    truth = generate_case(tmp_path / "case", jobs_clock_offset_s=offset_s)
    case = kit.load_case(tmp_path / "case")
    result = kit.explain_failures(case)
    assert result.attrs["clock_offset"].value == pd.Timedelta(seconds=offset_s)
    got = _by_try(result)
    for expected in truth["failures"]["tries"]:
        row = got[(expected["job_id"], expected["try"])]
        assert row["explained"] == expected["explained"]
        assert row["time"] == pd.Timestamp(expected["time"])  # on the firewall's clock
        if expected["explained"]:
            assert abs(row["lag"] - pd.Timedelta(seconds=expected["lag_s"])) <= LAG_TOLERANCE
    # uncorrected, a clock ahead puts the Builts before the tries; a clock behind skews the lags
    blind = kit.explain_failures(case, max_skew=pd.Timedelta(0))
    assert blind.attrs["clock_offset"].samples == 0
    if offset_s > 0:
        assert blind["explained"].sum() == 0 < result["explained"].sum() == 5
    else:
        lags = (blind["lag"] - result["lag"]).dropna()
        assert len(lags) == 5 and (lags == pd.Timedelta(seconds=offset_s)).all()


def test_app_errors_by_time_window_port_and_detection_lag(sample):
    case, _, _ = sample
    errors = kit.read_app_errors(
        b"time,host,app,peer_ip,peer_port,error_code,message\n"
        # app01's data connection was torn down 01:08:09 (vnetd 13724), refused at 02:36:09
        b"2024-06-05 02:36:40,dmz-app01,netbackup,10.10.1.20,13724,,EXIT STATUS 40: network "
        b"connection broken\n"
        # the same pair, but 5 h later: beyond the NetBackup lag (2:11:15)
        b"2024-06-05 06:30:00,dmz-app01,netbackup,10.10.1.20,,42,network read failed\n"
        # a port the torn-down connections did not use
        b"2024-06-05 02:36:40,dmz-app01,oracle,10.10.1.20,1521,,ORA-03113\n"
        # a host the inventory does not know
        b"2024-06-05 02:36:40,db-unknown,oracle,10.10.1.20,,,ORA-03113\n"
    )
    result = kit.explain_failures(case, jobs=case.jobs.iloc[0:0], app_errors=errors)
    rows = result.sort_values("line").to_dict("records")
    assert [r["explained"] for r in rows] == [True, False, False, False]
    assert rows[0]["teardown_conn_id"] == "4130576" and rows[0]["error_code"] == "40"
    assert rows[0]["lag"] == pd.Timedelta("1:28:31") and rows[0]["confidence"] == "high"
    assert "beyond the 2:11:15 detection lag of netbackup" in rows[1]["why_not"]
    assert rows[2]["why_not"] == ("no idle teardown between dmz-app01 and nbu-media01 on port "
                                  "1521 in the firewall logs")
    assert [r["peer"] for r in rows] == ["nbu-media01"] * 4
    assert "db-unknown has no address in the inventory" in rows[3]["why_not"]


def test_needs_connections():
    with pytest.raises(kit.KitError, match="needs a Case or connections="):
        kit.explain_failures()


def test_sample_case_loads_jobs_with_the_same_load_report(sample):
    case, _, _ = sample
    assert len(case.jobs) == 19 and case.jobs["job_id"].nunique() == 18
    assert case.app_errors.empty
    (jobs,) = [f for f in case.load_report.files if f.kind == "jobs"]
    assert (jobs.read, jobs.parsed, jobs.ignored, jobs.rejected) == (18, 18, 0, 0)
    assert (case.jobs["status"] != 0).sum() == 8


def test_job_shapes_setup_status_active_job_and_a_try_after_the_teardown(sample):
    from kit.synth.bpdbjobs import Job, Try, all_columns

    case, _, _ = sample
    night = pd.Timestamp("2024-06-05 00:00:00", tz="UTC").value // 10**9
    jobs = [
        # 25 cannot connect on socket: a setup problem, whatever the firewall log says
        Job(1, "dmz-app01", "nbu-media01", "P", "S",
            (Try("nbu-media01", night, night + 9000, 25),)),
        # still running: no end, no status, not a failure
        Job(2, "dmz-app01", "nbu-media01", "P", "S", (Try("nbu-media01", night, 0, None),),
            state=1),
        # a retry that started after app01's connections were torn down (01:08)
        Job(3, "dmz-app01", "nbu-media01", "P", "S", (Try("nbu-media01", night + 5400,
                                                          night + 9000, 40),)),
    ]
    frame = kit.read_bpdbjobs("".join(all_columns(j) + "\n" for j in jobs).encode())
    # these hand-made tries do not start with their connections: no clock offset to measure
    result = kit.explain_failures(case, jobs=frame, max_skew=pd.Timedelta(0)).set_index("job_id")
    assert sorted(result.index) == [1, 3]
    assert result.at[1, "why_not"] == ("status 25 (cannot connect on socket) is a connection "
                                       "setup failure (ports, ACLs)")
    assert not result.at[3, "explained"]
    assert result.at[3, "why_not"].startswith(
        "the last idle teardown between nbu-media01 and dmz-app01 (2024-06-05 01:08:14 UTC) was "
        "of a connection built 1:22:43 before the try started")
