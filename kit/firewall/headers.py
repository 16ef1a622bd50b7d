"""Syslog headers in front of a Cisco message tag: which clock wrote which stamp, and the device.

A header is everything before the ``%ASA-`` tag. The shapes seen in the wild (domain.md §A3):
``<PRI>``, RFC 3164 stamps (space-padded day, with or without a year, fractional seconds), RFC
5424/3339 stamps with ``Z`` or an offset, zone names after a stamp, ``host :``, ``host:514 :
local4.info``, ``prog[pid]:``, a relay's header then the device's own stamp, the tab-separated
relay export, and the empty ``<166>::``.

Headers differ mostly in their digits, so they are read by *shape*: with every digit masked to
``0``, a block's thousands of distinct headers fall into a handful of shapes. Each shape is
parsed once in Python into character spans (:func:`parse_shape`, this module: the grammar and
the rules below), and every header's numbers are then read in place at its shape's spans by a
compiled pass (:mod:`.header_fields`), with the range checks stated here (:data:`MIN_YEAR`,
:data:`MAX_OFFSET_MINUTES`, :data:`INVALID_STAMP`, :data:`INVALID_OFFSET`).

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

from .zones import ZONE_ABBREVIATIONS, ZONE_DEVICE, ZONE_RELAY, zone_minutes

#: year-less stamps are first placed in this (leap) year; the real year is settled per file.
YEARLESS_BASE = 2000
MAX_HEAD = 512

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
