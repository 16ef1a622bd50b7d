"""The compiled header pass (issue 16, "header parsing"): each header read at its shape's spans.

The reading is compared with a small slow reference kept here (the shape grammar,
``parse_shape``, is shared: what is tested is the compiled reading of the numbers, their
checks, the zones, the devices and the relay-minus-device offsets), and the pass's own edge
cases are read end to end: word boundaries, a block of thousands of shapes, headers past
MAX_HEAD, non-ASCII bytes, digits next to the tag.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit

from kit.firewall.blocks import split_lines
from kit.firewall.bytescan import word_at
from kit.firewall.header_fields import _masked_word
from kit.firewall.header_reader import Heads, read_heads
from kit.firewall.headers import (
    INVALID_OFFSET,
    INVALID_STAMP,
    MAX_HEAD,
    MAX_YEAR,
    MIN_YEAR,
    StampShape,
    parse_shape,
)
from kit.firewall.zones import ZONE_DEVICE, ZONE_RELAY, parse_zone

from .helpers import read, ts

BODY = ("%ASA-6-302014: Teardown TCP connection 1 for outside:192.0.2.1/5000 to "
        "inside:10.0.0.1/22 duration 0:00:01 bytes 2 TCP FINs")
NAT = np.iinfo(np.int64).min
#: the zones of the property test: fixed offsets keep the reference a subtraction
DEVICE_MINUTES, RELAY_MINUTES, YEAR_GUESS = -300, 120, 2024


# -- a slow reference: the shape's spans read with int() and datetime -------------------------

def _fields(header: str, stamp: StampShape) -> dict:
    def number(span: tuple[int, int] | None) -> int | None:
        return None if span is None else int(header[span[0]:span[1]])

    fraction = 0
    if stamp.fraction is not None:
        fraction = number(stamp.fraction) * 10 ** (9 - (stamp.fraction[1] - stamp.fraction[0]))
    zone, zone_ok = None, True
    if isinstance(stamp.zone, int):
        zone = stamp.zone
    elif stamp.zone is not None:
        sign, hours, minutes = stamp.zone
        zone = sign * (number(hours) * 60 + number(minutes))
        zone_ok = number(minutes) <= 59 and abs(zone) <= 14 * 60
    return {"month": stamp.month if isinstance(stamp.month, int) else number(stamp.month),
            "day": number(stamp.day), "hour": number(stamp.hour),
            "minute": number(stamp.minute), "second": number(stamp.second),
            "year": number(stamp.year), "fraction": fraction, "zone": zone,
            "zone_ok": zone_ok}


def _naive(f: dict, year: int) -> int | None:
    year = f["year"] if f["year"] is not None else year
    if not (MIN_YEAR <= year <= MAX_YEAR and f["hour"] <= 23 and f["minute"] <= 59
            and f["second"] <= 60):
        return None
    try:
        day = datetime(year, f["month"], f["day"])
    except ValueError:
        return None
    seconds = f["hour"] * 3600 + f["minute"] * 60 + min(f["second"], 59)
    return pd.Timestamp(day).value + seconds * 10**9 + f["fraction"]


def _utc(naive: int, code: int) -> int:
    minutes = {ZONE_DEVICE: DEVICE_MINUTES, ZONE_RELAY: RELAY_MINUTES}.get(code, code)
    return naive - minutes * 60 * 10**9


def reference(header: str) -> tuple[tuple, tuple[str | None, float] | None]:
    """(the header's reading: ("reject", reason) or (device, local ns, zone, year-less);
    its (device, relay-minus-device seconds) when both clocks give a time)."""
    shape = parse_shape(re.sub("[0-9]", "0", header))
    if shape.error:
        return ("reject", shape.error), None
    device = header[shape.device[0]:shape.device[1]] if shape.device else None
    if shape.stamp is None:
        return (device, NAT, ZONE_DEVICE, False), None
    dating = _fields(header, shape.stamp)
    local = _naive(dating, 2000)
    if local is None:
        return ("reject", INVALID_STAMP), None
    if not dating["zone_ok"]:
        return ("reject", INVALID_OFFSET), None
    code = dating["zone"] if dating["zone"] is not None else shape.role
    reading = (device, local, code, dating["year"] is None)
    if shape.relay is None:
        return reading, None
    relay = _fields(header, shape.relay)
    year = next(y for y in (dating["year"], relay["year"], YEAR_GUESS) if y is not None)
    device_naive, relay_naive = _naive(dating, year), _naive(relay, year)
    if device_naive is None or relay_naive is None:
        return reading, None
    relay_code = relay["zone"] if relay["zone"] is not None else ZONE_RELAY
    device_utc = _utc(device_naive, code)
    offset = _utc(relay_naive, relay_code) - device_utc
    half_year = 182 * 86_400 * 10**9
    if relay["year"] is None and abs(offset) > half_year:  # read across New Year
        moved = _naive(relay, year - 1 if offset > 0 else year + 1)
        if moved is None:
            return reading, None
        offset = _utc(moved, relay_code) - device_utc
    return reading, (device, round(offset / 1e9, 3))


# -- random headers in the grammar's pieces, with digits in and out of range -------------------

def _digits(low: int, high: int, width: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda v: f"{v:0{width}d}")


_YEARS = st.one_of(_digits(1968, 2202, 4), _digits(0, 9999, 4))
_FRACTION = st.one_of(st.just(""), st.integers(1, 9).flatmap(
    lambda n: _digits(0, 10**n - 1, n).map(lambda d: "." + d)))
_ZONE = st.sampled_from(["", "Z", " UTC", " CEST", "+02:00", "-0430", " +14:00", "+14:01",
                         "-15:00", "+01:60", "+00:00"])


@st.composite
def _stamp(draw: st.DrawFn) -> str:
    time = (f"{draw(_digits(0, 25, draw(st.sampled_from([1, 2]))))}:{draw(_digits(0, 61, 2))}"
            f":{draw(_digits(0, 61, 2))}{draw(_FRACTION)}{draw(_ZONE)}")
    if draw(st.booleans()):
        return f"{draw(_YEARS)}-{draw(_digits(0, 13, 2))}-{draw(_digits(0, 32, 2))}T{time}"
    month = draw(st.sampled_from(["Jan", "Feb", "feb", "Mar", "Jun", "SEP", "Dec"]))
    day = draw(st.one_of(_digits(0, 32, 2), _digits(1, 9, 1).map(lambda d: " " + d)))
    year = draw(st.one_of(st.just(""), _YEARS.map(lambda y: " " + y)))
    weekday = draw(st.sampled_from(["", "Wed ", "Sat, "]))
    return f"{weekday}{month} {day}{year} {time}"


_HOSTS = st.one_of(
    st.sampled_from(["fw", "asa-01", "relay.example.com", "10.0.0.1", "h\u00e9te-\u00fc",
                     "10.0.100.2:514", "CiscoASA[999]:", "local4.info", "<IP>", "-"]),
    st.text(st.sampled_from("ab0-._:\u00e9"), min_size=1, max_size=12))


@st.composite
def header(draw: st.DrawFn) -> str:
    parts = [draw(st.sampled_from(["", "<166>", "<0>"]))]
    for piece in draw(st.lists(st.sampled_from(["stamp", "host"]), max_size=4)):
        parts.append(draw(_stamp()) if piece == "stamp" else draw(_HOSTS))
    separator = draw(st.sampled_from([" ", "\t"]))
    return separator.join(parts).lstrip() + draw(st.sampled_from([": ", " : ", " ", ":", ""]))


def _read(headers: list[str]) -> Heads:
    block = "".join(f"{h}%ASA-6-302014: x\n" for h in headers).encode()
    lines = split_lines(block)
    return read_heads(lines.data, lines.starts, lines.cut, parse_zone("-05:00"),
                      parse_zone("+02:00", parameter="relay_tz"), YEAR_GUESS)


@settings(max_examples=300, deadline=None)
@given(st.lists(header(), min_size=1, max_size=30))
def test_compiled_reading_equals_the_reference(headers: list[str]) -> None:
    heads = _read(headers)
    expected_offsets: Counter[tuple[str | None, float]] = Counter()
    for i, text in enumerate(headers):
        expected, offset = reference(text)
        if expected[0] == "reject":
            assert heads.status[i] != 0, text
            assert heads.reasons(np.array([i])) == [expected[1]], text
            continue
        assert heads.status[i] == 0, (text, heads.reasons(np.array([i])))
        device = heads.devices[heads.device[i]] if heads.device[i] >= 0 else None
        got = (device, int(heads.local_ns[i]), int(heads.zone[i]), bool(heads.yearless[i]))
        assert got == expected, text
        if offset is not None:
            expected_offsets[offset] += 1
    got_offsets = Counter({(d, s): n for d, s, n in heads.offsets(np.arange(len(headers)))})
    assert got_offsets == expected_offsets


def test_recorded_values_of_the_two_clock_shapes() -> None:
    """Values worked out by hand (device clock -05:00, relay clock +02:00)."""
    heads = _read([
        # relay 2024-12-31 21:59:10 UTC is a year ahead of 2024-01-01 10:59:09 UTC: moved back
        "Dec 31 23:59:10 relay Jan 01 2024 05:59:09 fw: ",
        # relay 2023-01-01 is a year behind the device's 2023-12-31 23:00 UTC: moved forward
        "Jan  1 00:00:05 relay 2023-12-31T23:00:00+00:00 fw: ",
        # no 30 February: no offset, the line keeps its time
        "Feb 30 00:00:05 relay Mar 01 2024 00:00:00 fw2: ",
        # a year-less device stamp borrows the relay's year (29 February 2024 exists)
        "Jan 01 2024 00:00:00 relay Feb 29 00:00:00 fw2: ",
        # 185 days behind: moved to 29 February 2025, which does not exist: no offset
        "Feb 29 10:00:00 relay Sep 01 2024 00:00:00 fw3: "])
    assert heads.status.tolist() == [0, 0, 0, 0, 0]
    assert [heads.devices[d] for d in heads.device] == ["fw", "fw", "fw2", "fw2", "fw3"]
    assert heads.offsets(np.arange(5)) == [("fw", -46_799.0, 1), ("fw", -3_595.0, 1),
                                           ("fw2", -5_122_800.0, 1)]
    assert heads.offsets(np.array([1, 1, 3])) == [("fw", -3_595.0, 2), ("fw2", -5_122_800.0, 1)]
    assert pd.Timestamp(heads.local_ns[3]) == pd.Timestamp("2000-02-29")  # year-less: in 2000
    assert heads.yearless.tolist() == [False, False, False, True, False]


# -- the pass's own edge cases, read end to end -------------------------------------------------

def test_headers_across_word_boundaries_and_repeats() -> None:
    """Headers of every length around the 8-byte words, each twice (the second time the same
    bytes as the first, then one digit changed): devices and times read at every length."""
    lines, hosts = [], []
    for k in range(1, 30):
        host = "h" * k
        hosts += [host] * 3
        lines += [f"Oct 10 2018 12:34:56 {host} : {BODY}", f"Oct 10 2018 12:34:56 {host} : {BODY}",
                  f"Oct 10 2018 12:34:57 {host} : {BODY}"]
    frame = read("\n".join(lines) + "\n")
    assert list(frame.device) == hosts
    assert list(frame.time) == [ts("2018-10-10 12:34:56"), ts("2018-10-10 12:34:56"),
                                ts("2018-10-10 12:34:57")] * 29


def test_host_names_of_one_length_that_alternate() -> None:
    """Two devices whose headers differ only in the host name (same length, same last bytes
    but one) and a relay header between them: each line keeps its own device and time."""
    hosts = ["fw-east", "fw-west", "fw-east", "fw-west", "fw-west", "fw-east"]
    lines = [f"Jun  2 19:00:0{i} relay-01 Jun 03 2024 00:00:0{i % 3} {h}: {BODY}"
             for i, h in enumerate(hosts)]
    frame = read("\n".join(lines) + "\n", relay_tz="-05:00")
    assert list(frame.device) == hosts
    assert list(frame.time) == [ts(f"2024-06-03 00:00:0{i % 3}") for i in range(6)]
    # relay minus device: 0, 0, 3 s for fw-east and 0, 3, 3 s for fw-west: the medians
    assert frame.attrs["load_report"].clock_offsets == {
        "fw-east": pd.Timedelta(seconds=0), "fw-west": pd.Timedelta(seconds=3)}


def _letters(i: int) -> str:
    out = ""
    while True:
        out += "abcdefghijklmnopqrstuvwxyz"[i % 26]
        i //= 26
        if not i:
            return out


def test_a_block_of_thousands_of_shapes() -> None:
    """Every line a new shape (a host name of its own, of many lengths): the shape table grows
    and every line keeps its device and time."""
    hosts = [_letters(i) + "x" * (i % 70) for i in range(3000)]
    lines = [f"Oct 10 2018 12:{i // 60 % 60:02d}:{i % 60:02d} {h} : {BODY}"
             for i, h in enumerate(hosts)]
    frame = read("\n".join(lines) + "\n")
    assert list(frame.device) == hosts
    assert frame.time.iloc[-1] == ts("2018-10-10 12:49:59")


def test_header_longer_than_max_head_is_rejected_counting_characters() -> None:
    stamp = "Oct 10 2018 12:34:56 "
    fits = stamp + "\u00e9" * (MAX_HEAD - len(stamp) - 3) + " : "  # 512 characters, more bytes
    frame = read(f"{fits}{BODY}\n{fits}x{BODY}\n{'a' * 600} : {BODY}\n{'b1 ' * 3000}{BODY}\n")
    report = frame.attrs["load_report"]
    assert list(frame.device) == ["\u00e9" * (MAX_HEAD - len(stamp) - 3)]
    assert [r.line for r in report.rejects] == [2, 3, 4]
    assert all(f"syslog header longer than {MAX_HEAD} characters" in r.reason
               for r in report.rejects)


def test_non_ascii_and_latin_1_bytes_in_a_header() -> None:
    text = "Jun  2 16:54:07 relais-\u00e9 Jun 02 2009 21:54:05 pare-feu-\u00fc: " + BODY + "\n"
    frame = read(text, relay_tz="-05:00")
    assert (frame.device.iloc[0], frame.time.iloc[0]) == ("pare-feu-\u00fc",
                                                          ts("2009-06-02 21:54:05"))
    assert frame.attrs["load_report"].clock_offsets == {"pare-feu-\u00fc": pd.Timedelta(2, "s")}
    latin = read(text.encode("latin-1"), relay_tz="-05:00")  # invalid UTF-8: replaced
    assert (latin.device.iloc[0], latin.time.iloc[0]) == ("pare-feu-\ufffd",
                                                          ts("2009-06-02 21:54:05"))


def test_a_non_ascii_digit_in_a_stamp_is_an_invalid_stamp() -> None:
    """The grammar's ``\\d`` also matches "٣"; the old Arrow cast raised, the pass rejects."""
    frame = read(f"Jun \u0663 00:00:00 fw : {BODY}\n<166>Aug 28 2023 15:35:00 fw : {BODY}\n")
    report = frame.attrs["load_report"]
    assert (report.parsed, [r.line for r in report.rejects]) == (1, [1])
    assert INVALID_STAMP in report.rejects[0].reason


def test_digits_next_to_the_tag_and_at_the_end_of_the_block() -> None:
    """A header whose last byte is a digit right before ``%``, and a last line without its
    newline that ends in digits."""
    frame = read(f"<166>2024-06-26T01:35:42Z{BODY}\n"
                 f"Oct 10 2018 12:34:56 fw1 : {BODY.replace(' TCP FINs', '')}")
    assert list(frame.time) == [ts("2024-06-26 01:35:42"), ts("2018-10-10 12:34:56")]
    assert frame.bytes.tolist() == [2, 2]
    assert pd.isna(frame.device.iloc[0]) and frame.device.iloc[1] == "fw1"


@njit
def _masked_at(data: np.ndarray, at: int) -> np.uint64:
    return _masked_word(word_at(data, at))


@given(st.binary(min_size=8, max_size=24), st.integers(0, 16))
def test_masked_word_masks_exactly_the_ascii_digits(raw: bytes, at: int) -> None:
    at = min(at, len(raw) - 8)
    masked = bytes(48 if 48 <= b <= 57 else b for b in raw[at:at + 8])
    assert int(_masked_at(np.frombuffer(raw, np.uint8), at)) == int.from_bytes(masked, "little")
