"""Syslog headers in front of a Cisco message tag: which clock wrote which stamp, and the device.

A header is everything before the ``%ASA-`` tag. The shapes seen in the wild (domain.md §A3):
``<PRI>``, RFC 3164 stamps (space-padded day, with or without a year, fractional seconds), RFC
5424/3339 stamps with ``Z`` or an offset, zone names after a stamp, ``host :``, ``host:514 :
local4.info``, ``prog[pid]:``, a relay's header then the device's own stamp, the tab-separated
relay export, and the empty ``<166>::``.

Headers differ mostly in their digits, so they are read by *shape*: with every digit masked to
``0`` (numpy, then hashed like any repeated field, :func:`.columns.encode`), a block's thousands
of distinct headers fall into a handful of shapes. Each shape is parsed once in Python into
character spans (:func:`parse_shape`), and the values are then cut out of all headers of that
shape at once with Arrow kernels (:func:`read_heads`).

Which clock a stamp belongs to, in this order:

1. a stamp that carries a zone (``Z``, ``+02:00``, ``UTC``, ``CEST``) uses it;
2. with two stamps, the first (with its host) is the relay's and the second the device's;
3. a single stamp with a year, or one not followed by a host, is the device's;
4. a single ``stamp host`` followed by the message is the relay's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .columns import encode
from .zones import ZONE_ABBREVIATIONS, ZONE_DEVICE, ZONE_RELAY, Zone, localize, zone_minutes

#: year-less stamps are first placed in this (leap) year; the real year is settled per file.
YEARLESS_BASE = 2000
NAT = np.iinfo(np.int64).min
MAX_HEAD = 512
_ZERO, _NINE = ord("0"), ord("9")

_MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
_ABBREVIATIONS = "|".join(sorted((z for z in ZONE_ABBREVIATIONS if z != "Z"), key=len,
                                 reverse=True))
_STAMP = re.compile(
    r"(?:(?i:mon|tue|wed|thu|fri|sat|sun),?[ \t]+)?"
    r"(?:(?P<mon>(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))[ \t]+(?P<day>\d{1,2})"
    r"(?:,?[ \t]+(?P<year>\d{4}))?[ \t]+"
    r"|(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})[T ])"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2}):(?P<s>\d{2})(?:[.,](?P<frac>\d{1,9}))?"
    rf"(?:(?P<z>Z)|[ \t]?(?P<sign>[+-])(?P<zh>\d{{2}}):?(?P<zm>\d{{2}})"
    rf"|[ \t]+(?P<abbr>{_ABBREVIATIONS}))?"
    r"(?=[\s:]|$)"
)
_PRI = re.compile(r"<\d{1,3}>")
_TOKEN = re.compile(r"[^\s]+")
_FACILITY = re.compile(
    r"(?i:kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|local[0-7])"
    r"\.(?i:emerg|alert|crit|err|error|warning|warn|notice|info|debug|\*)")
_PROGRAM = re.compile(r"[\w./-]+\[\d+\]")
#: any non-space token: relays and sanitising tools write placeholders such as ``<IP>`` or ``-``
_HOST = re.compile(r"\S+")
_HOST_PORT = re.compile(r"([\w.-]+):\d{1,5}")

#: stamp years the kit accepts (the ``year=`` parameter's range): beyond them nanoseconds since
#: 1970 overflow int64 (2262) and a mistyped year would silently become 1677 or 1830
MIN_YEAR, MAX_YEAR = 1970, 2200
#: real UTC offsets run from -12:00 to +14:00; "+99:99" is a typo, not a 100-hour shift
MAX_OFFSET_MINUTES = 14 * 60
INVALID_STAMP = (f"invalid timestamp (month, day or time out of range, or a year outside "
                 f"{MIN_YEAR}-{MAX_YEAR})")
INVALID_OFFSET = "timestamp offset out of range (expected -12:00 to +14:00, minutes 00-59)"

Span = tuple[int, int]


@dataclass(frozen=True)
class StampShape:
    """Where a stamp's fields sit in its header; month and zone may be constants of the shape."""

    month: int | Span
    day: Span
    hour: Span
    minute: Span
    second: Span
    year: Span | None = None
    fraction: Span | None = None
    #: a zone named by letters (minutes east), or (sign, hours span, minutes span) of an offset
    zone: int | tuple[int, Span, Span] | None = None


@dataclass(frozen=True)
class Shape:
    """One header shape: the device's span, the stamp that dates the line, the relay's stamp."""

    device: Span | None = None
    stamp: StampShape | None = None
    #: which user zone applies to ``stamp`` when it names none (ZONE_DEVICE or ZONE_RELAY)
    role: int = ZONE_DEVICE
    relay: StampShape | None = None
    error: str | None = None


