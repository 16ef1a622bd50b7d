"""Acceptance: on the sample incident every number of the remedy table equals a hand computation
from the ground truth (truth.json and truth-sessions.csv.gz), written out here in plain Python.

The arithmetic follows the model in kit/remedies/model.py's docstring, step by step; nothing is
copied from the function's output.
"""

from __future__ import annotations

import csv
import gzip
import json
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

import kit
from kit.services import BUILTIN_SERVICES

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-incident"
#: domain.md §D2: the NetBackup ports, assumed to use SO_KEEPALIVE where no socket capture says
NETBACKUP = {1556, 1557, 2821, 4032, 10082, 10102, 13720, 13724, 13782}
KEEPALIVE = 15 * 60          # the keepalive remedy's default
FRAME = 70                   # bytes per probe or ACK frame


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _service_port(src: int, dst: int) -> int:
    if dst in BUILTIN_SERVICES:
        return dst
    if src in BUILTIN_SERVICES:
        return src
    return min(src, dst)


class Truth:
    """The ground truth, read with csv and json only."""

    def __init__(self) -> None:
        self.doc = json.loads((SAMPLE / "truth.json").read_text())
        with gzip.open(SAMPLE / self.doc["sessions_file"], "rt", newline="") as handle:
            rows = list(csv.DictReader(handle))
        self.sessions = [{
            "device": r["device"], "tcp": r["protocol"] == "tcp",
            "src": r["src_host"] or r["src_ip"], "dst": r["dst_host"] or r["dst_ip"],
            "hosts": [h for h in (r["src_host"], r["dst_host"]) if h],
            "svc": _service_port(int(r["src_port"]), int(r["dst_port"])),
            "start": _epoch(r["start"]), "end": _epoch(r["end"]),
            "duration": int(r["duration_s"]), "close": r["close"],
            "victim": r["close"] == "idle-timeout",
        } for r in rows]
        self.T = self.doc["timeout_s"]
        self.ws = min(s["start"] for s in self.sessions)
        self.we = max(s["end"] for s in self.sessions)
        self.hours = (self.we - self.ws) / 3600
        hosts = self.doc["hosts"]
        self.K = {h: v["keepalive_time_s"] for h, v in hosts.items()}
        self.detect = {h: v["time_to_detect_s"] for h, v in hosts.items()}
        self.victims = [s for s in self.sessions if s["victim"]]
        self.scope = sorted({s["svc"] for s in self.victims})

    def so_keepalive(self, host: str, port: int) -> bool:
        """Socket evidence for this host and port where captured, else the NetBackup ports."""
        seen = [sock for sock in self.doc["sockets"].get(host, [])
                if port in (int(sock["local"].rsplit(":", 1)[1]),
                            int(sock["peer"].rsplit(":", 1)[1]))]
        if seen:
            return any(sock["timer"] == "keepalive" for sock in seen)
        return port in NETBACKUP

    def rescued(self, victim: dict) -> int:
        """Until the next session of the same host pair and service, else that service's median
        completed duration."""
        pair = {victim["src"], victim["dst"]}
        later = [s["start"] for s in self.sessions
                 if {s["src"], s["dst"]} == pair and s["svc"] == victim["svc"]
                 and s["start"] > victim["end"]]
        if later:
            return min(later) - victim["end"]
        done = sorted(s["duration"] for s in self.sessions
                      if s["svc"] == victim["svc"] and s["close"] not in ("", "idle-timeout"))
        mid = len(done) // 2
        return done[mid] if len(done) % 2 else (done[mid - 1] + done[mid]) / 2

    def sweep(self, ends: dict[int, float]) -> tuple[int, float]:
        """Peak and time-weighted mean of open sessions, session i ending at ends.get(i, end)."""
        spans = []
        for i, s in enumerate(self.sessions):
            a, b = max(s["start"], self.ws), min(ends.get(i, s["end"]), self.we)
            if b > a:
                spans.append((a, b))
        steps = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
        running = peak = 0
        for _, step in steps:
            running += step
            peak = max(peak, running)
        return peak, sum(b - a for a, b in spans) / (self.we - self.ws)

    def life(self, i: int, ends: dict[int, float]) -> float:
        s = self.sessions[i]
        return max(0, min(ends.get(i, s["end"]), self.we) - max(s["start"], self.ws))


@pytest.fixture(scope="module")
def truth() -> Truth:
    return Truth()


@pytest.fixture(scope="module")
def case():
    return kit.load_case(SAMPLE)


@pytest.fixture(scope="module")
def table(case):
    return kit.compare_remedies(case)


def _expect(truth: Truth, *, prevented: set[int], ends: dict[int, float], packets: float,
            hosts: int, devices: int, in_scope: int) -> dict:
    today_peak, _ = truth.sweep({})
    peak, mean = truth.sweep(ends)
    return {"victims": len(truth.victims), "prevented": len(prevented),
            "prevented_share": len(prevented) / len(truth.victims),
            "extra_packets_per_hour": packets / truth.hours,
            "extra_bytes_per_hour": packets / truth.hours * FRAME,
            "peak_connections": peak, "peak_connections_change": peak - today_peak,
            "mean_connections": mean, "hosts_to_change": hosts, "devices_to_change": devices,
            "sessions_in_scope": in_scope}


