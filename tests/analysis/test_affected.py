"""kit.affected: idle-timeout teardowns per host pair and service, with keepalive risk."""

from __future__ import annotations

import pandas as pd
from analysis_frames import at, connection, events

from kit.analysis import affected, sessions

C1, C2, MASTER = "192.168.1.10", "192.168.1.11", "10.0.0.1"


def _sessions(inventory):
    ev = events(
        *connection("1", 0, 3650, close="idle-timeout", bytes=300, src_ip=C1, dst_ip=MASTER,
                    dst_port=13724),
        *connection("2", 5000, 3700, close="idle-timeout", bytes=500, src_ip=C1, dst_ip=MASTER,
                    dst_port=13724),
        *connection("3", 100, 3620, close="idle-timeout", bytes=200, src_ip=C2, dst_ip=MASTER,
                    dst_port=1556),
        *connection("4", 0, 50, close="fin", src_ip=C2, dst_ip=MASTER, dst_port=1556),
        *connection("5", 0, 3610, close="idle-timeout", bytes=100, src_ip="172.16.0.9",
                    dst_ip=MASTER, dst_port=1556),
    )
    return sessions(ev, inventory=inventory)


def test_one_row_per_host_pair_and_service(inventory):
    table = affected(_sessions(inventory))
    assert list(table[["src", "dst", "service", "idle_teardowns"]].itertuples(index=False)) == [
        ("client1", "master", "vnetd", 2), ("172.16.0.9", "master", "pbx", 1),
        ("client2", "master", "pbx", 1)]    # most teardowns, then the earliest first
    first = table.iloc[0]
    assert (first["first"], first["last"]) == (at(3650), at(8700))
    assert first["typical_duration"] == pd.Timedelta(seconds=3675)
    assert first["typical_bytes"] == 400
    assert (first["src_role"], first["dst_role"]) == ("client", "master")
    assert table["at_risk"].isna().all()        # no keepalive frame given


def test_at_risk_comes_from_the_hosts_keepalive(inventory):
    hosts = pd.DataFrame({"host": ["client1", "client2", "master"], "os": "linux",
                          "keepalive_time": pd.to_timedelta([7200, 300, 7200], unit="s"),
                          "keepalive_interval": pd.to_timedelta([75] * 3, unit="s"),
                          "keepalive_probes": pd.array([9] * 3, dtype="Int64"),
                          "time_to_detect": pd.to_timedelta([7875, 975, 7875], unit="s"),
                          "defaulted": "", "warnings": "", "source": "x", "line": 1})
    table = affected(_sessions(inventory), hosts=hosts,
                     firewall_timeout=pd.Timedelta(hours=1)).set_index("src")
    assert table.loc["client1", "src_at_risk"] and not table.loc["client2", "src_at_risk"]
    assert table.loc["client2", "dst_at_risk"] and table.loc["client2", "at_risk"]
    assert pd.isna(table.loc["172.16.0.9", "src_at_risk"])
    assert table.loc["172.16.0.9", "at_risk"]     # NA or True is True


def test_no_idle_teardowns_give_an_empty_table(inventory):
    ev = events(*connection("4", 0, 50, close="fin"))
    assert affected(sessions(ev, inventory=inventory)).empty
