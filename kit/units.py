"""The kit's one vocabulary for durations and time zones.

Every place a user states a duration or a zone (the Python API, ``case.toml``, the ``kit``
command, the widgets, ``read_firewall_log(tz=, relay_tz=)``) reads it through this module, so the
same text means the same thing everywhere.

Durations (``parse_duration``)
    A bare number is **seconds** (``900``, ``"900"``, ``1800.5``); ``"H:MM:SS"`` as firewalls print
    it (hours may pass 24, ``"1 day 02:00:00"`` too); units ``"1h"``, ``"15min"``, ``"90s"``,
    ``"1h30m"``, ``"2 days"``; ``datetime.timedelta``, ``pandas.Timedelta``, ``numpy.timedelta64``.
    Ranges are checked once, here: not NaN or infinite, and within (``low``, ``high``].

Time zones (``parse_zone``)
    An IANA name (``"Europe/Berlin"``), UTC (``"UTC"``, ``"GMT"``, ``"Z"``), a fixed offset
    (``"+02:00"``, ``"-0500"``, ``"+2"``, ``"UTC+2"``, ``"GMT-05:00"``; between -12:00 and +14:00),
    a ``tzinfo``, or an abbreviation with one meaning in ``ZONE_ABBREVIATIONS`` (``"CEST"`` is
    +02:00). An abbreviation with several meanings (``"IST"``) is refused, naming the IANA zones it
    could mean. Log stamps that carry an abbreviation use the same table.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from .errors import KitError

__all__ = [
    "AMBIGUOUS_ABBREVIATIONS", "MAX_DURATION", "ZONE_ABBREVIATIONS", "TimeZone", "UnitError",
    "fixed_offset_minutes", "optional_duration", "parse_duration", "parse_zone",
]


class UnitError(KitError, ValueError):
    """A duration or a time zone the kit cannot read; the message names the parameter."""


# -- durations -------------------------------------------------------------------------------------

#: the longest duration any parameter accepts (a year: far above any firewall or keepalive timer,
#: far below where nanosecond arithmetic overflows)
MAX_DURATION = pd.Timedelta(days=366)

_UNIT_SECONDS = {
    "ms": 0.001, "msec": 0.001, "millisecond": 0.001, "milliseconds": 0.001,
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
}
_NUMBER = r"\d+(?:\.\d*)?|\.\d+"
_BARE = re.compile(rf"^(?:{_NUMBER})$")
_HMS = re.compile(
    r"^(?:(?P<days>\d+)\s*days?,?\s+)?(?P<h>\d+):(?P<m>[0-5]?\d):(?P<s>[0-5]?\d(?:\.\d+)?)$")
_PART = re.compile(rf"\s*({_NUMBER})\s*([a-z]+)", re.IGNORECASE)
_FORMS = ('a number of seconds (900), "H:MM:SS" ("1:00:00"), or a number with a unit ("15min", '
          '"1h", "90s")')


def parse_duration(value: Any, *, name: str = "duration", low: pd.Timedelta | None = None,
                   high: pd.Timedelta = MAX_DURATION, allow_zero: bool = False) -> pd.Timedelta:
    """Read a duration in the kit's grammar (see the module docstring).

    Parameters
    ----------
    value
        A number of seconds, a string, or a timedelta.
    name
        The parameter's name, for the message (``"keepalive"``, ``"[firewall] idle_timeout"``).
    low, high
        Bounds; by default the duration must be above zero and at most ``MAX_DURATION``.
    allow_zero
        Accept exactly zero (otherwise zero is refused like a negative duration).

    Returns
    -------
    pandas.Timedelta

    Raises
    ------
    UnitError
        Naming ``name``, the value and the accepted forms.
    """
    seconds = _seconds(value, name)
    if not math.isfinite(seconds):
        raise UnitError(f"{name} = {value!r} is not a finite duration; write {_FORMS}")
    zero_ok = allow_zero and seconds == 0
    if (seconds < 0 or (seconds == 0 and not zero_ok)
            or (low is not None and seconds < low.total_seconds())):
        floor = f"at least {_text(low)}" if low is not None else "above zero"
        raise UnitError(f"{name} = {value!r} is out of range: a duration must be {floor}")
    if seconds > high.total_seconds():
        raise UnitError(f"{name} = {value!r} is out of range: at most {_text(high)} "
                        f"({high.total_seconds():,.0f} s) is accepted")
    return pd.Timedelta(seconds=seconds).round("us") if seconds % 1 else \
        pd.Timedelta(seconds=int(seconds))


def optional_duration(value: Any, **kwargs: Any) -> pd.Timedelta | None:
    """``parse_duration``, with None meaning "not given" (NaN and NaT are refused)."""
    if value is None:
        return None
    return parse_duration(value, **kwargs)


def _is_missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _seconds(value: Any, name: str) -> float:
    """The value as seconds (may be inf/NaN/negative: the caller checks the range)."""
    if isinstance(value, bool) or value is None:
        raise UnitError(f"{name} = {value!r} is not a duration; write {_FORMS}")
    if isinstance(value, (pd.Timedelta, dt.timedelta, np.timedelta64)):
        if _is_missing(value):
            raise UnitError(f"{name} is NaT (no duration); write {_FORMS}")
        return pd.Timedelta(value).total_seconds()
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, str):
        return _text_seconds(value.strip(), value, name)
    raise UnitError(f"{name} = {value!r} ({type(value).__name__}) is not a duration; "
                    f"write {_FORMS}")


def _text_seconds(text: str, value: str, name: str) -> float:
    if _BARE.match(text):
        return float(text)
    if match := _HMS.match(text):
        return (int(match["days"] or 0) * 86400 + int(match["h"]) * 3600
                + int(match["m"]) * 60 + float(match["s"]))
    parts = _PART.findall(text)
    if parts and "".join(_PART.sub("", text).split()) == "":
        units = [unit.lower() for _, unit in parts]
        if all(unit in _UNIT_SECONDS for unit in units) and len(set(units)) == len(units):
            return sum(float(number) * _UNIT_SECONDS[unit.lower()] for number, unit in parts)
    hint = (' ("15:00" could be minutes or hours: write "0:15:00" or "15min")'
            if re.fullmatch(r"\d+:\d+", text) else "")
    raise UnitError(f"{name} = {value!r} is not a duration{hint}; write {_FORMS}")


def _text(value: pd.Timedelta) -> str:
    total = int(value.total_seconds())
    hours, rest = divmod(total, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


# -- time zones ------------------------------------------------------------------------------------

#: zone abbreviations with one meaning in the kit -> minutes east of UTC. CST, EST, ... are the
#: North American zones (as US-configured firewalls print them); BST is British Summer Time.
ZONE_ABBREVIATIONS: dict[str, int] = {
    "UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 60, "BST": 60,
    "CET": 60, "CEST": 120, "MET": 60, "MEST": 120, "EET": 120, "EEST": 180, "MSK": 180,
    "EST": -300, "EDT": -240, "CST": -360, "CDT": -300, "MST": -420, "MDT": -360,
    "PST": -480, "PDT": -420, "AKST": -540, "AKDT": -480, "HST": -600,
    "JST": 540, "KST": 540, "HKT": 480, "SGT": 480, "AWST": 480,
    "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780,
}
#: abbreviations with several meanings: refused, naming the IANA zones they could mean
AMBIGUOUS_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "IST": ("Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"),
    "AST": ("America/Halifax", "Asia/Riyadh"),
    "ADT": ("America/Halifax", "Asia/Baghdad"),
    "GST": ("Asia/Dubai", "Atlantic/South_Georgia"),
    "SST": ("Pacific/Pago_Pago", "Asia/Singapore"),
    "ECT": ("America/Guayaquil", "Europe/Paris"),
    "CAT": ("Africa/Maputo", "America/Anchorage"),
    "PKT": ("Asia/Karachi",),
}
#: a fixed offset: sign, hours (1-2 digits), optional minutes, with an optional UTC/GMT prefix
_OFFSET = re.compile(r"^(?:UTC|GMT|UT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
#: real-world offsets run from -12:00 to +14:00
OFFSET_RANGE = (-12 * 60, 14 * 60)
_ZONE_FORMS = ('"UTC", a fixed offset such as "+02:00" or "UTC-5", or an IANA name such as '
               '"Europe/Berlin" or "America/Chicago"')


@dataclass(frozen=True)
class TimeZone:
    """A clock's zone: a fixed offset (``minutes`` east of UTC) or an IANA zone with its DST rules.

    ``name`` is the canonical spelling: ``"UTC"``, ``"+02:00"`` or the IANA key.
    """

    name: str
    minutes: int | None = None
    iana: ZoneInfo | None = None


def offset_name(minutes: int) -> str:
    """``+HH:MM`` for a fixed offset, ``"UTC"`` for zero."""
    if minutes == 0:
        return "UTC"
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"


def fixed_offset_minutes(text: str) -> int | None:
    """Minutes east of UTC for a one-meaning abbreviation or a fixed offset within
    ``OFFSET_RANGE``; None for anything else (an IANA name, an out-of-range offset)."""
    upper = text.strip().upper()
    if upper in ZONE_ABBREVIATIONS:
        return ZONE_ABBREVIATIONS[upper]
    match = _OFFSET.match(upper)
    if not match:
        return None
    sign, hours, minutes = match.groups()
    if int(minutes or 0) >= 60:
        return None
    total = (int(hours) * 60 + int(minutes or 0)) * (-1 if sign == "-" else 1)
    return total if OFFSET_RANGE[0] <= total <= OFFSET_RANGE[1] else None


def parse_zone(value: Any, *, name: str = "tz") -> TimeZone:
    """Read a time zone in the kit's grammar (see the module docstring).

    Parameters
    ----------
    value
        A string, a ``zoneinfo.ZoneInfo``, a fixed-offset ``tzinfo``, or None (UTC).
    name
        The parameter's name, for the message.

    Returns
    -------
    TimeZone

    Raises
    ------
    UnitError
        Naming ``name`` and the accepted forms; for an ambiguous abbreviation, the IANA zones it
        could mean; for an offset beyond -12:00..+14:00, the range.
    """
    if value is None:
        return TimeZone("UTC", 0)
    if isinstance(value, ZoneInfo):
        return TimeZone(value.key, iana=value)
    if isinstance(value, dt.tzinfo):
        offset = value.utcoffset(None)
        if offset is None:
            raise UnitError(f"{name} = {value!r}: a tzinfo without a fixed offset; pass an IANA "
                            "name such as 'America/Chicago' instead")
        return _fixed(offset // dt.timedelta(minutes=1), value, name)
    if not isinstance(value, str):
        raise UnitError(f"{name} = {value!r} ({type(value).__name__}) is not a time zone; "
                        f"write {_ZONE_FORMS}")
    text = value.strip()
    upper = text.upper()
    if upper in AMBIGUOUS_ABBREVIATIONS:
        could = ", ".join(AMBIGUOUS_ABBREVIATIONS[upper])
        raise UnitError(f"{name} = {value!r} is ambiguous: it could mean {could}; write the IANA "
                        "name of the zone you mean")
    minutes = fixed_offset_minutes(text)
    if minutes is not None:
        return TimeZone(offset_name(minutes), minutes)
    if _OFFSET.match(upper):
        raise UnitError(f"{name} = {value!r} is out of range: a UTC offset lies between -12:00 "
                        "and +14:00 (minutes below 60)")
    if text and ".." not in text and not text.startswith("/"):
        try:
            return TimeZone(text, iana=ZoneInfo(text))
        except (ZoneInfoNotFoundError, ValueError, OSError):
            pass
    raise UnitError(f"{name} = {value!r} is not a time zone; write {_ZONE_FORMS}")


def _fixed(minutes: int, value: Any, name: str) -> TimeZone:
    if not OFFSET_RANGE[0] <= minutes <= OFFSET_RANGE[1]:
        raise UnitError(f"{name} = {value!r} is out of range: a UTC offset lies between -12:00 "
                        "and +14:00")
    return TimeZone(offset_name(minutes), minutes)
