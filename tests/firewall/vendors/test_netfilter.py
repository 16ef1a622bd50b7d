"""conntrack -E -o timestamp,extended,id (evidence-sources.md §7): NEW and DESTROY, the close
inferred from the UPDATE history, times, durations, bytes and the device."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tests.firewall.helpers import read, ts

TUPLE = ("src=192.0.2.10 dst=198.51.100.20 sport=50412 dport=1556",
         "src=198.51.100.20 dst=192.0.2.10 sport=1556 dport=50412")
NEW = (f"[1772409600.000100]\t    [NEW] ipv4     2 tcp      6 120 SYN_SENT {TUPLE[0]} "
       f"[UNREPLIED] {TUPLE[1]} id=3087654321")
DESTROY = (f"[1772415005.123456]\t[DESTROY] ipv4     2 tcp      6 {TUPLE[0]} packets=230 "
           f"bytes=120320 {TUPLE[1]} packets=182 bytes=64000 [ASSURED] delta-time=5405 "
           "id=3087654321")


def update(state: str, seconds: str = "1772415000.5") -> str:
    return (f"[{seconds}]\t [UPDATE] ipv4     2 tcp      6 120 {state} {TUPLE[0]} {TUPLE[1]} "
            "[ASSURED] id=3087654321")


def test_new_is_built_and_destroy_without_a_close_is_an_inferred_idle_timeout() -> None:
    frame = read(f"{NEW}\n{update('ESTABLISHED', '1772409601.0')}\n{DESTROY}\n")
    assert list(frame.event) == ["built", "teardown"]
    r = frame.iloc[1]
    assert (r.time, r.vendor, r.msg_id, r.protocol, r.conn_id) == (
        ts("2026-03-02 01:30:05.123456"), "netfilter", "DESTROY", "tcp", "3087654321")
    assert (r.src_ip, r.src_port, r.dst_ip, r.dst_port) == (
        "192.0.2.10", 50412, "198.51.100.20", 1556)
    assert (r.duration, r.bytes, r.reason, r.close) == (
        pd.Timedelta(seconds=5405), 184320, "inferred: no close seen", "idle-timeout")
    assert frame.iloc[0].time == ts("2026-03-02 00:00:00.0001")
    assert dict(frame.attrs["load_report"].ignored_by_key) == {"UPDATE/tcp": 1}


@pytest.mark.parametrize(("state", "close"), [("FIN_WAIT", "fin"), ("TIME_WAIT", "fin"),
                                              ("CLOSE_WAIT", "fin"), ("LAST_ACK", "fin"),
                                              ("CLOSE", "reset")])
def test_a_closing_update_before_destroy_is_a_normal_close(state: str, close: str) -> None:
    r = read(f"{update(state)}\n{DESTROY}\n").iloc[0]
    assert (r.close, r.reason) == (close, f"last state {state}")


def test_a_closing_update_of_another_flow_or_after_the_destroy_does_not_count() -> None:
    other = update("TIME_WAIT").replace("id=3087654321", "id=7")
    frame = read(f"{other}\n{DESTROY}\n{update('TIME_WAIT', '1772415006.0')}\n")
    assert list(frame.close) == ["idle-timeout"]


def test_an_unassured_tcp_flow_timed_out_in_its_handshake_and_udp_has_no_close() -> None:
    syn = DESTROY.replace(" [ASSURED]", "")
    udp = ("[1772415005.5]\t[DESTROY] ipv4     2 udp      17 src=192.0.2.10 dst=10.0.0.53 "
           "sport=5353 dport=53 packets=1 bytes=60 src=10.0.0.53 dst=192.0.2.10 sport=53 "
           "dport=5353 packets=1 bytes=120 delta-time=30 id=9")
    frame = read(f"{syn}\n{udp}\n")
    assert list(frame.reason) == ["inferred: never assured", "inferred: udp expiry"]
    assert frame.close.iloc[0] == "syn-timeout" and pd.isna(frame.close.iloc[1])
    assert list(frame.bytes) == [184320, 180]


def test_without_the_extended_columns_and_with_ipv6() -> None:
    plain = DESTROY.replace("ipv4     2 ", "")
    v6 = (plain.replace("192.0.2.10", "2001:db8::10").replace("198.51.100.20", "2001:db8::20")
          .replace("tcp      6", "tcp      6"))
    frame = read(f"{plain}\n{v6}\n")
    assert list(frame.src_ip) == ["192.0.2.10", "2001:db8::10"]
    assert list(frame.close) == ["idle-timeout", "idle-timeout"]


def test_the_device_is_the_file_name_up_to_its_first_dot(tmp_path: Path) -> None:
    path = tmp_path / "nat-gw01.conntrack.log"
    path.write_text(DESTROY + "\n")
    assert read(path).device.iloc[0] == "nat-gw01"


def test_damaged_event_lines_are_rejected() -> None:
    frame = read(f"[1772415005.1]\t[DESTROY] garbage\n{DESTROY}\n")
    report = frame.attrs["load_report"]
    assert (len(frame), report.rejected) == (1, 1)
    assert "conntrack event not understood" in report.rejects[0].reason
