"""FortiGate traffic logs (evidence-sources.md §4): order-free pairs, quoting, headers, the
eventtime units, the date/time/tz rule and its offset, and the action -> close mapping."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.firewall.helpers import read, row, ts

PAIRS = ['date=2026-03-02', 'time=02:30:05', 'devname="fgt-dmz-01"',
         'eventtime=1772415005000000000', 'tz="+0100"', 'logid="0000000013"', 'type="traffic"',
         'subtype="forward"', 'level="notice"', 'vd="vdom-dmz"', 'srcip=192.0.2.10',
         'srcport=50412', 'srcintf="port2"', 'dstip=198.51.100.20', 'dstport=1556',
         'dstintf="port3"', 'sessionid=48213', 'proto=6', 'action="timeout"', 'policyid=12',
         'service="NBU PBX"', 'trandisp="noop"', 'duration=5405', 'sentbyte=120320',
         'rcvdbyte=64000', 'sentpkt=230', 'rcvdpkt=182']


def line(*, drop: tuple[str, ...] = (), order=None, **values: str) -> str:
    pairs = [p for p in PAIRS if p.split("=")[0] not in drop and p.split("=")[0] not in values]
    pairs += [f"{k}={v}" for k, v in values.items()]
    if order is not None:
        pairs = order(pairs)
    return " ".join(pairs)


def check(r: pd.Series) -> None:
    assert (r.time, r.device, r.vendor, r.msg_id, r.event, r.protocol, r.conn_id) == (
        ts("2026-03-02 01:30:05"), "fgt-dmz-01", "fortinet", "0000000013", "teardown", "tcp",
        "48213")
    assert (r.src_ip, r.src_port, r.src_if, r.dst_ip, r.dst_port, r.dst_if) == (
        "192.0.2.10", 50412, "port2", "198.51.100.20", 1556, "port3")
    assert (r.duration, r.bytes, r.reason, r.close) == (
        pd.Timedelta(seconds=5405), 184320, "timeout", "idle-timeout")
    assert pd.isna(r.active) and pd.isna(r.idle_wait)  # whether duration holds the wait is [U]


@pytest.mark.parametrize("prefix", ["<189>", "<189> ", "Mar  2 02:30:06 relay01 ",
                                    "<134>Mar  2 02:30:06 10.0.0.1 ", ""])
def test_pri_glued_or_relay_header(prefix: str) -> None:
    check(row(prefix + line()))


def test_pairs_are_read_in_any_order_quoted_or_bare() -> None:
    check(row("<189>" + line(order=lambda p: p[::-1])))
    quoted = [p if '"' in p else p.replace("=", '="', 1) + '"' for p in PAIRS]
    check(row(" ".join(quoted)))
    r = row(line(user='"Jane Doe"', msg='"a value = with spaces"'))
    assert (r.user, r.src_port) == ("Jane Doe", 50412)


@pytest.mark.parametrize("eventtime", ["1772415005", "1772415005000", "1772415005000000",
                                       "1772415005000000000"])
def test_eventtime_unit_follows_its_digit_count(eventtime: str) -> None:
    assert row(line(eventtime=eventtime), tz="Asia/Tokyo").time == ts("2026-03-02 01:30:05")


@pytest.mark.parametrize(("tz", "expected"), [('"+0100"', "01:30:05"), ('"-0700"', "09:30:05"),
                                              ('"UTC+2:00"', "00:30:05")])
def test_without_eventtime_date_and_time_use_the_logged_tz(tz: str, expected: str) -> None:
    assert row(line(drop=("eventtime",), tz=tz)).time == ts(f"2026-03-02 {expected}")


def test_without_eventtime_or_tz_date_and_time_are_in_the_users_tz() -> None:
    r = row(line(drop=("eventtime", "tz")), tz="America/Denver")
    assert r.time == ts("2026-03-02 09:30:05")


def test_the_offset_between_date_time_and_eventtime_is_reported() -> None:
    frame = read(line() + "\n")
    assert frame.attrs["load_report"].clock_offsets == {
        "fgt-dmz-01 (date/time minus eventtime)": pd.Timedelta(hours=1)}
    # as in the public 7.4 sample (there 7 h): eventtime after date/time; time = eventtime
    frame = read(line(eventtime="1772440205", tz='""') + "\n")
    assert frame.time.iloc[0] == ts("2026-03-02 08:30:05")
    assert frame.attrs["load_report"].clock_offsets == {
        "fgt-dmz-01 (date/time minus eventtime)": pd.Timedelta(hours=-6)}


@pytest.mark.parametrize(("action", "packets", "close"), [
    ("timeout", ("230", "182"), "idle-timeout"), ("timeout", ("1", "1"), "syn-timeout"),
    ("timeout", ("1", "0"), "syn-timeout"), ("close", ("230", "182"), "fin"),
    ("client-rst", ("230", "182"), "reset"), ("server-rst", ("230", "182"), "reset"),
    ("accept", ("230", "182"), "other"), ("dns", ("2", "2"), "other"),
    ("ip-conn", ("2", "2"), "other"), ("TIMEOUT", ("230", "182"), "idle-timeout"),
])
def test_actions_map_to_close_classes(action: str, packets: tuple[str, str], close: str) -> None:
    r = row(line(action=f'"{action}"', sentpkt=packets[0], rcvdpkt=packets[1]))
    assert (r.reason, r.close) == (action, close)


def test_udp_ends_have_no_close_and_starts_are_builts_denies_ignored() -> None:
    lines = [line(proto="17", action='"accept"'), line(action='"start"'),
             line(action='"deny"'), line(logid='"0100032001"', type='"event"'),
             line(proto="1")]
    frame = read("\n".join(lines) + "\n")
    assert list(frame.event) == ["teardown", "built"]
    assert pd.isna(frame.close.iloc[0]) and frame.reason.iloc[0] == "accept"
    assert dict(frame.attrs["load_report"].ignored_by_key) == {
        "0000000013/deny": 1, "0100032001/timeout": 1, "0000000013/timeout": 1}


def test_bad_ports_and_missing_time_are_rejected() -> None:
    frame = read(line(srcport="99999") + "\n" + line(drop=("eventtime", "date")) + "\n"
                 + line() + "\n")
    reasons = [r.reason for r in frame.attrs["load_report"].rejects]
    assert list(frame.line) == [3]
    assert "srcport/dstport not a number" in reasons[0]
    assert "without a usable eventtime or date/time" in reasons[1]
