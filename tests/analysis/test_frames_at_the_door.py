"""A function handed the wrong frame says which frame it needs and how to get it (a
``kit.FrameError``), never a bare KeyError from deep inside pandas."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import kit
from kit import FrameError, plots

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-incident"


@pytest.fixture(scope="module")
def case():
    return kit.load_case(SAMPLE)


SESSIONS_NEEDED = [
    ("kit.affected", lambda f: kit.affected(f)),
    ("kit.concurrency", lambda f: kit.concurrency(f)),
    ("plots.duration_histogram", lambda f: plots.duration_histogram(f)),
    ("plots.duration_ecdf", lambda f: plots.duration_ecdf(f)),
    ("plots.bytes_vs_duration", lambda f: plots.bytes_vs_duration(f)),
    ("plots.teardown_timeline", lambda f: plots.teardown_timeline(f)),
]


@pytest.mark.parametrize(("name", "call"), SESSIONS_NEEDED, ids=[n for n, _ in SESSIONS_NEEDED])
def test_events_instead_of_sessions(case, name, call):
    with pytest.raises(FrameError) as error:
        call(case.connections)
    message = str(error.value)
    assert message.startswith(f"{name} needs the sessions frame (one row per connection)")
    assert "this looks like the connection-event frame" in message
    assert message.endswith("get it with kit.sessions(case), or case.sessions")


@pytest.mark.parametrize(("name", "call"), SESSIONS_NEEDED, ids=[n for n, _ in SESSIONS_NEEDED])
def test_a_frame_missing_a_column(case, name, call):
    broken = case.sessions.drop(columns=["end", "duration"])
    with pytest.raises(FrameError, match=rf"^{name} needs the sessions frame .*column\(s\) "):
        call(broken)


def test_not_a_frame_at_all(case):
    with pytest.raises(FrameError, match=r"needs the sessions frame .* got Case \(a Case: pass "
                                         r"case\.sessions\)"):
        kit.concurrency(case)
    with pytest.raises(FrameError, match=r"got list"):
        plots.duration_histogram([1, 2])


def test_sessions_instead_of_events(case):
    with pytest.raises(FrameError) as error:
        kit.sessions(case.sessions)
    assert "kit.sessions needs the connection-event frame" in str(error.value)
    assert "this looks like the sessions frame" in str(error.value)
    assert "kit.read_firewall_log(...), or case.connections" in str(error.value)


def test_the_keepalive_chart_needs_the_hosts(case):
    with pytest.raises(FrameError, match=r"plots\.keepalive_chart needs the keepalive frame .* "
                                         r"kit\.read_keepalive\(\.\.\.\), or case\.hosts"):
        plots.keepalive_chart(case.sessions, pd.Timedelta(hours=1))


def test_timeout_inference_and_idle_teardowns_need_close_and_duration():
    frame = pd.DataFrame({"start": [], "end": []})
    with pytest.raises(FrameError, match=r"kit\.idle_teardowns needs .* close"):
        kit.idle_teardowns(frame)
    with pytest.raises(FrameError, match=r"kit\.idle_teardowns needs"):
        kit.infer_idle_timeout(frame)


def test_right_frames_still_work(case):
    assert kit.concurrency(case.sessions).peak == 23
    assert len(kit.affected(case.sessions)) == len(kit.affected(case))
