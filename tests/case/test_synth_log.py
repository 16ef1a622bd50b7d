"""The benchmark log writer: deterministic, the promised mix, and lines of the documented shapes."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from kit.cli import main
from kit.synth import write_log

HEADER = re.compile(
    r"^(?P<relay>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) (?P<host>\S+) "
    r"(?:(?P<stamp>[A-Z][a-z]{2} \d\d \d{4} \d\d:\d\d:\d\d) (?P<device>\S+): )?"
    r"%(?P<product>ASA|FWSM)-\d-(?P<msg>\d{6}): (?P<body>.*)$"
)
BUILT = re.compile(
    r"^Built (?P<dir>inbound|outbound) (?P<proto>TCP|UDP) connection (?P<id>\d+) "
    r"for (?P<outer>outside:\S+/\d+) \((?P<omap>\S+/\d+)\) "
    r"to (?P<inner>[^:]+:[^/]+/\d+) \((?P<imap>\S+/\d+)\)(?P<user>\(\S+\))?$"
)
TEARDOWN = re.compile(
    r"^Teardown (?P<proto>TCP|UDP) connection (?P<id>\d+) for (?P<outer>outside:\S+/\d+) "
    r"to (?P<inner>[^:]+:[^/(]+/\d+)(?P<user>\(\S+\))? duration (?P<h>\d+):(?P<m>\d\d):(?P<s>\d\d) "
    r"bytes (?P<bytes>\d+)(?: (?P<reason>[A-Za-z][A-Za-z -]*?))?(?: from (?P<init>\w+))?"
    r"(?: \((?P<aaa>\w+)\))?$"
)
LEGACY = re.compile(
    r"^Teardown TCP connection (?P<id>\d+) faddr (?P<f>\S+/\d+) gaddr (?P<g>\S+/\d+) "
    r"laddr (?P<l>\S+/\d+) duration \d+:\d\d:\d\d bytes \d+ \((?P<reason>[^)]+)\)$"
)


@pytest.fixture(scope="module")
def log_lines(tmp_path_factory) -> list[str]:
    path = write_log(tmp_path_factory.mktemp("log") / "asa.log", lines=60_000, seed=3)
    return path.read_text().splitlines()


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path):
    a = write_log(tmp_path / "a.log", lines=3_000, seed=7).read_bytes()
    b = write_log(tmp_path / "b.log", lines=3_000, seed=7).read_bytes()
    c = write_log(tmp_path / "c.log", lines=3_000, seed=8).read_bytes()
    assert a == b
    assert a != c


def test_exact_line_count_across_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr("kit.synth.biglog.BLOCK_LINES", 1_000)
    lines = write_log(tmp_path / "x.log", lines=2_503, seed=1).read_text().splitlines()
    assert len(lines) == 2_503
    assert write_log(tmp_path / "empty.log", lines=0).read_bytes() == b""


def test_message_mix(log_lines):
    msgs = Counter(HEADER.match(line)["msg"] for line in log_lines)
    n = len(log_lines)
    built = (msgs["302013"] + msgs["302015"]) / n
    torn = (msgs["302014"] + msgs["302016"]) / n
    assert 0.43 < built < 0.47 and 0.43 < torn < 0.47
    other = sum(v for k, v in msgs.items() if k not in {"302013", "302014", "302015", "302016"})
    assert 0.08 < other / n < 0.12
    assert 0.05 < msgs["302015"] / (msgs["302013"] + msgs["302015"]) < 0.15
    assert set(msgs) >= {"106023", "305011", "305012", "302020", "302021"}


def test_every_line_has_a_relay_header_and_most_a_device_stamp(log_lines):
    heads = [HEADER.match(line) for line in log_lines]
    assert all(heads)
    stamped = sum(1 for h in heads if h["stamp"])
    assert 0.87 < stamped / len(heads) < 0.93
    assert {h["host"] for h in heads if h["stamp"]} == {"syslog-relay01"}
    # unstamped lines carry the device's name in the relay header instead
    assert {h["host"] for h in heads if not h["stamp"]} <= {"asa-edge01", "asa-dc02", "fwsm-core01"}


def test_relay_clock_is_central_time_and_never_goes_back(log_lines):
    from datetime import datetime

    offsets, previous = set(), None
    for line in log_lines:
        head = HEADER.match(line)
        relay = datetime.strptime("2024 " + head["relay"], "%Y %b %d %H:%M:%S")
        if previous is not None:
            assert relay >= previous
        previous = relay
        if head["stamp"]:
            device = datetime.strptime(head["stamp"], "%b %d %Y %H:%M:%S")
            offsets.add((device - relay).total_seconds())
    assert offsets <= {5 * 3600.0, 5 * 3600.0 - 1}  # CDT is UTC-5; the relay is 0-1 s late


def test_bodies_parse_and_teardowns_repeat_their_builts(log_lines):
    builts, variants = {}, Counter()
    matched = 0
    for line in log_lines:
        head = HEADER.match(line)
        body, msg = head["body"], head["msg"]
        if msg in ("302013", "302015"):
            m = BUILT.match(body)
            assert m, body
            builts[m["id"]] = m
            variants["user"] += bool(m["user"])
            variants["ipv6"] += m["outer"].count(":") > 2
        elif msg in ("302014", "302016") and head["product"] == "FWSM":
            m = LEGACY.match(body)
            assert m and m["g"] == m["l"], body
            variants["legacy"] += 1
        elif msg in ("302014", "302016"):
            m = TEARDOWN.match(body)
            assert m, body
            assert (m["reason"] is None) == (m["proto"] == "UDP"), body
            variants["from"] += bool(m["init"])
            variants["aaa"] += bool(m["aaa"])
            variants["over_24h"] += int(m["h"]) >= 24
            variants["conn_timeout"] += m["reason"] == "Conn-timeout"
            built = builts.get(m["id"])
            if built:
                matched += 1
                assert (built["outer"], built["inner"], built["proto"]) == (
                    m["outer"], m["inner"], m["proto"])
    assert matched > 5_000  # the first 20,000 teardowns close connections opened before the log
    for key in ("user", "ipv6", "legacy", "from", "aaa", "over_24h", "conn_timeout"):
        assert variants[key] > 0, key


def test_cli_synth_log(tmp_path, capsys):
    out = tmp_path / "cli.log"
    assert main(["synth-log", str(out), "--lines", "500", "--seed", "2"]) == 0
    assert len(out.read_text().splitlines()) == 500
    assert "wrote 500 lines" in capsys.readouterr().out