def _check(row: pd.Series, expected: dict) -> None:
    for column, value in expected.items():
        assert row[column] == pytest.approx(value), column


def _victim_index(truth: Truth) -> list[int]:
    return [i for i, s in enumerate(truth.sessions) if s["victim"]]


def _victim_devices(truth: Truth) -> int:
    return len({s["device"] for s in truth.victims})


def test_the_sample_loads_as_the_truth_says(truth, case, table):
    assert len(truth.victims) == 10
    assert len(kit.sessions(case)) == len(truth.sessions)
    assert table.attrs["assumptions"]["firewall_timeout"]["value"] == pd.Timedelta(hours=1)
    assert table.attrs["assumptions"]["scope_ports"]["value"] == truth.scope == [1556, 13724]
    assert sorted(table.attrs["assumptions"]["changed_hosts"]["value"]) == sorted(
        h for h, k in truth.K.items() if k >= truth.T)


def test_keepalive_row_by_hand(truth, table):
    changed = {h for h, k in truth.K.items() if k >= truth.T}
    new_k = {h: (KEEPALIVE if h in changed else k) for h, k in truth.K.items()}
    prevented = {i for i in _victim_index(truth)
                 if any(new_k.get(h, truth.T) < truth.T
                        and truth.so_keepalive(h, truth.sessions[i]["svc"])
                        for h in truth.sessions[i]["hosts"])}
    ends = {i: truth.sessions[i]["end"] + truth.rescued(truth.sessions[i]) for i in prevented}
    reached = [i for i, s in enumerate(truth.sessions)
               if s["tcp"] and any(h in changed for h in s["hosts"])]
    exchanges = sum(truth.life(i, ends) // KEEPALIVE for i in reached)
    _check(table.loc["keepalive"], _expect(
        truth, prevented=prevented, ends=ends, packets=2 * exchanges, hosts=len(changed),
        devices=0, in_scope=len(reached)))


@pytest.mark.parametrize("scoped", [False, True])
def test_firewall_timeout_rows_by_hand(truth, table, scoped):
    new_t = (int(max(truth.detect.values())) // 60 + 1) * 60      # next whole minute above
    assert new_t == 7920                                          # 7875 s (Linux defaults)
    on = [i for i, s in enumerate(truth.sessions)
          if s["tcp"] and (not scoped or s["svc"] in truth.scope)]
    prevented = {i for i in _victim_index(truth) if i in on
                 and any(truth.K.get(h, new_t) < new_t
                         and truth.so_keepalive(h, truth.sessions[i]["svc"])
                         for h in truth.sessions[i]["hosts"])}
    linger = new_t - truth.T
    ends = {}
    for i in _victim_index(truth):
        if i in prevented:
            ends[i] = truth.sessions[i]["end"] + max(truth.rescued(truth.sessions[i]), linger)
        elif i in on:
            ends[i] = truth.sessions[i]["end"] + linger
    name = "firewall-timeout-scoped" if scoped else "firewall-timeout"
    _check(table.loc[name], _expect(
        truth, prevented=prevented, ends=ends, packets=0, hosts=0,
        devices=_victim_devices(truth), in_scope=len(on)))


def test_traffic_generation_row_by_hand(truth, table):
    heartbeat = truth.T / 2
    on = [i for i, s in enumerate(truth.sessions) if s["tcp"] and s["svc"] in truth.scope]
    prevented = {i for i in _victim_index(truth) if i in on}
    ends = {i: truth.sessions[i]["end"] + truth.rescued(truth.sessions[i]) for i in prevented}
    exchanges = sum(truth.life(i, ends) // heartbeat for i in on)
    apps = {h for i in on for h in truth.sessions[i]["hosts"]}
    _check(table.loc["traffic-generation"], _expect(
        truth, prevented=prevented, ends=ends, packets=2 * exchanges, hosts=len(apps),
        devices=0, in_scope=len(on)))


def test_dcd_row_by_hand(truth, table):
    on = [i for i, s in enumerate(truth.sessions) if s["tcp"] and s["svc"] in truth.scope]
    prevented = {i for i in _victim_index(truth) if i in on}
    ends = {i: truth.sessions[i]["end"] + truth.rescued(truth.sessions[i]) for i in prevented}
    rounds = sum(1 + (min(ends[i], truth.we) - truth.sessions[i]["end"]) // truth.T
                 for i in prevented)
    _check(table.loc["dcd"], _expect(
        truth, prevented=prevented, ends=ends, packets=4 * rounds, hosts=0,
        devices=_victim_devices(truth), in_scope=len(on)))


def test_the_recommendation_prevents_every_victim_and_quotes_the_table(table):
    rec = kit.recommend(table)
    best = table.loc[rec.best]
    assert best["prevented"] == best["victims"] == 10
    assert "prevents 10 of 10 idle-timeout teardowns (100%)" in rec.text
    assert f"(to {best['peak_connections']:,})" in rec.text
    assert f"reaches {best['sessions_in_scope']:,} sessions" in rec.text
    assert rec.ranking[0] == rec.best and sorted(rec.ranking) == sorted(table.index.drop("today"))
