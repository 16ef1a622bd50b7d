"""ss / netstat socket listings: exact timers, states, addresses; keepalive coverage."""

from __future__ import annotations

import pandas as pd
import pytest

import kit
from kit.hosts.schema import SOCKET_DTYPES
from kit.hosts.sockets import ss_expiry

from .conftest import FIXTURES, check_invariant, seconds

SOCKETS = FIXTURES / "sockets"


def rows(df: pd.DataFrame) -> list[tuple]:
    return [(r.state, r.local_ip, _int(r.local_port), r.peer_ip, _int(r.peer_port),
             None if pd.isna(r.timer) else r.timer, seconds(r.timer_remaining), _int(r.probes),
             r.line) for r in df.itertuples()]


def _int(value) -> int | None:
    return None if pd.isna(value) else int(value)


@pytest.mark.parametrize(("text", "expected"), [
    ("118min", 7080), ("5min3sec", 303), ("9min", 540), ("28sec", 28), ("1sec", 1),
    ("1.595ms", 1.595), ("1.595sec", 1.595), ("005ms", 0.005), ("", 0),
])
def test_ss_expiry_formats(text, expected):
    assert seconds(ss_expiry(text)) == expected


@pytest.mark.parametrize("text", ["12parsecs", "1.min", "1.", "min", "5min3"])
def test_ss_expiry_rejects_the_unreadable(text):
    with pytest.raises(ValueError, match="unreadable ss timer expiry"):
        ss_expiry(text)


def test_ss_tino_with_info_lines():
    df = kit.read_sockets(SOCKETS / "nbu-client07.ss-tino.txt")
    assert list(df.columns) == list(SOCKET_DTYPES)
    assert set(df.host) == {"nbu-client07"}
    assert rows(df) == [
        ("established", "10.20.1.7", 40212, "10.10.5.20", 1556, "keepalive", 7080, 0, 2),
        ("established", "10.20.1.7", 40216, "10.10.5.20", 13724, "off", 0, None, 4),
        ("established", "10.20.1.7", 40220, "10.10.5.21", 1556, "keepalive", 28, 0, 6),
        ("established", "10.20.1.7", 22, "10.99.0.4", 51514, "keepalive", 1.595, 0, 8),
        ("established", "10.20.1.7", 40224, "10.10.5.21", 13782, "on", 0.005, None, 10),
        ("established", "10.20.1.7", 40228, "10.10.5.21", 13782, "keepalive", 303, 2, 12),
    ]
    report = df.attrs["load_report"]
    check_invariant(report)
    assert (report.read, report.parsed, report.rejected) == (13, 6, 0)
    assert report.files[0].kind == "sockets"


def test_ss_tnoa_with_listeners_ipv6_and_states():
    df = kit.read_sockets(SOCKETS / "nbu-media01.ss-tnoa.txt")
    assert rows(df) == [
        ("listen", "0.0.0.0", 1556, "0.0.0.0", None, "off", 0, None, 2),
        ("listen", "::", 1556, "::", None, "off", 0, None, 3),
        ("established", "10.10.5.20", 1556, "10.20.1.7", 40212, "keepalive", 7080, 0, 4),
        ("established", "10.10.5.20", 13724, "10.20.1.7", 40216, "off", 0, None, 5),
        ("established", "10.10.5.20", 1556, "10.20.1.9", 51000, "keepalive", 120, 0, 6),
        ("time-wait", "10.10.5.20", 1556, "10.20.1.9", 50990, "timewait", 59, None, 7),
        ("syn-sent", "10.10.5.20", 41000, "10.20.1.12", 1556, "on", 1.024, None, 8),
    ]


def test_ss_o_without_n_names_netid_and_mapped_addresses():
    df = kit.read_sockets(SOCKETS / "dmz-web01.ss-o.txt")
    assert rows(df) == [
        ("established", "10.30.0.5", 22, "10.99.0.4", 50123, "keepalive", 7140, 0, 5),
        ("established", "10.30.0.5", 45678, "nbu-master", 13724, "off", 0, None, 6),
        ("established", "10.30.0.5", 443, "203.0.113.9", 61000, "keepalive", 599, 0, 7),
    ]
    report = df.attrs["load_report"]
    check_invariant(report)
    assert report.files[0].ignored_by_key["not tcp"] == 2


def test_netstat_tnop_timers():
    df = kit.read_sockets(SOCKETS / "nbu-client08.netstat.txt")
    assert set(df.host) == {"nbu-client08"}
    assert rows(df) == [
        ("established", "10.20.1.8", 41002, "10.10.5.20", 1556, "keepalive", 7199.63, 0, 4),
        ("established", "10.20.1.8", 41004, "10.10.5.20", 13724, "off", 0, None, 5),
        ("established", "10.20.1.8", 22, "10.99.0.4", 50022, "off", 0, None, 6),
        ("established", "10.20.1.8", 41006, "10.10.5.21", 13782, "on", 0.2, None, 7),
        ("established", "2001:db8:10::8", 1556, "2001:db8:10::20", 41100, "keepalive", 70.54,
         None, 8),
        ("time-wait", "10.20.1.8", 41008, "10.10.5.22", 13782, "timewait", 37.96, None, 9),
    ]


def test_listing_without_timers_leaves_timer_unknown():
    data = (b"State Recv-Q Send-Q Local Address:Port Peer Address:Port\n"
            b"ESTAB 0 0 10.1.1.1:1556 10.2.2.2:40000\n")
    df = kit.read_sockets(data, host="quiet")
    assert pd.isna(df.timer.iloc[0]) and pd.isna(df.timer_remaining.iloc[0])
    coverage = kit.keepalive_coverage(df)
    assert list(coverage.coverage) == ["unknown"]


