"""Syslog headers in front of a Cisco message tag: which clock wrote which stamp, and the device.

A header is everything before the ``%ASA-`` tag. The shapes seen in the wild (domain.md §A3):
``<PRI>``, RFC 3164 stamps (space-padded day, with or without a year, fractional seconds), RFC
5424/3339 stamps with ``Z`` or an offset, zone names after a stamp, ``host :``, ``host:514 :
local4.info``, ``prog[pid]:``, a relay's header then the device's own stamp, the tab-separated
relay export, and the empty ``<166>::``. Headers repeat a lot, so each distinct one is parsed once
(:func:`parse_head` is cached) and the result mapped back onto its lines.

Which clock a stamp belongs to, in this order:

1. a stamp that carries a zone (``Z``, ``+02:00``, ``UTC``, ``CEST``) uses it;
2. with two stamps, the first (with its host) is the relay's and the second the device's;
3. a single stamp with a year, or one not followed by a host, is the device's;
4. a single ``stamp host`` followed by the message is the relay's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from .zones import ZONE_ABBREVIATIONS, Zone, zone_minutes

#: zone codes stored per line next to the naive local time: these two name the user's zones;
#: any other value is a fixed offset in minutes east of UTC.
ZONE_DEVICE = -32768
ZONE_RELAY = -32767
#: year-less stamps are first placed in this (leap) year; the real year is settled per file.
YEARLESS_BASE = 2000

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
    rf"(?P<zone>Z|[ \t]?[+-]\d{{2}}:?\d{{2}}|[ \t]+(?:{_ABBREVIATIONS}))?"
    r"(?=[\s:]|$)"
)
_PRI = re.compile(r"<\d{1,3}>")
_TOKEN = re.compile(r"[^\s]+")
_FACILITY = re.compile(
    r"(?i:kern|user|mail|daemon|auth|syslog|lpr|news|uucp|cron|authpriv|ftp|local[0-7])"
    r"\.(?i:emerg|alert|crit|err|error|warning|warn|notice|info|debug|\*)")
_PROGRAM = re.compile(r"[\w./-]+\[\d+\]")
_HOST = re.compile(r"[\w.@-]+|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+")
_HOST_PORT = re.compile(r"([\w.-]+):\d{1,5}")
MAX_HEAD = 512


@dataclass(frozen=True)
class Stamp:
    """One timestamp as written: its fields, and the zone it names (minutes east), if any."""

    year: int | None
    month: int
    day: int
    hour: int
    minute: int
    second: int
    nanosecond: int
    zone: int | None

    def naive(self, year: int | None = None) -> datetime:
        """The wall-clock time (``year`` fills in a missing year; raises ValueError if invalid)."""
        return datetime(year or self.year or YEARLESS_BASE, self.month, self.day, self.hour,
                        self.minute, self.second)


@dataclass(frozen=True)
class Head:
    """What one distinct header says: the device, the stamp that dates the line, the relay's."""

    device: str | None = None
    stamp: Stamp | None = None
    #: which user zone applies to ``stamp`` when it names none (ZONE_DEVICE or ZONE_RELAY)
    role: int = ZONE_DEVICE
    relay: Stamp | None = None
    error: str | None = None

    @property
    def zone_code(self) -> int:
        if self.stamp is not None and self.stamp.zone is not None:
            return self.stamp.zone
        return self.role

    def local_ns(self) -> int | None:
        """Naive local time of ``stamp`` in ns (year-less stamps in YEARLESS_BASE), or None."""
        if self.stamp is None:
            return None
        moment = self.stamp.naive()
        return int((moment - _EPOCH) // timedelta(microseconds=1)) * 1000 + self.stamp.nanosecond

    def relay_offset(self, device_zone: Zone, relay_zone: Zone, year: int) -> float | None:
        """Seconds the relay's clock is ahead of the device's (None without both stamps).

        A year-less stamp borrows the other stamp's year (or ``year``); the relay's year is then
        chosen among the neighbouring ones so that a New-Year crossing is not read as a year.
        """
        if self.stamp is None or self.relay is None:
            return None
        device_year = self.stamp.year or self.relay.year or year
        device = _to_utc(self.stamp, device_year, device_zone)
        if self.relay.year is not None:
            return (_to_utc(self.relay, self.relay.year, relay_zone) - device).total_seconds()
        candidates = (_to_utc(self.relay, y, relay_zone) - device
                      for y in (device_year - 1, device_year, device_year + 1)
                      if _valid(self.relay, y))
        return min(candidates, key=abs, default=timedelta(0)).total_seconds()


_EPOCH = datetime(1970, 1, 1)


@lru_cache(maxsize=1 << 16)
def parse_head(text: str) -> Head:
    """Parse one header (the text before the ``%ASA-`` tag); errors are reported, not raised."""
    if len(text) > MAX_HEAD:
        return Head(error=f"syslog header longer than {MAX_HEAD} characters")
    pos = 0
    if match := _PRI.match(text):
        pos = match.end()
    stamps: list[tuple[Stamp, int]] = []  # each stamp with the number of hosts before it
    hosts: list[str] = []
    while pos < len(text):
        while pos < len(text) and text[pos] in " \t:":
            pos += 1
        if pos >= len(text):
            break
        if (match := _STAMP.match(text, pos)) is not None:
            stamp = _stamp(match)
            if stamp is None:
                return Head(error=f"invalid timestamp {match.group().strip()!r}")
            if len(stamps) == 2:
                return Head(error="more than two timestamps in the syslog header")
            stamps.append((stamp, len(hosts)))
            pos = match.end()
            continue
        token = _TOKEN.match(text, pos)
        assert token is not None  # pos is at a non-space character
        pos = token.end()
        word = token.group().rstrip(":")
        if not word or _FACILITY.fullmatch(word) or _PROGRAM.fullmatch(word):
            continue
        if host_port := _HOST_PORT.fullmatch(word):
            word = host_port.group(1)
        if not _HOST.fullmatch(word) or len(hosts) == 2:
            return Head(error=f"unrecognised syslog header {text.strip()[:80]!r} (expected "
                              "[<PRI>][timestamp] [host] [device timestamp] [device] :)")
        hosts.append(word)
    device = hosts[-1] if hosts else None
    if not stamps:
        return Head(device=device)
    if len(stamps) == 2:
        return Head(device=device, stamp=stamps[1][0], role=ZONE_DEVICE, relay=stamps[0][0])
    stamp, hosts_before = stamps[0]
    host_follows = len(hosts) > hosts_before
    role = ZONE_RELAY if stamp.year is None and host_follows else ZONE_DEVICE
    return Head(device=device, stamp=stamp, role=role)


def _stamp(match: re.Match[str]) -> Stamp | None:
    g = match.groupdict()
    if g["mon"]:
        year = int(g["year"]) if g["year"] else None
        month, day = _MONTHS[g["mon"].lower()], int(g["day"])
    else:
        year, month, day = int(g["iy"]), int(g["im"]), int(g["id"])
    frac = g["frac"] or ""
    zone = None
    if g["zone"]:
        zone = zone_minutes(g["zone"].strip())
    stamp = Stamp(year, month, day, int(g["h"]), int(g["mi"]), int(g["s"]),
                  int(frac.ljust(9, "0")) if frac else 0, zone)
    return stamp if _valid(stamp, year or YEARLESS_BASE) else None


def _valid(stamp: Stamp, year: int) -> bool:
    try:
        stamp.naive(year)
    except ValueError:
        return False
    return True


def _to_utc(stamp: Stamp, year: int, zone: Zone) -> datetime:
    moment = stamp.naive(year) + timedelta(microseconds=stamp.nanosecond // 1000)
    if stamp.zone is not None:
        return moment - timedelta(minutes=stamp.zone)
    if zone.iana is not None:
        offset = moment.replace(tzinfo=zone.iana).utcoffset() or timedelta(0)
        return moment - offset
    return moment - timedelta(minutes=zone.minutes or 0)