@lru_cache(maxsize=4096)
def parse_shape(masked: str) -> Shape:
    """Parse one header with its digits masked to ``0``; errors are returned, not raised."""
    if len(masked) > MAX_HEAD:
        return Shape(error=f"syslog header longer than {MAX_HEAD} characters")
    pos = 0
    if match := _PRI.match(masked):
        pos = match.end()
    stamps: list[tuple[StampShape, int]] = []  # each stamp with the number of hosts before it
    hosts: list[Span] = []
    while pos < len(masked):
        while pos < len(masked) and masked[pos] in " \t:":
            pos += 1
        if pos >= len(masked):
            break
        if (match := _STAMP.match(masked, pos)) is not None:
            if len(stamps) == 2:
                return Shape(error="more than two timestamps in the syslog header")
            stamps.append((_stamp_shape(match), len(hosts)))
            pos = match.end()
            continue
        token = _TOKEN.match(masked, pos)
        assert token is not None  # pos is at a non-space character
        pos = token.end()
        word = token.group().rstrip(":")
        if not word or _FACILITY.fullmatch(word) or _PROGRAM.fullmatch(word):
            continue
        if host_port := _HOST_PORT.fullmatch(word):
            word = host_port.group(1)
        if not _HOST.fullmatch(word) or len(hosts) == 2:
            return Shape(error=f"unrecognised syslog header {masked.strip()[:80]!r} (digits "
                               "shown as 0; expected [<PRI>][timestamp] [host] "
                               "[device timestamp] [device] :)")
        hosts.append((token.start(), token.start() + len(word)))
    device = hosts[-1] if hosts else None
    if not stamps:
        return Shape(device=device)
    if len(stamps) == 2:
        return Shape(device=device, stamp=stamps[1][0], role=ZONE_DEVICE, relay=stamps[0][0])
    stamp, hosts_before = stamps[0]
    role = ZONE_RELAY if stamp.year is None and len(hosts) > hosts_before else ZONE_DEVICE
    return Shape(device=device, stamp=stamp, role=role)


def _stamp_shape(match: re.Match[str]) -> StampShape:
    def span(name: str) -> Span | None:
        return match.span(name) if match.group(name) is not None else None

    zone: int | tuple[int, Span, Span] | None = None
    if match.group("z") or match.group("abbr"):
        zone = zone_minutes(match.group("z") or match.group("abbr"))
    elif match.group("sign"):
        zone = (-1 if match.group("sign") == "-" else 1, match.span("zh"), match.span("zm"))
    if match.group("mon"):
        return StampShape(_MONTHS[match.group("mon").lower()], match.span("day"), match.span("h"),
                          match.span("mi"), match.span("s"), span("year"), span("frac"), zone)
    return StampShape(match.span("im"), match.span("id"), match.span("h"), match.span("mi"),
                      match.span("s"), match.span("iy"), span("frac"), zone)


@dataclass
class Heads:
    """Per distinct header: what :func:`read_heads` found (arrays aligned with the input)."""

    device: np.ndarray        # int32 index into ``devices`` (-1: no device named)
    devices: list[str]
    local_ns: np.ndarray      # naive local time of the dating stamp (NaT if none)
    zone: np.ndarray          # int16 zone code (ZONE_DEVICE, ZONE_RELAY or minutes east)
    yearless: np.ndarray      # bool
    offset_s: np.ndarray      # float relay-minus-device seconds (NaN without both clocks)
    error: list[str | None]


def read_heads(heads: pa.Array, device_zone: Zone, relay_zone: Zone, year_guess: int) -> Heads:
    """Read distinct headers shape by shape (see the module docstring).

    ``year_guess`` stands in for missing years when measuring the relay-minus-device offset.
    """
    n = len(heads)
    out = Heads(np.full(n, -1, np.int32), [], np.full(n, NAT, np.int64),
                np.full(n, ZONE_DEVICE, np.int16), np.zeros(n, bool), np.full(n, np.nan),
                [None] * n)
    which, shapes = _shapes(heads)
    for k, masked in enumerate(shapes.to_pylist()):
        rows = np.flatnonzero(which == k)
        shape = parse_shape(masked)
        if shape.error:
            for i in rows:
                out.error[i] = shape.error
            continue
        _read_shape(shape, heads.take(pa.array(rows)), rows, out, device_zone, relay_zone,
                    year_guess)
    return out