def test_state_filter_supplies_the_missing_state_column():
    data = (b"$ ss -tno state established\n"
            b"Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
            b"0      0      10.1.1.1:1556      10.2.2.2:40000    timer:(keepalive,10min,0)\n")
    df = kit.read_sockets(data, host="f")
    assert rows(df) == [("established", "10.1.1.1", 1556, "10.2.2.2", 40000, "keepalive", 600,
                         0, 3)]


def test_state_established_output_without_its_command_is_read_as_established():
    # what the README's command writes: no State column, no command, -i lines between sockets
    data = (b"Recv-Q Send-Q Local Address:Port Peer Address:Port Process\n"
            b"0      0      10.1.1.1:1556      10.2.2.2:40000    timer:(keepalive,10min,0) "
            b"ino:123 sk:1 <->\n"
            b"\t cubic wscale:7,7 rto:204 rtt:0.5/0.25 mss:1448\n"
            b"0      0      10.1.1.1:13724     10.2.2.2:40001    ino:124 sk:2 <->\n")
    df = kit.read_sockets(data, host="f", on_bad_lines="skip")
    assert rows(df) == [
        ("established", "10.1.1.1", 1556, "10.2.2.2", 40000, "keepalive", 600, 0, 2),
        ("established", "10.1.1.1", 13724, "10.2.2.2", 40001, "off", 0, None, 4)]
    report = df.attrs["load_report"]
    check_invariant(report)
    assert report.files[0].problems == [
        "no State column and no recorded command: the sockets are taken as established, as the "
        "README's `ss -tino state established`; record the command in the file to be sure"]
    coverage = kit.keepalive_coverage(df)
    assert list(zip(coverage.service, coverage.coverage, strict=True)) == [
        ("pbx", "all"), ("vnetd", "none")]
    named = kit.read_sockets({"name": "f.time-wait.ss.txt", "content": data},
                             on_bad_lines="skip")
    assert set(named.state) == {"time-wait"}


def test_malformed_socket_lines_are_rejected_with_reasons():
    data = (b"State Recv-Q Send-Q Local Address:Port Peer Address:Port\n"
            b"ESTAB 0 0 10.1.1.1 10.2.2.2:1\n"
            b"ESTAB garbage\n"
            b"ESTAB 0 0 10.1.1.1:1 10.2.2.2:2 timer:(keepalive,12parsecs,0)\n"
            b"ESTAB 0 0 10.1.1.1:99999 10.2.2.2:2\n"
            b"ESTAB 0 0 10.1.1.1:1556 10.2.2.2:3\n")
    df = kit.read_sockets(data, host="m", on_bad_lines="skip")
    assert len(df) == 1
    report = df.attrs["load_report"]
    check_invariant(report)
    assert [r.line for r in report.rejects] == [2, 3, 4, 5]
    assert "expected ADDRESS:PORT, found '10.1.1.1'" in report.rejects[0].reason
    assert "unreadable ss timer expiry '12parsecs'" in report.rejects[2].reason
    assert "port 99999 is outside 0..65535" in report.rejects[3].reason
    with pytest.raises(kit.ParseError, match=r"^<bytes>:2: expected ADDRESS:PORT"):
        kit.read_sockets(data, host="m", on_bad_lines="error")


def test_not_a_listing_is_a_clear_error():
    with pytest.raises(kit.ParseError, match="not an ss or netstat socket listing"):
        kit.read_sockets(b"net.ipv4.tcp_keepalive_time = 7200\n", host="x")


def test_keepalive_coverage_per_peer_and_service_port():
    sockets = kit.read_sockets([SOCKETS / "nbu-client07.ss-tino.txt",
                                SOCKETS / "nbu-media01.ss-tnoa.txt"])
    coverage = kit.keepalive_coverage(sockets)
    got = [(r.host, r.peer_ip, int(r.service_port), r.service, r.direction, r.sockets,
            r.keepalive, r.no_keepalive, r.unknown, r.coverage, seconds(r.longest_timer))
           for r in coverage.itertuples()]
    assert got == [
        ("nbu-client07", "10.10.5.20", 1556, "pbx", "outbound", 1, 1, 0, 0, "all", 7080),
        ("nbu-client07", "10.10.5.20", 13724, "vnetd", "outbound", 1, 0, 1, 0, "none", None),
        ("nbu-client07", "10.10.5.21", 1556, "pbx", "outbound", 1, 1, 0, 0, "all", 28),
        ("nbu-client07", "10.10.5.21", 13782, "bpcd", "outbound", 2, 1, 0, 1, "all", 303),
        ("nbu-client07", "10.99.0.4", 22, "ssh", "inbound", 1, 1, 0, 0, "all", 1.595),
        ("nbu-media01", "10.20.1.7", 1556, "pbx", "inbound", 1, 1, 0, 0, "all", 7080),
        ("nbu-media01", "10.20.1.7", 13724, "vnetd", "inbound", 1, 0, 1, 0, "none", None),
        ("nbu-media01", "10.20.1.9", 1556, "pbx", "inbound", 1, 1, 0, 0, "all", 120),
    ]


def test_coverage_partial_and_empty():
    data = (b"State Recv-Q Send-Q Local Address:Port Peer Address:Port\n"
            b"ESTAB 0 0 10.1.1.1:40000 10.2.2.2:1556 timer:(keepalive,10min,0)\n"
            b"ESTAB 0 0 10.1.1.1:40001 10.2.2.2:1556\n")
    coverage = kit.keepalive_coverage(kit.read_sockets(data, host="p"))
    assert list(coverage.coverage) == ["partial"]
    empty = kit.keepalive_coverage(kit.read_sockets(data, host="p").iloc[:0])
    assert empty.empty and "coverage" in empty.columns
