"""The generator's physics and native formats, checked on their own."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kit.cli import main
from kit.synth.exports import aix_no, ndd_transcript, ss_timer, windows_reg, windows_reg_query
from kit.synth.hosts import build_hosts
from kit.synth.sessions import End, Session, settle

A = End("a", "10.0.0.1", 40000, "dmz")
B = End("b", "10.0.0.2", 1556, "inside")


def silent(gap: int, keepalive: int | None, active: int = 60) -> Session:
    return Session("asa-dmz01", "tcp", "backup-control", A, B, 1000, 1000 + active, gap,
                   1000 + active + gap + 300, "TCP FINs", 5_000, 90_000, keepalive)


@settings(max_examples=200, deadline=None)
@given(gap=st.integers(0, 20_000), keepalive=st.one_of(st.none(), st.integers(60, 20_000)),
       timeout=st.integers(300, 10_000), active=st.integers(1, 3000))
def test_idle_teardown_physics(gap, keepalive, timeout, active):
    s = silent(gap, keepalive, active)
    settle([s], timeout)
    probed = keepalive is not None and keepalive < timeout
    assert s.idle_torn == (gap > timeout and not probed)
    if s.idle_torn:
        assert (s.reason, s.end - s.start, s.nbytes) == ("Conn-timeout", active + timeout, 5_000)
    else:
        assert (s.reason, s.end, s.nbytes) == ("TCP FINs", s.close_at, 90_000)


def test_udp_is_never_an_idle_teardown():
    s = Session("asa-dmz01", "udp", "dns", A, B, 0, 1, 9_999, 121, None, 80, 80)
    settle([s], 600)
    assert not s.idle_torn and s.reason is None


@pytest.mark.parametrize(("ms", "printed"), [
    (7_080_000, "118min"), (432_000, "7min12sec"), (28_000, "28sec"), (1_595, "1.595ms"),
    (5, "005ms"), (600_000, "10min"), (9_999, "9.999ms"), (60_000, "1min"),
])
def test_ss_timer_like_iproute2(ms, printed):
    assert ss_timer(ms) == printed


def test_windows_exports():
    reg = windows_reg("w1", 300_000)
    assert reg[:2] == b"\xff\xfe"
    text = reg[2:].decode("utf-16-le")
    assert '"KeepAliveTime"=dword:000493e0\r\n' in text and "\n" not in text.replace("\r\n", "")
    assert "KeepAliveTime" not in windows_reg("w1", None)[2:].decode("utf-16-le")
    query = windows_reg_query("w2", 300_000).decode("ascii")
    assert "    KeepAliveTime    REG_DWORD    0x493e0\r\n" in query


def test_aix_and_ndd_exports():
    lines = aix_no(14_400).decode().splitlines()
    assert "                 tcp_keepidle = 14400" in lines
    assert all(" = " in line for line in lines)
    assert ndd_transcript({"tcp_keepalive_interval": 1_800_000}, uname="SunOS s1 5.10").decode() \
        == "SunOS s1 5.10\n# ndd -get /dev/tcp tcp_keepalive_interval\n1800000\n"


def test_hosts_presets_and_overrides():
    sample = {h.name: h for h in build_hosts(8)}
    assert sample["dmz-web01"].keepalive_s == 600 and not sample["dmz-app01"].so_keepalive
    assert sample["dmz-hpux01"].device == "fwsm-core01"
    assert len([h for h in build_hosts(11) if h.role == "client"]) == 11
    assert {h.keepalive_s for h in build_hosts(8, "all-tuned")} == {300}
    assert {h.keepalive_s for h in build_hosts(8, "all-default")} == {7200}
    tuned = {h.name: h for h in build_hosts(8, {"preset": "all-tuned", "dmz-app01": 7200})}
    assert tuned["dmz-app01"].keepalive_s == 7200 and tuned["dmz-web01"].keepalive_s == 300
    with pytest.raises(ValueError, match="unknown hosts"):
        build_hosts(8, {"nope": 5})
    with pytest.raises(ValueError, match="preset"):
        build_hosts(8, "fast")


def test_cli_sample_and_parse(tmp_path, capsys):
    out = tmp_path / "c"
    assert main(["sample", str(out), "--seed", "3", "--timeout", "0:30:00",
                 "--background-rate", "20", "--keepalive", "dmz-web01=7200"]) == 0
    said = capsys.readouterr().out
    assert "idle-timeout teardowns" in said and "dmz-web01" in said
    assert 'idle_timeout = "0:30:00"' in (out / "case.toml").read_text()
    assert main(["parse", str(out / "firewall"), "--relay-tz", "America/Chicago"]) == 0
    said = capsys.readouterr().out
    assert "connection events" in said and "Load report" in said and "idle-timeout" in said
