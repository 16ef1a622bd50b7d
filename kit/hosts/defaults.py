"""Every OS's keepalive settings in one table: names, units, defaults, valid ranges, detection rule.

Everything else in ``kit.hosts`` asks this module what a setting means, so units and defaults live
in exactly one place (domain.md §C1). Names are the OS's own spelling of each setting (Solaris 11
``ipadm`` names map onto their ``ndd`` twins); each setting plays one *role*:

- ``time``: idle time before the first probe (what must stay below the firewall's idle timeout);
- ``interval``: time between unanswered probes;
- ``probes``: how many unanswered probes before the connection is declared dead;
- ``abort``: Solaris and HP-UX declare a peer dead after an abort interval instead of a count.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

import pandas as pd

#: the OS labels of the ``os`` column, in display order
OS_NAMES: tuple[str, ...] = ("linux", "windows", "aix", "solaris", "hpux", "macos", "freebsd")

Role = Literal["time", "interval", "probes", "abort"]

#: role -> column of the keepalive frame (``abort`` has no column of its own)
ROLE_COLUMNS: dict[str, str] = {
    "time": "keepalive_time",
    "interval": "keepalive_interval",
    "probes": "keepalive_probes",
    "abort": "abort_interval",
}

#: the largest raw number any keepalive setting can hold (a 32-bit DWORD / unsigned int)
MAX_RAW = 2**32 - 1


class Unit(Enum):
    """The unit an OS writes a duration setting in."""

    SECONDS = "s"
    MILLISECONDS = "ms"
    HALF_SECONDS = "half-seconds"

    @property
    def nanoseconds(self) -> int:
        return {"s": 10**9, "ms": 10**6, "half-seconds": 5 * 10**8}[self.value]

    def to_timedelta(self, amount: int) -> pd.Timedelta:
        """The duration ``amount`` of this unit stands for."""
        return pd.Timedelta(amount * self.nanoseconds, unit="ns")

    def from_timedelta(self, duration: pd.Timedelta) -> int:
        """``duration`` in this unit, rounded down to a whole number of units."""
        return int(duration.value // self.nanoseconds)

    def describe(self, amount: int) -> str:
        """``'14,400 half-seconds (2 h)'``: the number as written and what it means."""
        return f"{amount:,} {self.value} ({readable(self.to_timedelta(amount))})"


@dataclass(frozen=True)
class SettingSpec:
    """One OS setting: its role, whether it is a duration (else a count) and its valid range."""

    role: Role
    low: int
    high: int
    duration: bool = True
    #: lower ranks win when two names play the same role (Solaris: keepalive abort over ip abort)
    rank: int = 0


@dataclass(frozen=True)
class OsKeepalive:
    """One OS's keepalive mechanics: its unit, defaults and how it decides a peer is dead."""

    os: str
    label: str
    unit: Unit
    settings: dict[str, SettingSpec]
    #: role -> default value (a Timedelta for durations, an int for probes); None = no such role
    defaults: dict[str, pd.Timedelta | int | None]
    #: "probes": dead after time + probes x interval; "abort": dead after time + abort interval
    rule: Literal["probes", "abort"]

    def spec(self, name: str) -> SettingSpec | None:
        return self.settings.get(name)

    def names_for(self, role: str) -> list[str]:
        """The setting names that play ``role``, preferred first."""
        return [n for _, n in sorted((s.rank, n) for n, s in self.settings.items()
                                     if s.role == role)]

    def name_of(self, role: str) -> str:
        """The preferred setting name for ``role`` (the one a command should change)."""
        names = self.names_for(role)
        if not names:
            raise KeyError(f"{self.label} has no setting for {role}")
        return names[0]

    @property
    def min_time(self) -> pd.Timedelta:
        """The shortest idle time the OS accepts before the first probe."""
        return self.unit.to_timedelta(self.settings[self.name_of("time")].low)

    def time_to_detect(self, values: dict[str, pd.Timedelta | int | None]) -> pd.Timedelta | None:
        """When a silent peer is declared dead, by this OS's own rule (None if unknown)."""
        time = values.get("time")
        if time is None:
            return None
        if self.rule == "abort":
            abort = values.get("abort")
            return None if abort is None else time + abort
        interval, probes = values.get("interval"), values.get("probes")
        if interval is None or probes is None:
            return None
        # in integer nanoseconds: 4 billion probes of a long interval overflow a Timedelta
        total = pd.Timedelta(time).value + pd.Timedelta(interval).value * int(probes)
        return pd.Timedelta(min(total, NEVER.value), unit="ns")


