"""Which hosts a firewall's idle timeout catches, and the exact change that fixes each one.

A host is at risk when its first keepalive probe comes no earlier than the firewall's idle
timeout (keepalive_time >= timeout): the firewall has dropped the idle connection by then. The
recommended keepalive time is the smaller of 15 minutes (Veritas' own advice) and half the
timeout, never below the OS's minimum, rounded down to what the OS can hold; each command is
written in that OS's unit, persistent across reboots where the OS allows it.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from .defaults import OsKeepalive, keepalive_of, readable
from .schema import STRING

#: Veritas HOWTO56221: "recommend 900,000 ms (15 min)"
CAP = pd.Timedelta(minutes=15)

_PARAMETERS = r"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"
_SYSCTL_D = "/etc/sysctl.d/90-tcp-keepalive.conf"

#: os -> (commands for value v, note); v is in the OS's own unit
_COMMANDS: dict[str, Callable[[int], tuple[list[str], str]]] = {
    "linux": lambda v: (
        [f"sysctl -w net.ipv4.tcp_keepalive_time={v}",
         f"echo 'net.ipv4.tcp_keepalive_time = {v}' > {_SYSCTL_D}"],
        "seconds; sysctl -w applies it now, the sysctl.d file at every boot"),
    "windows": lambda v: (
        [f'reg add "{_PARAMETERS}" /v KeepAliveTime /t REG_DWORD /d {v} /f'],
        "decimal milliseconds (/d); restart Windows for KeepAliveTime to take effect"),
    "aix": lambda v: (
        [f"no -p -o tcp_keepidle={v}"],
        "half-seconds; -p applies it now and records it in /etc/tunables/nextboot"),
    "solaris": lambda v: (
        [f"ndd -set /dev/tcp tcp_keepalive_interval {v}",
         f"ipadm set-prop -p _keepalive_interval={v} tcp"],
        "milliseconds; Solaris 10: ndd -set is lost at reboot, repeat it in a boot-time script "
        "(an SMF service or /etc/rc2.d script); Solaris 11: use the ipadm line, which persists"),
    "hpux": lambda v: (
        [f"ndd -set /dev/tcp tcp_keepalive_interval {v}"],
        "milliseconds; ndd -set is lost at reboot: add TRANSPORT_NAME[n]=tcp, "
        f"NDD_NAME[n]=tcp_keepalive_interval, NDD_VALUE[n]={v} to /etc/rc.config.d/nddconf"),
    "macos": lambda v: (
        [f"sysctl -w net.inet.tcp.keepidle={v}",
         f"echo 'net.inet.tcp.keepidle={v}' >> /etc/sysctl.conf"],
        "milliseconds; /etc/sysctl.conf is applied at boot (check it after a reboot on recent "
        "macOS releases)"),
    "freebsd": lambda v: (
        [f"sysctl net.inet.tcp.keepidle={v}",
         f"echo 'net.inet.tcp.keepidle={v}' >> /etc/sysctl.conf"],
        "milliseconds; /etc/sysctl.conf is applied at every boot"),
}


def keepalive_risk(hosts: pd.DataFrame, firewall_timeout: object, *,
                   target: object = None) -> pd.DataFrame:
    """Per host: at risk or not, by how much, and the command that sets a safe keepalive.

    Parameters
    ----------
    hosts
        A ``read_keepalive`` frame (host, os, keepalive_time are used).
    firewall_timeout
        The firewall's idle timeout: a Timedelta, timedelta, a string pandas reads (``"1h"``)
        or a number of seconds.
    target
        The keepalive time to recommend instead of min(15 min, timeout / 2); it is still raised
        to the OS minimum and rounded down to the OS's unit.

    Returns
    -------
    pandas.DataFrame
        host, os, keepalive_time, firewall_timeout, margin (timeout - keepalive_time; negative
        or zero = at risk), at_risk, recommended, setting (the OS's name), value (the number to
        write, in the OS's unit), unit, commands (one per line), note.
    """
    timeout = _duration(firewall_timeout, "firewall_timeout")
    if timeout <= pd.Timedelta(0):
        raise ValueError(f"firewall_timeout must be positive, got {timeout}")
    wanted = min(CAP, timeout / 2) if target is None else _duration(target, "target")
    rows = []
    for host, os, keepalive in zip(hosts["host"], hosts["os"], hosts["keepalive_time"],
                                   strict=True):
        rows.append(_row(host, keepalive_of(str(os)), keepalive, timeout, wanted))
    columns = ["host", "os", "keepalive_time", "firewall_timeout", "margin", "at_risk",
               "recommended", "setting", "value", "unit", "commands", "note"]
    result = pd.DataFrame(rows, columns=columns)
    return result.astype({
        "host": STRING, "os": hosts["os"].dtype, "keepalive_time": "timedelta64[ns]",
        "firewall_timeout": "timedelta64[ns]", "margin": "timedelta64[ns]",
        "at_risk": pd.BooleanDtype(), "recommended": "timedelta64[ns]", "setting": STRING,
        "value": pd.Int64Dtype(), "unit": STRING, "commands": STRING, "note": STRING,
    })


def recommended_time(table: OsKeepalive, wanted: pd.Timedelta) -> pd.Timedelta:
    """``wanted`` rounded down to the OS's unit, and never below the OS's minimum."""
    value = max(table.unit.from_timedelta(wanted), table.unit.from_timedelta(table.min_time))
    return table.unit.to_timedelta(value)


def _row(host: str, table: OsKeepalive, keepalive: pd.Timedelta, timeout: pd.Timedelta,
         wanted: pd.Timedelta) -> dict[str, object]:
    recommended = recommended_time(table, wanted)
    value = table.unit.from_timedelta(recommended)
    commands, note = _COMMANDS[table.os](value)
    at_risk = None if pd.isna(keepalive) else bool(keepalive >= timeout)
    notes = [note]
    if table.min_time >= timeout:
        notes.insert(0, f"{table.label}'s shortest keepalive ({readable(table.min_time)}) is "
                        f"not below the {readable(timeout)} firewall timeout: raise the firewall "
                        "timeout instead")
    elif recommended >= timeout:
        notes.insert(0, f"the target {readable(recommended)} is not below the "
                        f"{readable(timeout)} firewall timeout: choose a shorter one")
    elif recommended > wanted:
        notes.insert(0, f"raised to {table.label}'s shortest keepalive, "
                        f"{readable(table.min_time)}")
    if at_risk is False:
        notes.insert(0, "already below the firewall timeout: no change needed")
    return {
        "host": host, "os": table.os, "keepalive_time": keepalive, "firewall_timeout": timeout,
        "margin": timeout - keepalive, "at_risk": at_risk, "recommended": recommended,
        "setting": table.name_of("time"), "value": value, "unit": table.unit.value,
        "commands": "\n".join(commands), "note": "; ".join(notes),
    }


def _duration(value: object, name: str) -> pd.Timedelta:
    """A duration in the kit's one grammar (``kit.units``: a bare number is seconds)."""
    from ..units import parse_duration

    return parse_duration(value, name=name)
