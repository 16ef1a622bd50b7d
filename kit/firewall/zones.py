"""Time zones of syslog clocks: what the user may pass as ``tz=``/``relay_tz=``, the zone
abbreviations stamps carry, and the vectorised local-time -> UTC conversion.

A stamp that names its zone (``Z``, ``+02:00``, ``CEST``) is converted with that fixed offset; a
stamp without one uses the zone the user stated for that clock, which may be an IANA name with
daylight saving (each stamp then gets the offset in force at that moment).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

#: zone abbreviations seen in syslog stamps -> minutes east of UTC. Ambiguous ones take their
#: most common (US / European) meaning: CST is US Central, IST is not listed (India? Ireland?).
ZONE_ABBREVIATIONS: dict[str, int] = {
    "UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 60, "BST": 60,
    "CET": 60, "CEST": 120, "MET": 60, "MEST": 120, "EET": 120, "EEST": 180, "MSK": 180,
    "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360,
    "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600,
    "JST": 540, "KST": 540, "HKT": 480, "SGT": 480, "AWST": 480,
    "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
}

#: zone codes stored per line next to its naive local time: these two stand for the user's
#: ``tz`` and ``relay_tz``; any other value is a fixed offset in minutes east of UTC.
ZONE_DEVICE = -32768
ZONE_RELAY = -32767

_OFFSET = re.compile(r"^(?:UTC|GMT)?([+-])(\d{1,2}):?(\d{2})?$")
_NS_PER_MINUTE = 60 * 10**9


@dataclass(frozen=True)
class Zone:
    """A clock's zone: a fixed offset (minutes east of UTC) or an IANA zone with DST rules."""

    name: str
    minutes: int | None = None
    iana: ZoneInfo | None = None

    def to_utc(self, local_ns: np.ndarray) -> np.ndarray:
        """Naive local times (int64 ns, NaT allowed) -> UTC int64 ns.

        Daylight-saving edges: a repeated (ambiguous) local hour is resolved from the order of the
        stamps where possible, else read as the first (summer-time) occurrence; a skipped
        (non-existent) local time is moved forward to the first valid instant.
        """
        values = np.asarray(local_ns, dtype=np.int64)
        if self.iana is None:
            nat = values == np.iinfo(np.int64).min
            return np.where(nat, values, values - (self.minutes or 0) * _NS_PER_MINUTE)
        index = pd.DatetimeIndex(values.view("M8[ns]"))
        try:
            aware = index.tz_localize(self.iana, ambiguous="infer", nonexistent="shift_forward")
        except ValueError:  # ambiguous stamps out of order: take summer time
            aware = index.tz_localize(self.iana, ambiguous=np.ones(len(index), dtype=bool),
                                      nonexistent="shift_forward")
        return aware.tz_convert("UTC").tz_localize(None).asi8


def parse_zone(spec: str | tzinfo | None, *, parameter: str = "tz") -> Zone:
    """Read a user's zone: ``"UTC"``, a fixed offset (``"+02:00"``, ``"-0500"``), an abbreviation
    from :data:`ZONE_ABBREVIATIONS`, an IANA name (``"America/Chicago"``) or a ``tzinfo``.

    Raises
    ------
    ValueError
        Naming the parameter and what was expected.
    """
    if spec is None:
        return Zone("UTC", 0)
    if isinstance(spec, ZoneInfo):
        return Zone(spec.key, iana=spec)
    if isinstance(spec, tzinfo):
        offset = spec.utcoffset(None)
        if offset is None:
            raise ValueError(f"{parameter}={spec!r}: a tzinfo without a fixed offset; "
                             "pass an IANA name such as 'America/Chicago' instead")
        return Zone(str(spec), offset // timedelta(minutes=1))
    if not isinstance(spec, str):
        raise TypeError(f"{parameter} must be a zone name or offset string, not "
                        f"{type(spec).__name__}")
    text = spec.strip()
    minutes = zone_minutes(text)
    if minutes is not None:
        return Zone(text, minutes)
    try:
        return Zone(text, iana=ZoneInfo(text))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"{parameter}={spec!r} is not a time zone: expected 'UTC', an offset like '+02:00' "
            "or '-0500', or an IANA name like 'America/Chicago'"
        ) from exc


def zone_minutes(text: str) -> int | None:
    """Minutes east of UTC for an abbreviation or a ``±HH[:]MM`` offset, else None."""
    upper = text.upper()
    if upper in ZONE_ABBREVIATIONS:
        return ZONE_ABBREVIATIONS[upper]
    match = _OFFSET.match(upper)
    if not match:
        return None
    sign, hours, minutes = match.groups()
    total = int(hours) * 60 + int(minutes or 0)
    if total > 18 * 60:
        return None
    return -total if sign == "-" else total


def localize(local_ns: np.ndarray, codes: np.ndarray, device_zone: Zone, relay_zone: Zone,
             ) -> np.ndarray:
    """Naive local int64 ns -> UTC int64 ns, each row with the zone its code names."""
    utc = np.full(len(local_ns), np.iinfo(np.int64).min, dtype=np.int64)
    for code in np.unique(codes):
        at = np.flatnonzero(codes == code)
        if code == ZONE_DEVICE:
            zone = device_zone
        elif code == ZONE_RELAY:
            zone = relay_zone
        else:
            zone = Zone(f"{int(code):+d} min", int(code))
        utc[at] = zone.to_utc(local_ns[at])
    return utc
