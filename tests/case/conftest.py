"""Shared check: a loaded case reproduces the ground truth its generator wrote."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest


def _seconds(value: Any) -> float | None:
    return None if pd.isna(value) else pd.Timedelta(value).total_seconds()


def check_case_against_truth(case, truth: dict[str, Any]) -> None:
    """Every number of ``truth`` that the loaders can see, compared with the loaded case."""
    counts = truth["counts"]
    report = case.load_report
    fw = [f for f in report.files if f.kind == "firewall"]
    assert sum(f.read for f in fw) == counts["lines"]
    assert sum(f.parsed for f in fw) == counts["connection_events"]
    assert sum(f.ignored for f in fw) == counts["ignored"]
    assert sum(f.rejected for f in fw) == counts["malformed"]
    for f in fw:
        expected = counts["files"]["firewall/" + Path(f.source).name]
        assert (f.read, f.parsed, f.ignored, f.rejected) == (
            expected["lines"], expected["connection_events"], expected["ignored"],
            expected["malformed"])
        assert sorted(r.line for r in f.rejects) == expected["malformed_lines"]
    ignored = Counter()
    for f in fw:
        ignored.update(f.ignored_by_key)
    assert dict(ignored) == counts["ignored_by_msg_id"]
    for device, lag in truth["clock"]["relay_minus_device_s_by_device"].items():
        assert report.clock_offsets[device] == pd.Timedelta(seconds=lag)

    conns = case.connections
    assert (conns["event"] == "built").sum() == counts["built"]
    assert (conns["event"] == "teardown").sum() == counts["teardown"]
    assert conns["device"].value_counts().to_dict() == counts["by_device"]
    teardowns = conns[conns["event"] == "teardown"]
    closes = teardowns["close"].astype(object).fillna("none").value_counts()
    assert {k: v for k, v in closes.items() if v} == counts["teardowns_by_close"]

    _check_victims(case, truth)
    _check_hosts(case, truth)
    _check_sockets(case, truth)


def _check_victims(case, truth: dict[str, Any]) -> None:
    conns = case.connections
    idle = conns[conns["close"] == "idle-timeout"].set_index(["device", "conn_id"])
    victims = {(v["device"], v["conn_id"]): v for v in truth["victims"]}
    assert set(idle.index) == set(victims)
    timeout = truth["timeout_s"]
    for key, v in victims.items():
        row = idle.loc[key]
        assert row["duration"].total_seconds() == v["duration_s"] == v["active_s"] + timeout
        assert row["bytes"] == v["bytes"]
        assert row["time"] == pd.Timestamp(v["end"])
        assert (row["src_ip"], row["src_port"], row["dst_ip"], row["dst_port"]) == (
            v["src_ip"], v["src_port"], v["dst_ip"], v["dst_port"])
        assert Path(row["source"]).name == Path(v["file"]).name and row["line"] == v["line"]
    owner = dict(zip(case.inventory["ip"], case.inventory["host"], strict=True))
    per_host_port = Counter()
    for (_, _), row in idle.iterrows():
        client = owner[row["src_ip"]] if owner[row["src_ip"]].startswith("dmz") \
            else owner[row["dst_ip"]]
        per_host_port[(client, int(row["dst_port"]))] += 1
    assert [{"host": h, "port": p, "count": n} for (h, p), n in sorted(per_host_port.items())] \
        == [{k: e[k] for k in ("host", "port", "count")} for e in truth["victims_by_host_port"]]


def _check_hosts(case, truth: dict[str, Any]) -> None:
    hosts = case.hosts.set_index("host")
    exported = {n: h for n, h in truth["hosts"].items() if "export" in h}
    assert sorted(hosts.index) == sorted(exported)
    for name, h in exported.items():
        row = hosts.loc[name]
        assert row["os"] == h["os"]
        assert _seconds(row["keepalive_time"]) == h["keepalive_time_s"]
        assert _seconds(row["keepalive_interval"]) == h["keepalive_interval_s"]
        probes = row["keepalive_probes"]
        assert (None if pd.isna(probes) else int(probes)) == h["keepalive_probes"]
        assert _seconds(row["time_to_detect"]) == h["time_to_detect_s"]
        defaulted = [d for d in str(row["defaulted"] or "").split(",") if d]
        assert sorted(defaulted) == sorted(h["defaulted"])
    inventory = case.inventory.set_index("host")
    for name, h in truth["hosts"].items():
        assert inventory.loc[name, "ip"] == h["ips"][0]
        assert inventory.loc[name, "role"] == h["role"]
    timeout = pd.Timedelta(seconds=truth["timeout_s"])
    no_timer = set(case.sockets.loc[(case.sockets["timer"] != "keepalive")
                                    & (case.sockets["local_port"] != 22), "host"])
    at_risk = {n for n, row in hosts.iterrows() if row["keepalive_time"] >= timeout} | no_timer
    assert sorted(at_risk) == truth["at_risk_hosts"]


def _check_sockets(case, truth: dict[str, Any]) -> None:
    sockets = case.sockets
    expected = [(host, s["local"], s["peer"], s["timer"] or "off", s["remaining_ms"])
                for host, socks in truth["sockets"].items() for s in socks]
    assert len(sockets) == len(expected)
    got = {(r.host, f"{r.local_ip}:{r.local_port}", f"{r.peer_ip}:{r.peer_port}"): r
           for r in sockets.itertuples()}
    for host, local, peer, timer, remaining_ms in expected:
        row = got[(host, local, peer)]
        assert row.timer == timer
        if remaining_ms is not None:  # ss prints minutes only past 9 min: within a minute
            left = row.timer_remaining.total_seconds()
            assert 0 <= remaining_ms / 1000 - left < 60


@pytest.fixture
def check_truth():
    return check_case_against_truth
