"""Property tests: any input ends in a frame or a clear kit.ParseError, never another exception."""

from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kit
from kit.hosts.defaults import keepalive_of
from kit.hosts.schema import KEEPALIVE_DTYPES, SOCKET_DTYPES

from .conftest import FIXTURES, check_invariant

SETTINGS = settings(max_examples=100, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
#: building two frames per example makes the socket checks ~30 ms each: fewer examples
SOCKET_SETTINGS = settings(SETTINGS, max_examples=50)

#: real lines of every format, to build inputs that reach deep into the parsers
KEEPALIVE_LINES = sorted({
    line for path in FIXTURES.glob("*.*") if path.is_file()
    for line in path.read_bytes().decode("utf-16" if path.suffix == ".reg"
                                         and path.read_bytes()[:2] == b"\xff\xfe"
                                         else "utf-8").splitlines()
})
SOCKET_LINES = sorted({line for path in (FIXTURES / "sockets").iterdir()
                       for line in path.read_text().splitlines()})


def mutated_lines(lines: list[str]) -> st.SearchStrategy[bytes]:
    """Real lines, shuffled, some cut short or with random text spliced in."""
    line = st.one_of(
        st.sampled_from(lines),
        st.sampled_from(lines).flatmap(lambda s: st.integers(0, len(s)).map(lambda i: s[:i])),
        st.tuples(st.sampled_from(lines), st.text(max_size=12)).map(lambda t: t[0] + t[1]),
        st.text(max_size=40),
    )
    return st.lists(line, max_size=25).flatmap(
        lambda ls: st.sampled_from(["utf-8", "utf-16"]).map(
            lambda enc: "\r\n".join(ls).encode(enc, errors="surrogatepass")
            if enc == "utf-8" else "\r\n".join(ls).encode(enc, errors="replace")))


def _check_keepalive(data: bytes, **kwargs) -> None:
    try:
        df = kit.read_keepalive(data, on_bad_lines="skip", **kwargs)
    except kit.ParseError as exc:
        assert str(exc)
        return
    assert list(df.columns) == list(KEEPALIVE_DTYPES)
    assert df.host.notna().all() and df.os.notna().all()
    assert df.keepalive_time.notna().all()
    check_invariant(df.attrs["load_report"])


def _check_sockets(data: bytes) -> None:
    try:
        df = kit.read_sockets(data, host="prop", on_bad_lines="skip")
    except kit.ParseError as exc:
        assert str(exc)
        return
    assert list(df.columns) == list(SOCKET_DTYPES)
    check_invariant(df.attrs["load_report"])
    coverage = kit.keepalive_coverage(df)
    assert (coverage.sockets == coverage.keepalive + coverage.no_keepalive
            + coverage.unknown).all()


@SETTINGS
@given(st.binary(max_size=400))
def test_any_bytes_read_keepalive(data):
    _check_keepalive(data, host="prop")


@SETTINGS
@given(mutated_lines(KEEPALIVE_LINES), st.sampled_from(["auto", "linux", "windows", "solaris"]))
def test_mutated_exports_read_keepalive(data, os):
    _check_keepalive(data, host="prop", os=os)


@SETTINGS
@given(st.binary(max_size=400))
def test_any_bytes_read_sockets(data):
    _check_sockets(data)


@SOCKET_SETTINGS
@given(mutated_lines(SOCKET_LINES))
def test_mutated_listings_read_sockets(data):
    _check_sockets(data)


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["linux", "windows", "aix", "solaris", "hpux",
                                            "macos", "freebsd"]),
                          st.integers(0, 10**7)), min_size=1, max_size=5),
       st.integers(1, 10**6))
def test_risk_commands_always_round_trip(hosts, timeout_s):
    frame = pd.DataFrame({
        "host": [f"h{i}" for i in range(len(hosts))],
        "os": pd.Categorical([os for os, _ in hosts]),
        "keepalive_time": pd.to_timedelta([k for _, k in hosts], unit="s"),
    })
    risk = kit.keepalive_risk(frame, timeout_s)
    for row in risk.itertuples():
        table = keepalive_of(row.os)
        assert table.unit.to_timedelta(row.value) == row.recommended
        assert f"{row.value}" in row.commands
        assert row.recommended >= table.min_time
        assert bool(row.at_risk) == (row.keepalive_time >= row.firewall_timeout)
