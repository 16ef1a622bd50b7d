"""kit.compare_remedies and kit.recommend on a small hand-built case, every number by hand."""

from __future__ import annotations

import pandas as pd
import pytest
from analysis_frames import C1, HOURS, MASTER, the_case
from hypothesis import given, settings
from hypothesis import strategies as st

from kit import KitError
from kit.remedies import BASELINE, COLUMNS, REMEDIES, compare_remedies, recommend


@pytest.fixture
def table() -> pd.DataFrame:
    return compare_remedies(the_case(capacity=10))


# Today: A[0,3700) C[100,3800) E[300,1000) D[1300,2300) F[4000,4500) G[4100,4200) B[9000,9600)
TODAY_BUSY = 3700 + 3700 + 700 + 1000 + 500 + 100 + 600
# Rescued lifetimes: A lives until B (same pair, vnetd) starts: 9000 - 3700 = 5300 s;
# C has no later c1-master pbx session: the median completed pbx session, (1000 + 500) / 2 = 750
RESCUED_BUSY = (3700 + 5300) + (3700 + 750) + 700 + 1000 + 500 + 100 + 600
# The new timeout: the next whole minute above max(time_to_detect) = 7875 s -> 132 min = 7920 s;
# C lingers at least 7920 - 3600 = 4320 s > 750; A keeps 5300 > 4320
LINGER_BUSY = (3700 + 5300) + (3700 + 4320) + 700 + 1000 + 500 + 100 + 600


def test_the_table_shape_and_the_shared_columns(table):
    assert list(table.index) == [BASELINE, *REMEDIES] and list(table.columns) == list(COLUMNS)
    today = table.loc[BASELINE]
    assert (today.prevented, today.peak_connections_change, today.hosts_to_change) == (0, 0, 0)
    assert today.peak_connections == table.attrs["today"]["peak"]
    assert today.mean_connections == table.attrs["today"]["mean"]
    remedies = table.drop(index=BASELINE)
    assert (table["victims"] == 2).all() and (remedies["prevented"] == 2).all()
    assert (remedies["prevented_share"] == 1.0).all()
    # today's peak is 3 (A, C, E at 300 s); each remedy keeps A and C alive past 4100 s, when F
    # and G are open too: 4
    assert (remedies["peak_connections"] == 4).all() and today.peak_connections == 3
    assert (remedies["peak_connections_change"] == 1).all()
    assert table.attrs["today"] == {"peak": 3, "mean": TODAY_BUSY / 9600, "hours": HOURS,
                                    "victims": 2}


def test_keepalive_row(table):
    row = table.loc["keepalive"]
    # changed hosts: master and c1 (7200 s >= 3600 s); every session has one of them.
    # Exchanges = floor(life / 900 s): A 9000 -> 10, C 4450 -> 4, D 1000 -> 1, others 0
    assert row["extra_packets_per_hour"] == pytest.approx(2 * (10 + 4 + 1) / HOURS)
    assert row["extra_bytes_per_hour"] == pytest.approx(70 * 2 * 15 / HOURS)
    assert row["mean_connections"] == pytest.approx(RESCUED_BUSY / 9600)
    assert (row["hosts_to_change"], row["devices_to_change"]) == (2, 0)
    assert row["sessions_in_scope"] == 7
    assert "Peak 4 is 40.00% of the firewall's capacity (10)" in row["caveats"]


def test_firewall_timeout_rows(table):
    for name, in_scope in (("firewall-timeout", 7), ("firewall-timeout-scoped", 5)):
        row = table.loc[name]
        assert row["extra_packets_per_hour"] == 0
        assert row["mean_connections"] == pytest.approx(LINGER_BUSY / 9600)
        assert (row["hosts_to_change"], row["devices_to_change"]) == (0, 1)
        assert row["sessions_in_scope"] == in_scope
    assert "2:12:00" in table.loc["firewall-timeout", "scope"]
    assert "1556, 13724" in table.loc["firewall-timeout-scoped", "scope"]
    assumptions = table.attrs["assumptions"]
    assert assumptions["new_firewall_timeout"]["value"] == pd.Timedelta(seconds=7920)
    assert assumptions["scope_ports"]["value"] == [1556, 13724]


def test_traffic_generation_row(table):
    row = table.loc["traffic-generation"]
    # heartbeat 1800 s on 1556/13724: A 9000 -> 5, C 4450 -> 2, D, F, B -> 0
    assert row["extra_packets_per_hour"] == pytest.approx(2 * 7 / HOURS)
    assert row["mean_connections"] == pytest.approx(RESCUED_BUSY / 9600)
    assert (row["hosts_to_change"], row["devices_to_change"]) == (3, 0)
    assert row["sessions_in_scope"] == 5


def test_dcd_row(table):
    row = table.loc["dcd"]
    # rounds = 1 + floor(rescued / 3600): A 1 + 1, C 1 + 0; 4 packets a round
    assert row["extra_packets_per_hour"] == pytest.approx(4 * 3 / HOURS)
    assert (row["hosts_to_change"], row["devices_to_change"]) == (0, 1)
    assert "both ends answer" in row["caveats"]


def test_every_assumption_has_a_sentence(table):
    assumptions = table.attrs["assumptions"]
    assert {"firewall_timeout", "keepalive", "new_firewall_timeout", "heartbeat", "scope_ports",
            "so_keepalive_ports", "rescued_lifetime", "changed_hosts", "window"} <= set(assumptions)
    assert all(a["why"].endswith(".") for a in assumptions.values())
    assert assumptions["firewall_timeout"]["value"] == pd.Timedelta(hours=1)
    assert assumptions["changed_hosts"]["value"] == ["c1", "master"]


