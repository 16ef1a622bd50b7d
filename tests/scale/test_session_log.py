"""The session log behind ``benchmarks/bench_scale.py``: deterministic, exact length, and every
Teardown consistent with its Built (nearly every Built has one)."""

from __future__ import annotations

import pandas as pd
import pytest

import kit
from kit.synth.sessionlog import IDLE_TIMEOUT_S, write_session_log

START = pd.Timestamp("2024-06-03", tz="UTC")


@pytest.fixture(scope="module")
def frame(tmp_path_factory) -> pd.DataFrame:
    path = write_session_log(tmp_path_factory.mktemp("log") / "s.log", lines=150_000, seed=5)
    return kit.read_firewall_log(path, relay_tz="America/Chicago", year=2024, progress=False)


def test_same_seed_same_bytes_exact_length(tmp_path, monkeypatch):
    monkeypatch.setattr("kit.synth.sessionlog.BLOCK_LINES", 1_000)  # many windows
    a = write_session_log(tmp_path / "a.log", lines=5_003, seed=7).read_bytes()
    b = write_session_log(tmp_path / "b.log", lines=5_003, seed=7).read_bytes()
    c = write_session_log(tmp_path / "c.log", lines=5_003, seed=8).read_bytes()
    assert a == b
    assert a != c
    assert len(a.splitlines()) == 5_003
    assert write_session_log(tmp_path / "empty.log", lines=0).read_bytes() == b""


def test_every_line_read_in_time_order(frame):
    report = frame.attrs["load_report"]
    assert report.read == 150_000
    assert report.rejected == 0
    assert 0.88 < report.parsed / report.read < 0.92
    # in time order, but for the relay's own stamp (10 % of lines) running up to a second late
    step = frame["time"].diff().dropna()
    assert step.min() == -pd.Timedelta(seconds=1)
    assert frame["time"].iloc[0] >= START


def test_teardowns_match_their_builts(frame):
    key = ["device", "conn_id"]
    built = frame[frame["event"] == "built"].set_index(key)["time"]
    torn = frame[frame["event"] == "teardown"].set_index(key)
    assert built.index.is_unique and torn.index.is_unique
    both = torn.join(built.rename("built_at"), how="inner")
    # the Teardown's duration is the time since its Built: exactly where both lines carry the
    # device's stamp, within the relay's second of lag otherwise
    off = both["time"] - both["built_at"] - both["duration"]
    assert off.abs().max() == pd.Timedelta(seconds=1)
    assert (off == pd.Timedelta(0)).mean() > 0.8
    # the file covers ~42 minutes: only sessions still running at its end lack their Teardown
    assert len(both) / len(built) > 0.93
    open_ = built.index.difference(torn.index)
    assert (built.loc[open_] > frame["time"].max() - pd.Timedelta(hours=8)).all()
    # Teardowns without their Built in the file: sessions running when the file starts
    orphans = torn.loc[torn.index.difference(built.index)]
    assert len(orphans) / len(torn) < 0.07
    assert (orphans["time"] - orphans["duration"] <= START + pd.Timedelta(seconds=1)).all()


def test_session_mix(frame):
    torn = frame[frame["event"] == "teardown"]
    share = torn["close"].value_counts(normalize=True)
    assert share["fin"] > 0.6
    assert 0.01 < share["idle-timeout"] < 0.06
    idle = torn.loc[torn["close"] == "idle-timeout", "duration"]
    assert (idle >= pd.Timedelta(seconds=IDLE_TIMEOUT_S)).all()
    assert torn["duration"].median() < pd.Timedelta(seconds=30)
