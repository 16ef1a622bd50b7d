"""kit.sessions / kit.idle_teardowns on small hand-built event frames."""

from __future__ import annotations

import pandas as pd
import pytest
from analysis_frames import at, connection, events

from kit import KitError
from kit.analysis import SESSION_COLUMNS, idle_teardowns, sessions

CLIENT, MASTER = "192.168.1.10", "10.0.0.1"


def _one(frame: pd.DataFrame, conn_id: str) -> pd.Series:
    rows = frame[frame["conn_id"] == conn_id]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_built_and_teardown_join_into_one_session(inventory):
    ev = events(*connection("7", 10, 3700, close="idle-timeout", bytes=1546,
                            src_ip=CLIENT, dst_ip=MASTER, src_port=42962, dst_port=13724))
    s = sessions(ev, inventory=inventory)
    assert list(s.columns) == list(SESSION_COLUMNS)
    row = _one(s, "7")
    assert row["start"] == at(10) and row["end"] == at(3710)
    assert row["duration"] == pd.Timedelta(seconds=3700)
    assert row["bytes"] == 1546 and row["close"] == "idle-timeout"
    assert row["reason"] == "Conn-timeout"
    assert bool(row["has_built"]) and not bool(row["open"])
    assert (row["src_host"], row["src_role"]) == ("client1", "client")
    assert (row["dst_host"], row["dst_role"]) == ("master", "master")
    assert (row["service_port"], row["service"]) == (13724, "vnetd")


def test_teardown_without_built_starts_at_time_minus_duration():
    ev = events({"event": "teardown", "time": 5000, "conn_id": "9", "duration": 3650, "bytes": 5,
                 "reason": "Conn-timeout", "close": "idle-timeout", "src_ip": CLIENT,
                 "dst_ip": MASTER})
    row = _one(sessions(ev), "9")
    assert row["start"] == at(1350) and row["end"] == at(5000)
    assert not bool(row["has_built"])
    assert pd.isna(row["src_host"])


def test_built_without_teardown_stays_open_until_the_end_of_the_data():
    ev = events({"event": "built", "time": 100, "conn_id": "1", "src_ip": CLIENT, "dst_ip": MASTER},
                *connection("2", 0, 900, src_ip=CLIENT, dst_ip=MASTER))
    row = _one(sessions(ev), "1")
    assert bool(row["open"]) and row["end"] == at(900)
    assert row["duration"] == pd.Timedelta(seconds=800)
    assert pd.isna(row["close"]) and pd.isna(row["bytes"])


def test_a_reused_conn_id_joins_each_teardown_to_its_latest_built():
    ev = events(*connection("5", 0, 100, src_port=40001),
                {"event": "built", "time": 1000, "conn_id": "5", "src_port": 40002},
                *connection("5", 5000, 300, src_port=40003))
    s = sessions(ev).set_index("start")
    assert s.loc[at(0), "end"] == at(100) and s.loc[at(0), "src_port"] == 40001
    assert bool(s.loc[at(1000), "open"]) and s.loc[at(1000), "src_port"] == 40002
    assert s.loc[at(5000), "end"] == at(5300) and s.loc[at(5000), "src_port"] == 40003
    assert len(s) == 3


def test_a_built_that_disagrees_with_the_duration_is_not_joined():
    """The Built of this id was lost; the older Built is another connection, left open."""
    ev = events({"event": "built", "time": 0, "conn_id": "8", "src_port": 40001},
                {"event": "teardown", "time": 9000, "conn_id": "8", "duration": 100,
                 "bytes": 1, "reason": "TCP FINs", "close": "fin", "src_port": 40009})
    s = sessions(ev).set_index("start")
    assert s.loc[at(8900), "src_port"] == 40009 and not bool(s.loc[at(8900), "has_built"])
    assert bool(s.loc[at(0), "open"]) and s.loc[at(0), "end"] == at(9000)


def test_the_same_conn_id_on_two_devices_is_two_connections():
    ev = events(*connection("3", 0, 50, device="asa1"),
                {"event": "teardown", "time": 200, "conn_id": "3", "duration": 20, "bytes": 1,
                 "reason": "TCP FINs", "close": "fin", "device": "fwsm1"})
    s = sessions(ev).set_index("device")
    assert s.loc["asa1", "start"] == at(0) and bool(s.loc["asa1", "has_built"])
    assert s.loc["fwsm1", "start"] == at(180) and not bool(s.loc["fwsm1", "has_built"])