#: a time to detect beyond this (a century) means "never"; it is shown as this value
NEVER = pd.Timedelta(days=36_500)


def _ms(n: int) -> pd.Timedelta:
    return pd.Timedelta(n, unit="ms")


_S = pd.Timedelta(seconds=1)
_DWORD = MAX_RAW
_INT = 2**31 - 1
_TEN_DAYS_MS = 10 * 24 * 3600 * 1000

#: the table: one entry per OS (domain.md §C1; ranges from each OS's own documentation where it
#: states one, else the width of the kernel variable)
KEEPALIVE: dict[str, OsKeepalive] = {
    k.os: k
    for k in (
        OsKeepalive(
            "linux", "Linux", Unit.SECONDS,
            {
                "tcp_keepalive_time": SettingSpec("time", 1, _INT // 1000),
                "tcp_keepalive_intvl": SettingSpec("interval", 1, _INT // 1000),
                "tcp_keepalive_probes": SettingSpec("probes", 1, 255, duration=False),
            },
            {"time": 7200 * _S, "interval": 75 * _S, "probes": 9, "abort": None},
            "probes",
        ),
        OsKeepalive(
            "windows", "Windows", Unit.MILLISECONDS,
            {
                "KeepAliveTime": SettingSpec("time", 1, _DWORD),
                "KeepAliveInterval": SettingSpec("interval", 1, _DWORD),
            },
            {"time": _ms(7_200_000), "interval": _ms(1_000), "probes": 10, "abort": None},
            "probes",  # Windows (Vista+) always sends 10 probes: no setting for them
        ),
        OsKeepalive(
            "aix", "AIX", Unit.HALF_SECONDS,
            {
                "tcp_keepidle": SettingSpec("time", 1, _INT),
                "tcp_keepintvl": SettingSpec("interval", 1, 32767),
                "tcp_keepcnt": SettingSpec("probes", 1, _INT, duration=False),
            },
            {"time": 7200 * _S, "interval": 75 * _S, "probes": 8, "abort": None},
            "probes",
        ),
        OsKeepalive(
            "solaris", "Solaris", Unit.MILLISECONDS,
            {
                "tcp_keepalive_interval": SettingSpec("time", 10_000, _TEN_DAYS_MS),
                "tcp_keepalive_abort_interval": SettingSpec("abort", 0, _DWORD),
                # older releases abort keepalive with the retransmission abort timer: used only
                # when the dedicated keepalive abort interval is absent (both default to 8 min)
                "tcp_ip_abort_interval": SettingSpec("abort", 500, _DWORD, rank=1),
            },
            {"time": _ms(7_200_000), "interval": None, "probes": None, "abort": _ms(480_000)},
            "abort",
        ),
        OsKeepalive(
            "hpux", "HP-UX", Unit.MILLISECONDS,
            {
                "tcp_keepalive_interval": SettingSpec("time", 10_000, _TEN_DAYS_MS),
                "tcp_ip_notify_interval": SettingSpec("interval", 500, _DWORD),
                "tcp_ip_abort_interval": SettingSpec("abort", 500, _DWORD),
            },
            {"time": _ms(7_200_000), "interval": _ms(10_000), "probes": None,
             "abort": _ms(600_000)},
            "abort",
        ),
        *(
            OsKeepalive(
                os, label, Unit.MILLISECONDS,
                {
                    "keepidle": SettingSpec("time", 1, _INT),
                    "keepintvl": SettingSpec("interval", 1, _INT),
                    "keepcnt": SettingSpec("probes", 1, _INT, duration=False),
                },
                {"time": _ms(7_200_000), "interval": _ms(75_000), "probes": 8, "abort": None},
                "probes",
            )
            for os, label in (("macos", "macOS"), ("freebsd", "FreeBSD"))
        ),
    )
}


def keepalive_of(os: str) -> OsKeepalive:
    """The table entry of ``os`` (one of ``OS_NAMES``)."""
    try:
        return KEEPALIVE[os]
    except KeyError:
        raise ValueError(f"unknown os {os!r}: expected one of {', '.join(OS_NAMES)}") from None


def readable(duration: pd.Timedelta) -> str:
    """``2 h``, ``3 min 16.608 s``, ``75 s``: a duration the way people say it."""
    ms = duration.value // 10**6
    if ms < 0:
        return "-" + readable(-duration)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    parts = [f"{hours:,} h"] if hours else []
    parts += [f"{minutes} min"] if minutes else []
    if millis:
        parts.append(f"{seconds}.{millis:03d}".rstrip("0") + " s")
    elif seconds or not parts:
        parts.append(f"{seconds} s")
    return " ".join(parts)
