"""Time zones of syslog clocks: what the user may pass as ``tz=``/``relay_tz=``, the zone
abbreviations stamps carry, and the vectorised local-time -> UTC conversion.

A stamp that names its zone (``Z``, ``+02:00``, ``CEST``) is converted with that fixed offset; a
stamp without one uses the zone the user stated for that clock, which may be an IANA name with
daylight saving (each stamp then gets the offset in force at that moment).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from .. import units

#: zone abbreviations seen in syslog stamps -> minutes east of UTC: the kit's one table
#: (``kit.units``), so a stamp's "CEST" means what ``tz="CEST"`` means
ZONE_ABBREVIATIONS = units.ZONE_ABBREVIATIONS

#: zone codes stored per line next to its naive local time: these two stand for the user's
#: ``tz`` and ``relay_tz``; any other value is a fixed offset in minutes east of UTC.
ZONE_DEVICE = -32768
ZONE_RELAY = -32767

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
    """Read a user's zone in the kit's grammar (``kit.units.parse_zone``) into a ``Zone``.

    Raises
    ------
    kit.units.UnitError
        A ValueError naming the parameter and what was expected.
    """
    zone = units.parse_zone(spec, name=parameter)
    return Zone(zone.name, zone.minutes, zone.iana)


def zone_minutes(text: str) -> int | None:
    """Minutes east of UTC for an abbreviation or a ``±HH[:]MM`` offset, else None."""
    return units.fixed_offset_minutes(text)


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