def test_inventory_names_every_ip_of_a_host_and_normalises_ipv6(inventory):
    inv = pd.concat([inventory, pd.DataFrame({"host": ["v6host"], "ip": ["2001:0db8:0:0::1"],
                                              "role": ["other"], "os": ["linux"]})])
    ev = events(*connection("1", 0, 10, src_ip=CLIENT, dst_ip="10.0.1.2"),
                *connection("2", 0, 10, src_ip="2001:db8::1", dst_ip="10.0.0.2"))
    s = sessions(ev, inventory=inv).set_index("conn_id")
    assert s.loc["1", "dst_host"] == "media" and s.loc["2", "dst_host"] == "media"
    assert s.loc["2", "src_host"] == "v6host" and s.loc["2", "src_role"] == "other"


@pytest.mark.parametrize(("src_port", "dst_port", "port", "name"), [
    (51000, 1556, 1556, "pbx"),          # responder's known port
    (13782, 51000, 13782, "bpcd"),       # orientation reversed: the known port wins
    (51000, 9100, 9100, "9100"),         # neither known: the lower port, named by number
    (51000, 8081, 8081, "custom"),       # the case's [services]
])
def test_service_port_and_name(src_port, dst_port, port, name):
    ev = events(*connection("1", 0, 10, src_port=src_port, dst_port=dst_port))
    row = sessions(ev, services={8081: "custom"}).iloc[0]
    assert (row["service_port"], row["service"]) == (port, name)


def test_a_case_supplies_inventory_and_services(inventory):
    from types import SimpleNamespace
    ev = events(*connection("1", 0, 10, src_ip=CLIENT, dst_port=8081))
    case = SimpleNamespace(connections=ev, inventory=inventory,
                           settings=SimpleNamespace(services={8081: "custom"}))
    row = sessions(case).iloc[0]
    assert (row["src_host"], row["service"]) == ("client1", "custom")


def test_idle_teardowns_from_events_and_from_sessions():
    ev = events(*connection("1", 0, 3700, close="idle-timeout"),
                *connection("2", 0, 50, close="fin"),
                *connection("3", 0, 3605, close="idle-timeout"))
    assert sorted(idle_teardowns(ev)["conn_id"]) == ["1", "3"]
    assert (idle_teardowns(ev)["event"] == "teardown").all()
    assert sorted(idle_teardowns(sessions(ev))["conn_id"]) == ["1", "3"]


def test_a_frame_without_the_connection_columns_is_a_clear_error():
    with pytest.raises(KitError, match=r"kit\.sessions needs the connection-event frame .* "
                                       r"with column\(s\) device, event"):
        sessions(pd.DataFrame({"time": []}))
    with pytest.raises(KitError, match=r"got str; get it with kit\.read_firewall_log"):
        sessions("not a frame")


def test_no_events_give_an_empty_sessions_frame_with_the_schema():
    from kit.firewall.schema import empty_connections
    s = sessions(empty_connections())
    assert s.empty and list(s.columns) == list(SESSION_COLUMNS)
    assert str(s["start"].dtype) == "datetime64[ns, UTC]"


def test_sample_resumed_and_idle_before_teardown_match_the_generator():
    """Every idle-torn connection of the sample: silent T before its teardown, and resumed
    (refused 106015) exactly when the generator's client spoke again."""
    from pathlib import Path

    import kit

    sample = Path(__file__).resolve().parents[2] / "data" / "sample-incident"
    frame = kit.sessions(kit.load_case(sample))
    truth = pd.read_csv(sample / "truth-sessions.csv.gz")
    torn = truth[truth["idle_torn"]]
    expected = {(r.device, str(r.conn_id)): pd.Timestamp(r.busy_until) + pd.Timedelta(
        seconds=int(r.gap_s)) for r in torn.itertuples()}
    idle = frame[frame["close"] == "idle-timeout"]
    got = {(r.device, r.conn_id): r.resumed for r in idle.itertuples()}
    assert got == expected and len(got) == 10
    assert (idle["idle_before_teardown"] == pd.Timedelta(hours=1)).all()
    assert (idle["end"] - idle["idle_before_teardown"]).tolist() == [
        pd.Timestamp(torn.set_index("conn_id").loc[int(c), "busy_until"])
        for c in idle["conn_id"]]
    others = frame[frame["close"] != "idle-timeout"]
    assert others["resumed"].isna().all() and others["idle_before_teardown"].isna().all()
