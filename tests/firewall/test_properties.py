"""Property tests: any bytes end cleanly with every line counted; generated lines round-trip."""

from __future__ import annotations

import ipaddress

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kit import ParseError, read_firewall_log
from kit.sources import compression
from kit.streams import HEAD_SIZE, not_a_log

from .helpers import check_counts

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
VALID = ("<166>Aug 28 2023 15:35:00 fw1 : %ASA-6-302014: Teardown TCP connection 7 for "
         "outside:192.0.2.1/443 to inside:10.0.0.5/40000 duration 0:00:34 bytes 1234 TCP FINs")


def _read(data: bytes):
    try:
        frame = read_firewall_log(data, on_bad_lines="skip", progress=False)
    except ParseError as exc:
        assert "no firewall connection events" in str(exc)
        return None
    check_counts(frame.attrs["load_report"])
    return frame


@SETTINGS
@given(st.binary(max_size=2000))
def test_any_bytes_end_cleanly(data: bytes) -> None:
    _read(data)


@SETTINGS
@given(st.lists(st.one_of(st.binary(max_size=120), st.just(VALID.encode()),
                          st.text(max_size=120).map(str.encode)), max_size=30))
def test_valid_lines_among_junk_are_all_found(lines: list[bytes]) -> None:
    data = b"\n".join(lines)
    frame = _read(data)
    pieces = data.split(b"\n")
    expected = sum(p in (VALID.encode(), VALID.encode() + b"\r") for p in pieces)
    if compression(data[:10]) or not_a_log(data[:HEAD_SIZE]):
        expected = 0  # junk that starts with a real magic number is read (or refused) as that
    assert (0 if frame is None else len(frame)) == expected
    if frame is not None:
        report = frame.attrs["load_report"]
        assert report.read == len(pieces) - (pieces[-1] == b"")


_NAME = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._- ",
                min_size=1, max_size=16).map(str.strip).filter(bool)
_IP = st.one_of(st.ip_addresses(v=4).map(str), st.ip_addresses(v=6).map(str))
_USER = st.sampled_from(["LOCAL\\alice", "CORP\\svc-app1", "bob@example.com", "*****"])
_REASON = st.sampled_from(["TCP FINs", "Conn-timeout", "TCP Reset-I", "SYN Timeout",
                           "Idle Timeout", "Flow closed by inspection", "Xlate Clear"])


@st.composite
def teardowns(draw):
    values = {
        "conn": draw(st.integers(0, 2**63 - 1)), "if1": draw(_NAME), "if2": draw(_NAME),
        "ip1": draw(_IP), "ip2": draw(_IP), "p1": draw(st.integers(1024, 65535)),
        "p2": draw(st.integers(1, 1023)), "seconds": draw(st.integers(0, 4_000_000)),
        "bytes": draw(st.integers(0, 2**62)), "reason": draw(_REASON),
        "user": draw(st.none() | _USER), "from_if": draw(st.none() | _NAME),
        "product": draw(st.sampled_from(["ASA", "PIX", "FWSM", "FTD"])),
        "severity": draw(st.integers(0, 7)),
        "second": draw(st.integers(0, 59)),
    }
    h, rest = divmod(values["seconds"], 3600)
    user = f"({values['user']})" if values["user"] else ""
    tail = f" from {values['from_if']}" if values["from_if"] else ""
    line = (f"<166>Aug 28 2023 15:35:{values['second']:02d} fw-{values['product']} : "
            f"%{values['product']}-{values['severity']}-302014: Teardown TCP connection "
            f"{values['conn']} for {values['if1']}:{values['ip1']}/{values['p1']}{user} to "
            f"{values['if2']}:{values['ip2']}/{values['p2']} duration {h}:{rest // 60:02d}:"
            f"{rest % 60:02d} bytes {values['bytes']} {values['reason']}{tail}")
    return line, values


@SETTINGS
@given(st.lists(teardowns(), min_size=1, max_size=8))
def test_generated_teardowns_round_trip(items: list) -> None:
    frame = _read("\n".join(line for line, _ in items).encode())
    assert frame is not None and len(frame) == len(items)
    for (_, v), (_, r) in zip(items, frame.iterrows(), strict=True):
        assert r.time == pd.Timestamp(f"2023-08-28 15:35:{v['second']:02d}", tz="UTC")
        assert (r.device, r.vendor) == (f"fw-{v['product']}", f"cisco-{v['product'].lower()}")
        assert r.conn_id == str(v["conn"])
        # the client port is the higher one, so it is the initiator
        assert (r.src_if, r.src_port, r.dst_if, r.dst_port) == (v["if1"], v["p1"], v["if2"],
                                                                v["p2"])
        assert ipaddress.ip_address(r.src_ip) == ipaddress.ip_address(v["ip1"])
        assert ipaddress.ip_address(r.dst_ip) == ipaddress.ip_address(v["ip2"])
        assert r.orientation == "port"
        assert r.duration == pd.Timedelta(seconds=v["seconds"])
        assert (r.bytes, r.reason) == (v["bytes"], v["reason"])
        assert (None if pd.isna(r.user) else r.user) == v["user"]