def _shapes(heads: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Each header's shape (its digits masked to ``0``): (code per header, distinct shapes)."""
    heads = heads.cast(pa.large_string())
    _, offsets, data = heads.buffers()
    bounds = np.frombuffer(offsets, np.int64, len(heads) + 1, heads.offset * 8)
    text = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
    masked = np.where((text >= _ZERO) & (text <= _NINE), _ZERO, text).astype(np.uint8)
    return encode(masked, bounds[:-1], bounds[1:])


def _read_shape(shape: Shape, text: pa.Array, rows: np.ndarray, out: Heads, device_zone: Zone,
                relay_zone: Zone, year_guess: int) -> None:
    if shape.device is not None:  # few distinct names: encode, then map them to the table's
        names = pc.dictionary_encode(pc.utf8_slice_codeunits(text, *shape.device))
        codes = np.array([_code(out.devices, name) for name in names.dictionary.to_pylist()],
                         dtype=np.int32)
        out.device[rows] = codes[names.indices.to_numpy(zero_copy_only=False)]
    if shape.stamp is None:
        return
    fields = _fields(text, shape.stamp)
    local, valid = _naive(fields, None)
    for i in rows[~valid]:
        out.error[i] = INVALID_STAMP
    bad_zone = valid & ~fields["zone_ok"]
    for i in rows[bad_zone]:
        out.error[i] = INVALID_OFFSET
    valid &= ~bad_zone
    out.local_ns[rows] = np.where(valid, local, NAT)
    out.zone[rows] = fields["zone"] if fields["zone"] is not None else shape.role
    out.yearless[rows] = shape.stamp.year is None
    if shape.relay is not None:
        out.offset_s[rows] = _offsets(fields, _fields(text, shape.relay), device_zone,
                                      relay_zone, year_guess)


def _code(names: list[str], name: str) -> int:
    if name not in names:
        names.append(name)
    return names.index(name)


def _fields(text: pa.Array, stamp: StampShape) -> dict[str, np.ndarray | None]:
    """The stamp's numbers for every header of the shape (None for a field it lacks)."""
    def number(span: Span | None) -> np.ndarray | None:
        if span is None:
            return None
        cut = pc.utf8_slice_codeunits(text, *span)
        return pc.cast(cut, pa.int64()).to_numpy(zero_copy_only=False)

    n = len(text)
    month = (np.full(n, stamp.month, np.int64) if isinstance(stamp.month, int)
             else number(stamp.month))
    fraction = number(stamp.fraction)
    if fraction is not None and stamp.fraction is not None:
        fraction = fraction * 10 ** (9 - (stamp.fraction[1] - stamp.fraction[0]))
    zone, zone_ok = None, np.ones(n, bool)
    if isinstance(stamp.zone, int):
        zone = np.full(n, stamp.zone, np.int64)
    elif stamp.zone is not None:
        sign, hours, minutes = stamp.zone
        zone = sign * (number(hours) * 60 + number(minutes))
        zone_ok = (number(minutes) <= 59) & (np.abs(zone) <= MAX_OFFSET_MINUTES)
    return {"year": number(stamp.year), "month": month, "day": number(stamp.day),
            "hour": number(stamp.hour), "minute": number(stamp.minute),
            "second": number(stamp.second), "fraction": fraction, "zone": zone,
            "zone_ok": zone_ok}


def _naive(f: dict[str, np.ndarray | None], year: np.ndarray | None,
           ) -> tuple[np.ndarray, np.ndarray]:
    """Naive ns since 1970 and validity; the year is the stamp's, else ``year``, else 2000."""
    years = f["year"] if f["year"] is not None else year
    if years is None:
        years = np.full(len(f["month"]), YEARLESS_BASE, np.int64)
    month, day = f["month"], f["day"]
    valid = ((month >= 1) & (month <= 12) & (day >= 1) & (day <= 31) & (f["hour"] <= 23)
             & (f["minute"] <= 59) & (f["second"] <= 60) & (years >= MIN_YEAR)
             & (years <= MAX_YEAR))
    months = np.where(valid, (years - 1970) * 12 + month - 1, 0).astype("M8[M]")
    days = months.astype("M8[D]") + np.where(valid, day - 1, 0).astype("m8[D]")
    valid &= days.astype("M8[M]") == months  # no 30 February
    seconds = f["hour"] * 3600 + f["minute"] * 60 + np.minimum(f["second"], 59)
    ns = days.astype("M8[ns]").view(np.int64) + seconds * 10**9
    if f["fraction"] is not None:
        ns = ns + f["fraction"]
    return ns, valid


def _offsets(device: dict, relay: dict, device_zone: Zone, relay_zone: Zone,
             year_guess: int) -> np.ndarray:
    """Relay-minus-device seconds. A year-less stamp borrows the other's year (or
    ``year_guess``); a relay stamp read across New Year is moved to the neighbouring year."""
    n = len(device["month"])
    device_year = device["year"]
    if device_year is None:
        device_year = relay["year"] if relay["year"] is not None else np.full(n, year_guess)
    device_utc = _utc(device, device_year, ZONE_DEVICE, device_zone, relay_zone)
    relay_utc = _utc(relay, device_year, ZONE_RELAY, device_zone, relay_zone)
    offset = (relay_utc - device_utc).astype(float)
    if relay["year"] is None:
        half_year = 182 * 86_400 * 1e9
        for step, wrong in ((-1, offset > half_year), (1, offset < -half_year)):
            if wrong.any():
                moved = _utc(relay, device_year + step, ZONE_RELAY, device_zone, relay_zone)
                offset = np.where(wrong, (moved - device_utc).astype(float), offset)
    offset[(device_utc == NAT) | (relay_utc == NAT)] = np.nan
    return offset / 1e9


def _utc(fields: dict, year: np.ndarray, role: int, device_zone: Zone, relay_zone: Zone,
         ) -> np.ndarray:
    local, valid = _naive(fields, year)
    codes = fields["zone"] if fields["zone"] is not None else np.full(len(local), role)
    return np.where(valid, localize(np.where(valid, local, NAT), codes, device_zone, relay_zone),
                    NAT)
