"""data/README.md's ground-truth table, recomputed from the loaded sample case."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

import kit

DATA = Path(__file__).resolve().parents[2] / "data"


def readme_table() -> dict[str, str]:
    text = (DATA / "README.md").read_text()
    block = text.split("<!-- truth-table:start -->")[1].split("<!-- truth-table:end -->")[0]
    rows = [line.split("|")[1:3] for line in block.splitlines() if line.startswith("| ")]
    return {key.strip(): value.strip() for key, value in rows[1:]}


@pytest.fixture(scope="module")
def measured() -> dict[str, str]:
    case = kit.load_case(DATA / "sample-incident")
    conns, report = case.connections, case.load_report
    idle = conns[conns["close"] == "idle-timeout"]
    owner = dict(zip(case.inventory["ip"], case.inventory["host"], strict=True))
    clients = {owner[ip] for ip in pd.concat([idle["src_ip"], idle["dst_ip"]])
               if owner[ip].startswith("dmz")}
    timeout = case.settings.idle_timeout
    backup = case.sockets[case.sockets["local_port"] != 22]
    silent = sorted(set(backup.loc[backup["timer"] != "keepalive", "host"]))
    hosts = case.hosts.set_index("host")
    at_risk = sorted(set(hosts.index[hosts["keepalive_time"] >= timeout]) | set(silent))
    client_names = set(case.inventory.loc[case.inventory["role"] == "client", "host"])
    offsets = set(report.clock_offsets.values())
    assert len(offsets) == 1
    fw = [f for f in report.files if f.kind == "firewall"]
    return {
        "timeout_s": str(int(timeout.total_seconds())),
        "idle_timeout_teardowns": str(len(idle)),
        "idle_timeout_teardowns_fwsm": str((idle["device"] == "fwsm-core01").sum()),
        "victims_port_1556": str((idle["dst_port"] == 1556).sum()),
        "victims_port_13724": str((idle["dst_port"] == 13724).sum()),
        "victim_clients": ", ".join(sorted(clients)),
        "at_risk_hosts": ", ".join(at_risk),
        "safe_clients": ", ".join(sorted(client_names - set(at_risk))),
        "relay_offset_s": str(int(offsets.pop().total_seconds())),
        "relay_wall_clock_offset_s": str(_offset_with_relay_read_as_utc()),
        "lines": str(sum(f.read for f in fw)),
        "connection_events": str(len(conns)),
        "ignored": str(sum(f.ignored for f in fw)),
        "malformed": str(sum(f.rejected for f in fw)),
        "hosts": str(len(case.hosts)),
        "sockets_without_keepalive": ", ".join(silent),
    }


def _offset_with_relay_read_as_utc() -> int:
    frame = kit.read_firewall_log(DATA / "sample-incident" / "firewall", on_bad_lines="skip",
                                  progress=False)
    (offset,) = set(frame.attrs["load_report"].clock_offsets.values())
    return int(offset.total_seconds())


def test_readme_truth_table_matches_the_loaded_case(measured):
    table = readme_table()
    assert set(table) == set(measured)
    for key, value in measured.items():
        assert table[key] == value, f"{key}: README says {table[key]!r}, the case gives {value!r}"


def test_readme_documents_every_truth_key():
    import json

    truth = json.loads((DATA / "sample-incident" / "truth.json").read_text())
    text = (DATA / "README.md").read_text()
    for key in truth:
        assert re.search(rf"`{key}`", text), key
