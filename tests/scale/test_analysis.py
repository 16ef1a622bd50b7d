"""A case computed on Dask (``case.toml [compute] engine = "dask"``) gives the pandas path's
answers: idle teardowns, timeout, at-risk hosts, the remedy table, the Findings, on the sample
incident and on a generated case; only the sessions kept by the rule come back row by row."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import kit
from kit import findings, plots, report
from kit.analysis.affected import service_pair_keys
from kit.case.compute import NearJobTries
from kit.case.facts import whole_facts
from kit.scale.analysis import keep_from_for
from kit.synth.case import generate_case

SAMPLE = Path(__file__).parents[2] / "data" / "sample-incident"
FINDINGS = ("teardown_findings", "duration_findings", "remedy_findings", "case_findings")


def on_dask(folder: Path, scheduler: str) -> None:
    """Point a case folder at a Dask cluster."""
    with open(folder / "case.toml", "a", encoding="utf-8") as toml:
        toml.write(f'\n[compute]\nengine = "dask"\nscheduler = "{scheduler}"\n')


#: written by hand: a short session (20 s) of a victim's host pair and service (10.20.1.11 to
#: 10.10.1.20:13724, torn down idle at 01:08:09) starting 2 minutes after the teardown, and one of
#: the same pair on another port: a rescued connection lives on until the first starts
FOLLOWERS = """\
Jun  4 20:10:10 syslog01 Jun 05 2024 01:10:09 asa-dmz01: %ASA-6-302013: Built inbound TCP \
connection 9000001 for dmz:10.20.1.11/50001 (10.20.1.11/50001) to inside:10.10.1.20/13724 \
(10.10.1.20/13724)
Jun  4 20:10:30 syslog01 Jun 05 2024 01:10:29 asa-dmz01: %ASA-6-302014: Teardown TCP connection \
9000001 for dmz:10.20.1.11/50001 to inside:10.10.1.20/13724 duration 0:00:20 bytes 812 TCP FINs
Jun  4 20:09:10 syslog01 Jun 05 2024 01:09:09 asa-dmz01: %ASA-6-302013: Built inbound TCP \
connection 9000002 for dmz:10.20.1.11/50002 (10.20.1.11/50002) to inside:10.10.1.20/13782 \
(10.10.1.20/13782)
Jun  4 20:09:30 syslog01 Jun 05 2024 01:09:29 asa-dmz01: %ASA-6-302014: Teardown TCP connection \
9000002 for dmz:10.20.1.11/50002 to inside:10.10.1.20/13782 duration 0:00:20 bytes 640 TCP FINs
"""


@pytest.fixture(scope="module", params=["sample", "followed", "generated"])
def both(request, local_client, tmp_path_factory):
    """(pandas case, Dask case) of the sample incident (its timeout stated in case.toml), of the
    sample with ``FOLLOWERS`` added and of a generated case (a 30-minute timeout inferred from
    the data, three days)."""
    folder = tmp_path_factory.mktemp(request.param) / "case"
    if request.param != "generated":
        shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns(".kit"))
        if request.param == "followed":
            (folder / "firewall" / "followers.log").write_text(FOLLOWERS, encoding="utf-8")
    else:  # the timeout left to the inference from the idle teardowns
        generate_case(folder, seed=7, days=3, timeout_s=1800)
        toml = folder / "case.toml"
        toml.write_text("".join(line for line in toml.read_text().splitlines(keepends=True)
                                if not line.startswith("idle_timeout")))
    expected = kit.load_case(folder, cache=False)
    on_dask(folder, local_client.scheduler.address)
    return expected, kit.load_case(folder)


def test_the_case_toml_engine_runs_the_case_on_dask(both):
    expected, case = both
    assert (expected.settings.engine, case.settings.engine) == ("pandas", "dask")
    assert expected.reduced is None and case.reduced is not None


def test_idle_teardowns_timeout_and_at_risk_hosts_equal(both):
    expected, case = both
    idle = kit.idle_teardowns(expected)
    assert len(idle) >= 10
    pd.testing.assert_frame_equal(kit.idle_teardowns(case), idle, check_exact=True)
    assert (case.timeout.value, case.timeout.source) == (expected.timeout.value,
                                                         expected.timeout.source)
    stated = not case.path.parent.name.startswith("generated")  # which infers it
    assert case.timeout.source == ("case.toml" if stated else "inferred")
    assert case.timeout.explanation == expected.timeout.explanation
    assert case.at_risk_hosts == expected.at_risk_hosts and len(case.at_risk_hosts) >= 1


def test_only_the_sessions_kept_by_the_rule_come_back(both):
    expected, case = both
    sessions = expected.sessions
    keep_from = keep_from_for(expected.timeout.value)
    assert case.reduced.keep_from == keep_from == pd.Timedelta(minutes=1)
    rule = ((sessions["duration"] >= keep_from) | (sessions["close"] == "idle-timeout")).fillna(
        False).to_numpy(bool)
    near = NearJobTries.of(expected.jobs, expected.inventory)(sessions)
    assert (near & ~rule).sum() >= 5  # short sessions the failures' clock estimate reads
    pairs = service_pair_keys(sessions)
    victim = (sessions["close"] == "idle-timeout").to_numpy(bool)
    follows = (pairs.isin(pairs[victim]) & sessions["start"].notna()).to_numpy(bool)
    followers = follows & ~rule & ~near
    # short sessions of a victim's host pair and service: FOLLOWERS' first, not its second
    assert followers.sum() == (1 if case.path.parent.name.startswith("followed") else 0)
    kept = sessions[rule | near | follows].reset_index(drop=True)
    assert 0 < len(kept) < len(sessions)  # the rule does reduce
    pd.testing.assert_frame_equal(case.sessions, kept, check_exact=True)
    # the short sessions are all counted in the remedies' groups
    groups = case.reduced.groups
    assert int(groups["sessions"].sum()) == len(sessions) - len(kept)
    # ... per host name, and per address only where it names a host with evidence
    known = set(expected.hosts["host"]) | set(expected.sockets["host"])
    for side in ("src", "dst"):
        assert groups[f"{side}_ip"].dropna().isin(known).all()
        assert groups.loc[groups[f"{side}_ip"].notna(), f"{side}_host"].isna().all()
    assert len(groups) < (~(rule | near | follows)).sum() / 10


def test_facts_over_all_events_and_sessions_equal(both):
    expected, case = both
    got, want = case.event_facts, expected.event_facts
    assert (got.events, got.kinds, got.devices, got.first, got.last) == (
        want.events, want.kinds, want.devices, want.first, want.last)
    assert got.events == len(expected.connections) > len(case.connections)
    pd.testing.assert_frame_equal(findings.teardown_reasons(case),
                                  findings.teardown_reasons(expected))
    got, want = case.session_facts, expected.session_facts
    pd.testing.assert_frame_equal(got.duration_histogram, want.duration_histogram)
    pd.testing.assert_series_equal(got.closes, want.closes)
    pd.testing.assert_series_equal(got.service_medians, want.service_medians)
    assert got.normal_bytes == want.normal_bytes and got.window == want.window
    assert np.array_equal(got.sweep.starts, want.sweep.starts)
    assert np.array_equal(got.sweep.ends, want.sweep.ends)


def test_concurrency_of_the_case_sessions_covers_every_session(both):
    expected, case = both
    want = kit.concurrency(expected.sessions)
    got = kit.concurrency(case.sessions)  # the reduced frame answers for all sessions
    pd.testing.assert_series_equal(got.open, want.open)
    assert (got.peak, got.peak_time, got.mean, got.window) == (
        want.peak, want.peak_time, want.mean, want.window)
    # a copy is a frame of its own rows: the longer sessions only
    assert whole_facts(case.sessions.copy()) is None
    assert kit.concurrency(case.sessions.copy()).mean < want.mean


def test_remedy_table_equals(both):
    expected, case = both
    want = kit.compare_remedies(expected)
    got = kit.compare_remedies(case)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.attrs["assumptions"] == want.attrs["assumptions"]
    assert want.loc["today", "peak_connections"] > 0
    if case.path.parent.name.startswith("followed"):  # FOLLOWERS' session ends one rescue
        why = got.attrs["assumptions"]["rescued_lifetime"]["why"]
        assert re.search(r"starts \(([1-9]\d*) of the victims\)", why), why
    # a slider below the 5 minutes of a Cisco timeout still counts every packet
    low = kit.Assumptions(keepalive="0:01:00", heartbeat="0:02:00")
    pd.testing.assert_frame_equal(kit.compare_remedies(case, low),
                                  kit.compare_remedies(expected, low), check_exact=True)


def test_failures_explained_equal(both):
    expected, case = both
    want = expected.failures
    assert want["explained"].sum() >= 3
    pd.testing.assert_frame_equal(case.failures, want, check_exact=True)
    assert case.failures.attrs["clock_offset"] == want.attrs["clock_offset"]
    pd.testing.assert_frame_equal(case.failures.attrs["teardowns_without_failure"],
                                  want.attrs["teardowns_without_failure"])


def test_findings_text_equals(both):
    expected, case = both
    for name in FINDINGS:
        assert str(getattr(kit, name)(case)) == str(getattr(kit, name)(expected)), name
    assert report.case_metadata(case)[:-1] == report.case_metadata(expected)[:-1]


def test_duration_chart_draws_every_session(both):
    expected, case = both

    def drawn(frame):
        ax = plots.duration_histogram(frame).axes[0]
        return ([t.get_text() for t in ax.get_legend().get_texts()],
                [[p.get_height() for p in c] for c in ax.containers])

    assert drawn(case.sessions) == drawn(expected.sessions)


def test_concurrency_of_a_remedy_replay_covers_every_session(both):
    expected, case = both
    today = kit.concurrency(expected.sessions)
    for remedy in ("firewall-timeout", "keepalive"):
        want = kit.concurrency(kit.replay_remedy(expected, remedy))
        got = kit.concurrency(kit.replay_remedy(case, remedy))
        pd.testing.assert_series_equal(got.open, want.open)
        assert (got.peak, got.peak_time, got.mean, got.window) == (
            want.peak, want.peak_time, want.mean, want.window), remedy
        assert got.mean != today.mean  # the replay moved ends
