"""The sample-case generator's export writers (kit.synth.exports) read back to what they wrote.

The generator writes one export per host in each native format; these tests pin the contract
between it and ``read_keepalive`` / ``read_sockets`` for any values, not only the sample's.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kit

from .conftest import seconds

exports = pytest.importorskip("kit.synth.exports")
SETTINGS = settings(max_examples=25, deadline=None)
SECONDS = st.integers(10, 86_400)


def read(data: bytes, name: str) -> pd.Series:
    df = kit.read_keepalive({"name": name, "content": data}, on_bad_lines="error")
    assert len(df) == 1
    return df.iloc[0]


@SETTINGS
@given(SECONDS, st.integers(1, 3600), st.integers(1, 127))
def test_linux_sysctl(time_s, intvl_s, probes):
    row = read(exports.linux_sysctl(time_s, intvl_s, probes, prompt="[root@lx01 ~]#"), "x.txt")
    assert (row.host, row.os) == ("lx01", "linux")
    assert (seconds(row.keepalive_time), seconds(row.keepalive_interval),
            row.keepalive_probes) == (time_s, intvl_s, probes)


@SETTINGS
@given(st.one_of(st.none(), st.integers(1, 2**32 - 1)), st.one_of(st.none(),
                                                                 st.integers(1, 2**32 - 1)),
       st.booleans())
def test_windows_reg_and_reg_query(time_ms, interval_ms, as_reg):
    writer = exports.windows_reg if as_reg else exports.windows_reg_query
    row = read(writer("WIN-RT01", time_ms, interval_ms), "x.reg")
    assert (row.host, row.os) == ("WIN-RT01", "windows")
    assert row.keepalive_time == pd.Timedelta(time_ms or 7_200_000, unit="ms")
    assert row.keepalive_interval == pd.Timedelta(interval_ms or 1_000, unit="ms")
    assert ("keepalive_time" in row.defaulted) == (time_ms is None)


@SETTINGS
@given(st.integers(1, 200_000), st.integers(1, 32767), st.integers(1, 100))
def test_aix_no(idle, intvl, cnt):
    row = read(exports.aix_no(idle, intvl, cnt), "aix9.no.txt")
    assert (row.host, row.os, row.keepalive_probes) == ("aix9", "aix", cnt)
    assert (seconds(row.keepalive_time), seconds(row.keepalive_interval)) == (idle / 2, intvl / 2)


@SETTINGS
@given(st.integers(10_000, 864_000_000), st.integers(500, 3_600_000),
       st.sampled_from(["solaris", "hpux"]))
def test_ndd_transcripts(time_ms, abort_ms, os):
    if os == "solaris":
        uname = "SunOS sol9 5.10 Generic_150400-40 sun4v sparc sun4v"
        values = {"tcp_keepalive_interval": time_ms, "tcp_keepalive_abort_interval": abort_ms}
    else:
        uname = "HP-UX hp9 B.11.31 U ia64 2837461923 unlimited-user license"
        values = {"tcp_keepalive_interval": time_ms, "tcp_ip_abort_interval": abort_ms}
    row = read(exports.ndd_transcript(values, uname=uname), "x.ndd.txt")
    assert (row.host, row.os) == ({"solaris": "sol9", "hpux": "hp9"}[os], os)
    assert row.keepalive_time == pd.Timedelta(time_ms, unit="ms")
    assert row.time_to_detect == pd.Timedelta(time_ms + abort_ms, unit="ms")


@SETTINGS
@given(st.integers(10_000, 10**9), st.integers(1_000, 10**6), st.integers(1, 100))
def test_macos_sysctl(idle, intvl, cnt):
    row = read(exports.macos_sysctl(idle, intvl, cnt), "mac9.sysctl.txt")
    assert (row.host, row.os, row.warnings) == ("mac9", "macos", "")
    assert row.keepalive_time == pd.Timedelta(idle, unit="ms")
    assert row.keepalive_interval == pd.Timedelta(intvl, unit="ms")


@SETTINGS
@given(st.lists(st.one_of(st.none(), st.integers(0, 10**7)), min_size=1, max_size=6))
def test_ss_tino(timers):
    sockets = [exports.Socket("10.0.0.1", 40000 + i, "10.0.0.2", 1556, ms)
               for i, ms in enumerate(timers)]
    listing = exports.ss_tino(sockets, prompt="root@ss9:~#")  # the command shows -o was used
    df = kit.read_sockets({"name": "x.txt", "content": listing}, on_bad_lines="error")
    assert set(df.host) == {"ss9"}
    assert list(df.local_port) == [40000 + i for i in range(len(timers))]
    for ms, timer, left in zip(timers, df.timer, df.timer_remaining, strict=True):
        assert timer == ("off" if ms is None else "keepalive")
        assert left == pd.Timedelta(_as_ss_prints(ms or 0), unit="ms")


def _as_ss_prints(ms: int) -> int:
    """ss drops the milliseconds from 10 s up and the seconds from 10 min up."""
    if ms >= 600_000:
        return ms - ms % 60_000
    return ms - ms % 1000 if ms >= 10_000 else ms
