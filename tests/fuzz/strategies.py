"""Hostile inputs for the fuzz suite: real line shapes with mutated fields, long whitespace runs,
huge numbers, odd encodings and damaged archives; the settings and the per-example time limit.

Two speeds. By default (and in CI) a few dozen examples per reader, derandomized under
``CI=true``, well under a minute in all. ``KIT_FUZZ=explore`` (``make fuzz``) runs thousands of
fresh random examples per reader for a slower exploratory search.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import signal
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXPLORE = os.environ.get("KIT_FUZZ") == "explore"
#: seconds one example may take before it counts as a hang
TIME_LIMIT = 20.0
FUZZ = settings(
    max_examples=3000 if EXPLORE else 40,
    deadline=None,  # the wall-clock limit below is the bound; hypothesis' deadline is flaky here
    derandomize=os.environ.get("CI") == "true" and not EXPLORE,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.filter_too_much],
    print_blob=True,
)


@contextmanager
def time_limit(seconds: float = TIME_LIMIT) -> Iterator[None]:
    """Fail an example that runs longer than ``seconds`` (a hang), instead of waiting forever.
    SIGALRM interrupts Python code and ``re`` matching alike (main thread, POSIX)."""
    def expired(signum, frame):
        raise TimeoutError(f"one example ran longer than {seconds} s: a hang")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


RUN_LIMIT = 200_000 if EXPLORE else 20_000
whitespace_runs = st.builds(lambda c, n: c * n, st.sampled_from([" ", "\t", " \t", "\r", "\x0b"]),
                            st.integers(0, RUN_LIMIT))
huge_numbers = st.one_of(st.integers(0, 10**40).map(str), st.sampled_from(
    ["99999999", "2562048", "18446744073709551616", "-1", "1e300", "inf", "nan", "0x7fffffff",
     "00000000000000000000001"]))
filler = st.one_of(st.text(max_size=40), whitespace_runs, huge_numbers)

FIREWALL = ("{stamp} {host} : %ASA-6-{msg}: Teardown TCP connection {conn} for {if1}:{ip1}/{p1} "
            "to {if2}:{ip2}/{p2} duration {h}:{m}:{s} bytes {bytes} {reason}")
STAMPS = st.sampled_from(["Jun  4 20:08:10", "Aug 28 2023 15:35:00", "Apr 12 2999 10:00:00",
                          "2023-08-28T15:35:00+99:99", "2023-08-28T15:35:00Z", "Feb 30 01:02:03",
                          "<166>Dec 31 2023 23:59:60", ""])
firewall_lines = st.builds(
    FIREWALL.format, stamp=STAMPS, host=st.sampled_from(["fw01", "", "a" * 300]),
    msg=st.sampled_from(["302014", "302013", "302016", "302015", "106023"]), conn=filler,
    if1=st.sampled_from(["outside", "", "x y"]),
    ip1=st.sampled_from(["10.0.0.1", "::1", "999.1.1.1"]),
    p1=huge_numbers, if2=st.just("inside"), ip2=st.just("10.0.0.2"), p2=huge_numbers,
    h=huge_numbers, m=huge_numbers, s=st.sampled_from(["00", "59", "60", "7"]), bytes=huge_numbers,
    reason=filler)

KEEPALIVE_LINES = st.one_of(
    st.builds("net.ipv4.tcp_keepalive_{}{}={}{}".format,
              st.sampled_from(["time", "intvl", "probes"]), whitespace_runs, huge_numbers, filler),
    st.builds("{}KeepAliveTime{}REG_DWORD{}0x{}".format, whitespace_runs, whitespace_runs,
              whitespace_runs, huge_numbers),
    st.builds("{}# sysctl -a{}".format, filler, whitespace_runs),
    st.builds("ndd -get /dev/tcp tcp_keepalive_interval{}\n{}".format, whitespace_runs,
              huge_numbers),
    st.builds("net.inet.tcp.keepidle: {}{}".format, huge_numbers, whitespace_runs),
    filler)
SOCKET_LINES = st.one_of(
    st.builds("ESTAB{}0 0 10.0.0.5:{} 192.0.2.1:443 timer:(keepalive,{}min,{})".format,
              whitespace_runs, huge_numbers, huge_numbers, huge_numbers),
    st.builds("tcp 0 0 10.0.0.5:40000 192.0.2.1:443 ESTABLISHED keepalive ({}/0/0){}".format,
              huge_numbers, whitespace_runs),
    st.just("State Recv-Q Send-Q Local Address:Port Peer Address:Port"), filler)

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1"]


def _encode(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


def _zip(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.log", data)
    return buffer.getvalue()


PACKERS = {"plain": lambda d: d, "gzip": gzip.compress, "bz2": bz2.compress,
           "xz": lzma.compress, "zip": _zip}


@st.composite
def damaged(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` packed (or not), then maybe cut short or with a byte flipped."""
    packed = PACKERS[draw(st.sampled_from(sorted(PACKERS)))](data)
    damage = draw(st.sampled_from(["none", "cut", "flip"]))
    if damage == "cut" and packed:
        return packed[:draw(st.integers(0, len(packed)))]
    if damage == "flip" and packed:
        at = draw(st.integers(0, len(packed) - 1))
        return packed[:at] + bytes([packed[at] ^ draw(st.integers(1, 255))]) + packed[at + 1:]
    return packed


@st.composite
def files(draw: st.DrawFn, lines: st.SearchStrategy[str]) -> bytes:
    """A file of hostile lines in an odd encoding, maybe packed and damaged."""
    text = "\n".join(draw(st.lists(lines, max_size=12)))
    encoded = _encode(text, draw(st.sampled_from(ENCODINGS)))
    return draw(damaged(encoded))
