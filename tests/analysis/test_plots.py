"""Every chart renders on data; titles, axis labels and the plotted counts are read back."""

from __future__ import annotations

import io

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from analysis_frames import hosts_frame, the_case
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure

from kit import plots
from kit.analysis import concurrency, sessions
from kit.remedies import compare_remedies, replay_remedy

T = pd.Timedelta(hours=1)


@pytest.fixture
def case():
    return the_case()


@pytest.fixture
def frame(case):
    return sessions(case)


def _render(fig: Figure) -> None:
    assert isinstance(fig, Figure)
    fig.savefig(io.BytesIO(), format="png")


def _legend(ax) -> list[str]:
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_duration_histogram(frame):
    fig = plots.duration_histogram(frame, firewall_timeout=T)
    _render(fig)
    ax = fig.axes[0]
    assert ax.get_title() == "Connection durations by how they closed"
    assert ax.get_xlabel() == "duration (H:MM:SS, log scale)" and "count" in ax.get_ylabel()
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    # two idle-timeout, five fin: the stacked containers' bar heights add up to each class
    heights = [sum(p.get_height() for p in c) for c in ax.containers]
    assert heights == [2, 5]
    assert _legend(ax) == ["idle-timeout (2)", "fin (5)", "firewall idle timeout (1:00:00)",
                           "OS keepalive default (2:00:00)"]
    assert [line.get_xdata()[0] for line in ax.lines] == [3600, 7200]
    assert tuple(fig.get_size_inches()) == plots.SIZE


def test_duration_ecdf(frame):
    fig = plots.duration_ecdf(frame, firewall_timeout=T)
    _render(fig)
    ax = fig.axes[0]
    assert ax.get_title() == "Duration distribution per service (ECDF)"
    assert ax.get_ylabel() == "connections at most this long (%)"
    labels = _legend(ax)
    assert labels[:3] == ["pbx (n=3, 1 idle teardown)", "vnetd (n=2, 1 idle teardown)",
                          "bpcd (n=1)"]  # ties: by name
    ecdfs = [line for line in ax.lines if line.get_label().startswith("pbx")]
    assert ecdfs[0].get_ydata()[-1] == 1.0
    assert sorted(set(np.round(ecdfs[0].get_ydata(), 3))) == [0.0, 0.333, 0.667, 1.0]


def test_bytes_vs_duration(frame):
    fig = plots.bytes_vs_duration(frame, firewall_timeout=T)
    _render(fig)
    ax = fig.axes[0]
    assert ax.get_title() == "Bytes against duration"
    assert ax.get_ylabel().startswith("bytes") and ax.get_yscale() == "log"
    points = {c.get_label(): len(c.get_offsets()) for c in ax.collections
              if isinstance(c, PathCollection)}
    assert points == {"idle-timeout (2)": 2, "fin (5)": 5}


def test_teardown_timeline(frame):
    fig = plots.teardown_timeline(frame)
    _render(fig)
    ax = fig.axes[0]
    assert ax.get_title() == "Idle-timeout teardowns over time per host pair"
    assert ax.get_xlabel() == "time of teardown (UTC)"
    rows = {c.get_label(): len(c.get_offsets()) for c in ax.collections}
    assert rows == {"c1 → master : vnetd": 1, "c1 → master : pbx": 1}
    assert [t.get_text() for t in ax.get_yticklabels()] == list(rows)


def test_concurrency_chart_today_and_under_a_remedy(case, frame):
    table = compare_remedies(case)
    window = table.attrs["assumptions"]["window"]["value"]
    today = concurrency(frame, start=window[0], end=window[1])
    after = concurrency(replay_remedy(case, "keepalive"), start=window[0], end=window[1])
    fig = plots.concurrency_chart(today, after, label="keepalive", capacity=10)
    _render(fig)
    ax = fig.axes[0]
    assert ax.get_title() == "Connections open in the firewall's table"
    assert ax.get_ylabel() == "open connections (count)"
    today_line, after_line = ax.lines[:2]
    assert max(today_line.get_ydata()) == 3 and max(after_line.get_ydata()) == 4
    assert after.peak == table.loc["keepalive", "peak_connections"]
    assert _legend(ax)[0] == "today: peak 3, mean 1.1"
    assert _legend(ax)[2] == "capacity (10)"


def test_keepalive_chart_marks_the_hosts_at_risk():
    fig = plots.keepalive_chart(hosts_frame(), T)
    _render(fig)
    ax = fig.axes[0]
    assert ax.get_title() == "Host keepalive time against the firewall timeout (1:00:00)"
    assert ax.get_xlabel() == "keepalive time before the first probe (minutes)"
    bars = {c.get_label(): [p.get_width() for p in c] for c in ax.containers}
    assert bars == {"at risk (2)": [120.0, 120.0], "probes in time (1)": [5.0]}
    assert ax.lines[0].get_xdata()[0] == 60


def test_remedy_chart(case):
    table = compare_remedies(case)
    fig = plots.remedy_chart(table)
    table = table.drop(index="today")  # the baseline is no remedy: not drawn
    _render(fig)
    assert tuple(fig.get_size_inches()) == plots.WIDE
    prevented, packets, peak = fig.axes
    assert fig.get_suptitle() == "Remedies compared on this case's connections"
    assert [p.get_width() for p in prevented.containers[0]] == [2.0] * 5
    assert [p.get_width() for p in packets.containers[0]] == pytest.approx(
        table["extra_packets_per_hour"].tolist())
    assert [p.get_width() for p in peak.containers[0]] == [1.0] * 5
    assert [t.get_text() for t in prevented.get_yticklabels()] == list(table.index)
    assert packets.get_xlabel() == "extra packets per hour"


def test_charts_say_so_when_there_is_nothing_to_draw(frame):
    empty = frame.iloc[0:0]
    for fig in (plots.duration_histogram(empty), plots.duration_ecdf(empty),
                plots.bytes_vs_duration(empty), plots.teardown_timeline(empty)):
        _render(fig)
        assert fig.axes[0].texts[0].get_text().startswith("no ")


def test_text_from_the_data_never_reaches_math_text(frame, case):
    # a host or service called pbx$\invalidcmd$ crashed every chart with an empty ValueError
    odd = frame.assign(service=frame["service"].astype(str).replace("pbx", r"pbx$\invalidcmd$"),
                       src_host=frame["src_host"].astype("string").fillna(r"h$\x$"))
    for fig in (plots.duration_ecdf(odd, firewall_timeout=T), plots.teardown_timeline(odd)):
        _render(fig)
    labels = _legend(plots.duration_ecdf(odd, firewall_timeout=T).axes[0])
    assert r"pbx\$\invalidcmd\$ (n=3, 1 idle teardown)" in labels  # shown as written
    hosts = case.hosts.assign(host=[rf"w{i}$\bad$" for i in range(len(case.hosts))])
    _render(plots.keepalive_chart(hosts, T))


def test_concurrency_axis_covers_the_logs_span_in_the_display_zone(frame):
    today = concurrency(frame)
    fig = plots.concurrency_chart(today, tz="America/New_York")
    _render(fig)
    ax = fig.axes[0]
    assert ax.get_xlabel() in ("time (EDT)", "time (EST)")
    left, _ = (pd.Timestamp(mdates.num2date(x)).tz_localize(None) for x in ax.get_xlim())
    start = today.window[0].tz_convert("America/New_York").tz_localize(None)
    assert abs(left - start) < pd.Timedelta(seconds=1)
