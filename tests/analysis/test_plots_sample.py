"""Every chart rendered on the sample incident: the plotted counts match the ground truth."""

from __future__ import annotations

import io
import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

import kit
from kit import plots

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-incident"
T = pd.Timedelta(hours=1)


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((SAMPLE / "truth.json").read_text())


@pytest.fixture(scope="module")
def case():
    return kit.load_case(SAMPLE)


@pytest.fixture(scope="module")
def sessions(case):
    return kit.sessions(case)


def _png(fig) -> None:
    fig.savefig(io.BytesIO(), format="png")


def test_duration_histogram_counts_every_teardown_by_close_class(sessions, truth):
    fig = plots.duration_histogram(sessions, firewall_timeout=T)
    _png(fig)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    counts = [round(sum(p.get_height() for p in c)) for c in ax.containers]
    by_close = dict(truth["counts"]["teardowns_by_close"])
    by_close["no reason"] = by_close.pop("none")       # UDP teardowns carry no reason
    drawn = {label.split(" (")[0]: n for label, n in zip(labels, counts, strict=False)}
    assert drawn == {k: v for k, v in by_close.items() if v}
    assert ax.get_title() == "Connection durations by how they closed"
    assert ax.get_xscale() == "log"


def test_duration_ecdf_has_one_line_per_top_service(sessions):
    fig = plots.duration_ecdf(sessions, firewall_timeout=T)
    _png(fig)
    ax = fig.axes[0]
    lines = [line for line in ax.lines if "(n=" in line.get_label()]
    # the backup services with idle teardowns first (the busiest services would hide them)
    assert [line.get_label() for line in lines][:2] == ["pbx (n=32, 5 idle teardowns)",
                                                        "vnetd (n=16, 5 idle teardowns)"]
    busiest = sessions["service"].value_counts().head(4)
    assert [line.get_label() for line in lines][2:] == [f"{s} (n={n})"
                                                        for s, n in busiest.items()]
    assert all(line.get_ydata()[-1] == 1.0 for line in lines)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert "1:00:00" in ticks and "0:16:40" not in ticks
    assert ax.yaxis.get_major_formatter()(0.5, 0) == "50%"


def test_bytes_vs_duration_shows_the_ten_victims(sessions, truth):
    fig = plots.bytes_vs_duration(sessions, firewall_timeout=T)
    _png(fig)
    points = {c.get_label(): len(c.get_offsets()) for c in fig.axes[0].collections}
    assert points[f"idle-timeout ({len(truth['victims'])})"] == len(truth["victims"]) == 10


def test_teardown_timeline_places_each_victim_on_its_host_pair(sessions, truth):
    fig = plots.teardown_timeline(sessions)
    _png(fig)
    drawn = {c.get_label(): len(c.get_offsets()) for c in fig.axes[0].collections}
    expected = Counter(f"{v['src_host']} → {v['dst_host']} : {v['service']}"
                       for v in truth["victims"])
    assert drawn == dict(expected)


def test_keepalive_chart_marks_the_hosts_the_truth_calls_at_risk(case, truth):
    fig = plots.keepalive_chart(case.hosts, T)
    _png(fig)
    ax = fig.axes[0]
    bars = {c.get_label(): len(c) for c in ax.containers}
    by_keepalive = [h for h, v in truth["hosts"].items() if v["keepalive_time_s"] >= 3600]
    assert bars == {f"at risk ({len(by_keepalive)})": len(by_keepalive),
                    f"probes in time ({10 - len(by_keepalive)})": 10 - len(by_keepalive)}


def test_concurrency_and_remedy_charts(case, sessions):
    table = kit.compare_remedies(case)
    start, end = table.attrs["assumptions"]["window"]["value"]
    today = kit.concurrency(sessions, start=start, end=end)
    best = kit.recommend(table).best
    after = kit.concurrency(kit.replay_remedy(case, best), start=start, end=end)
    fig = plots.concurrency_chart(today, after, label=best, capacity=case.settings.capacity)
    _png(fig)
    ax = fig.axes[0]
    assert today.peak == table.attrs["today"]["peak"]
    assert after.peak == table.loc[best, "peak_connections"]
    assert ax.lines[0].get_ydata().max() <= today.peak
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == f"today: peak {today.peak}, mean {today.mean:.1f}"
    assert legend[1] == f"{best}: peak {after.peak}, mean {after.mean:.1f}"
    capacity = case.settings.capacity  # 500,000: far above the data, so stated, not drawn
    peak = max(today.peak, after.peak)
    assert legend[2] == f"capacity {capacity:,}: peak is {peak / capacity:.2%} of it"
    assert len(ax.lines) == 3 and not any(capacity in line.get_ydata() for line in ax.lines)

    fig = plots.remedy_chart(table)
    _png(fig)
    assert [p.get_width() for p in fig.axes[0].containers[0]] == [10.0] * 5
