"""The committed sample incident: regenerates byte for byte and loads back to its ground truth."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
import pytest

import kit
from kit.synth import generate_case

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-incident"


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((SAMPLE / "truth.json").read_text())


@pytest.fixture(scope="module")
def case():
    return kit.load_case(SAMPLE)


def _files(root: Path) -> dict[str, bytes]:
    # CASE/.kit is the case's private parse cache, not part of the sample
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and ".kit" not in p.relative_to(root).parts}


def test_sample_regenerates_byte_identically(tmp_path, truth):
    regenerated = generate_case(tmp_path / "again", **truth["params"])
    assert regenerated == truth
    committed, fresh = _files(SAMPLE), _files(tmp_path / "again")
    assert sorted(committed) == sorted(fresh)
    for name, data in committed.items():
        assert data == fresh[name], f"{name} differs from a regeneration"


def test_sample_loads_to_its_truth(case, truth, check_truth):
    check_truth(case, truth)


def test_sample_story_numbers(case, truth):
    """The numbers data/README.md states, read off the loaded case."""
    assert case.settings.idle_timeout == pd.Timedelta(hours=1)
    assert case.settings.relay_tz == "America/Chicago" and case.settings.tz == "UTC"
    idle = case.connections[case.connections["close"] == "idle-timeout"]
    assert len(idle) == len(truth["victims"]) == 10
    assert sorted(truth["at_risk_hosts"]) == ["dmz-aix01", "dmz-app01", "dmz-hpux01", "dmz-mac01",
                                              "dmz-win01", "nbu-master01", "nbu-media01"]
    assert case.load_report.rejected == truth["counts"]["malformed"] == 6
    assert set(case.load_report.clock_offsets.values()) == {pd.Timedelta(seconds=1)}
    assert set(idle["dst_port"]) == {1556, 13724}
    # the FWSM's legacy teardowns are among them, and every victim was idle exactly T
    assert "fwsm-core01" in set(idle["device"])
    # clients tuned below T lose nothing, clients at the 2 h default lose both connections
    lost = {v["dst_host"] if v["dst_host"].startswith("dmz") else v["src_host"]
            for v in truth["victims"]}
    assert lost == {"dmz-aix01", "dmz-app01", "dmz-hpux01", "dmz-mac01", "dmz-win01"}


def test_sample_layout_and_size(truth):
    names = sorted(p.name for p in (SAMPLE / "firewall").iterdir())
    assert names == ["fw-syslog.log", "fw-syslog.log.1"]
    assert (SAMPLE / "firewall" / "fw-syslog.log.1").read_bytes()[:2] == b"\x1f\x8b"
    assert (SAMPLE / "hosts" / "dmz-win01.reg").read_bytes()[:2] == b"\xff\xfe"
    total = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert total < 5_000_000


def test_sample_loads_quickly():
    kit.load_case(SAMPLE)  # warm: imports and first-use costs are not the case's
    started = time.perf_counter()
    kit.load_case(SAMPLE)
    assert time.perf_counter() - started < 2.0


def test_socket_without_keepalive_belongs_to_a_victim(case, truth):
    backup = case.sockets[case.sockets["local_port"] != 22]
    silent_hosts = set(backup.loc[backup["timer"] != "keepalive", "host"])
    assert silent_hosts == {"dmz-app01"}
    assert truth["hosts"]["dmz-app01"]["idle_timeout_teardowns"] > 0
    assert truth["hosts"]["dmz-web01"]["idle_timeout_teardowns"] == 0