def test_the_recommendation_follows_the_table(table):
    rec = recommend(table)
    # all prevent 2 and add 1 to the peak; the scoped ones reach 5 sessions; scoped firewall
    # timeout and dcd touch 1 device, but dcd adds packets
    assert rec.ranking == ["firewall-timeout-scoped", "dcd", "traffic-generation",
                           "firewall-timeout", "keepalive"]
    assert rec.best == "firewall-timeout-scoped"
    assert "prevents 2 of 2 idle-timeout teardowns (100%)" in rec.text
    assert "dcd ranks 2: it adds more packets per hour (4.5 vs 0.0)" in rec.text
    assert "traffic-generation ranks 3: it needs more hosts and devices changed (3 vs 1)" \
        in rec.text
    assert "keepalive ranks 5: it reaches more sessions (7 vs 5)" in rec.text


def test_the_ranking_ignores_the_remedies_names(table):
    remedies = table.drop(index=BASELINE)
    renamed = remedies.rename(index=lambda name: name[::-1])
    assert recommend(renamed).ranking == [n[::-1] for n in recommend(table).ranking]
    assert recommend(remedies).ranking == recommend(table).ranking  # the baseline is no remedy


def test_no_victims_means_no_change_needed():
    table = compare_remedies(the_case(idle=False))
    assert (table["victims"] == 0).all() and (table["prevented"] == 0).all()
    rec = recommend(table)
    assert rec.best is None and "no change is needed" in rec.text


def test_a_new_timeout_below_the_hosts_keepalive_prevents_nothing():
    table = compare_remedies(the_case(), new_firewall_timeout=pd.Timedelta(minutes=90))
    assert table.loc["firewall-timeout", "prevented"] == 0
    assert table.loc["firewall-timeout-scoped", "prevented"] == 0


def test_sockets_without_a_keepalive_timer_defeat_the_keepalive_remedy():
    off = [{"host": h, "state": "established", "local_ip": ip, "local_port": lp, "peer_ip": pip,
            "peer_port": pp, "timer": "off", "timer_remaining": None, "probes": 0,
            "source": "ss", "line": 1}
           for h, ip, lp, pip, pp in (("c1", C1, 40001, MASTER, 13724),
                                      ("master", MASTER, 13724, C1, 40001))]
    table = compare_remedies(the_case(sockets=off))
    assert table.loc["keepalive", "prevented"] == 1           # C (pbx) only
    assert table.loc["dcd", "prevented"] == 2                 # the firewall needs no socket option


def test_the_timeout_is_inferred_when_the_case_does_not_state_it():
    table = compare_remedies(the_case(timeout=None))
    assumed = table.attrs["assumptions"]["firewall_timeout"]
    assert assumed["value"] == pd.Timedelta(minutes=61) and "inferred" in assumed["why"]


def test_bad_assumptions_are_clear_errors():
    with pytest.raises(KitError, match="keepalive"):
        compare_remedies(the_case(), keepalive="soon")
    with pytest.raises(KitError, match="scope_ports"):
        compare_remedies(the_case(), scope_ports=[70000])
    with pytest.raises(KitError, match=r"kit\.Case"):
        compare_remedies(pd.DataFrame())


@settings(max_examples=15, deadline=None)
@given(short=st.integers(60, 3 * 3600), longer=st.integers(0, 3 * 3600))
def test_property_a_shorter_keepalive_never_costs_fewer_packets(short, longer):
    case = the_case()
    a = compare_remedies(case, keepalive=pd.Timedelta(seconds=short)).loc["keepalive"]
    b = compare_remedies(case, keepalive=pd.Timedelta(seconds=short + longer)).loc["keepalive"]
    assert a["extra_packets_per_hour"] >= b["extra_packets_per_hour"]
    assert a["prevented"] <= a["victims"] and b["prevented"] <= b["victims"]


@settings(max_examples=15, deadline=None)
@given(new=st.integers(1800, 5 * 3600), longer=st.integers(0, 3 * 3600),
       rescued=st.one_of(st.none(), st.integers(1, 20_000)))
def test_property_a_longer_new_timeout_never_lowers_the_peak(new, longer, rescued):
    case = the_case()
    extra = {} if rescued is None else {"rescued_lifetime": pd.Timedelta(seconds=rescued)}
    a = compare_remedies(case, new_firewall_timeout=pd.Timedelta(seconds=new), **extra)
    b = compare_remedies(case, new_firewall_timeout=pd.Timedelta(seconds=new + longer), **extra)
    for name in ("firewall-timeout", "firewall-timeout-scoped"):
        assert b.loc[name, "peak_connections"] >= a.loc[name, "peak_connections"]
        assert b.loc[name, "mean_connections"] >= a.loc[name, "mean_connections"] - 1e-12
    assert (a["prevented"] <= a["victims"]).all()


def test_an_empty_case_compares_to_zero_everywhere():
    from kit.firewall.schema import empty_connections
    case = the_case()
    case.connections = empty_connections()
    table = compare_remedies(case)
    assert (table[["victims", "prevented", "peak_connections"]] == 0).all().all()
    assert (table["extra_packets_per_hour"] == 0).all()
    assert recommend(table).best is None


def test_replay_remedy_moves_the_ends_of_the_prevented():
    from kit.remedies import replay_remedy
    replayed = replay_remedy(the_case(), "dcd", rescued_lifetime=pd.Timedelta(seconds=60))
    moved = replayed[replayed["prevented"]]
    assert sorted(moved["conn_id"]) == ["A", "C"]
    assert (moved["end"] - moved["start"] == pd.Timedelta(seconds=3760)).all()
    with pytest.raises(KitError, match="unknown assumption"):
        replay_remedy(the_case(), "dcd", keepalives=1)
    with pytest.raises(KitError, match="unknown remedy"):
        replay_remedy(the_case(), "prayer")
