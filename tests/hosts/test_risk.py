"""keepalive_risk: at-risk verdicts, margins, the recommendation and per-OS commands."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import kit
from kit.hosts.defaults import OS_NAMES, keepalive_of

from .conftest import seconds

#: os -> patterns that pull the number out of every command line for that OS
COMMAND_NUMBERS = {
    "linux": [r"^sysctl -w net\.ipv4\.tcp_keepalive_time=(\d+)$",
              r"^echo 'net\.ipv4\.tcp_keepalive_time = (\d+)' > /etc/sysctl\.d/\S+\.conf$"],
    "windows": [r'^reg add "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters" '
                r"/v KeepAliveTime /t REG_DWORD /d (\d+) /f$"],
    "aix": [r"^no -p -o tcp_keepidle=(\d+)$"],
    "solaris": [r"^ndd -set /dev/tcp tcp_keepalive_interval (\d+)$",
                r"^ipadm set-prop -p _keepalive_interval=(\d+) tcp$"],
    "hpux": [r"^ndd -set /dev/tcp tcp_keepalive_interval (\d+)$"],
    "macos": [r"^sysctl -w net\.inet\.tcp\.keepidle=(\d+)$",
              r"^echo 'net\.inet\.tcp\.keepidle=(\d+)' >> /etc/sysctl\.conf$"],
    "freebsd": [r"^sysctl net\.inet\.tcp\.keepidle=(\d+)$",
                r"^echo 'net\.inet\.tcp\.keepidle=(\d+)' >> /etc/sysctl\.conf$"],
}
SECONDS_PER_UNIT = {"s": 1, "ms": 0.001, "half-seconds": 0.5}


def hosts_frame(keepalive_s: float = 7200) -> pd.DataFrame:
    """One host per OS, all with the same keepalive time."""
    return pd.DataFrame({
        "host": [f"h-{os}" for os in OS_NAMES],
        "os": pd.Categorical(OS_NAMES, categories=OS_NAMES),
        "keepalive_time": pd.to_timedelta([keepalive_s] * len(OS_NAMES), unit="s"),
    })


def command_values(os: str, commands: str) -> list[int]:
    lines = commands.split("\n")
    assert len(lines) == len(COMMAND_NUMBERS[os]), commands
    values = []
    for line, pattern in zip(lines, COMMAND_NUMBERS[os], strict=True):
        match = re.match(pattern, line)
        assert match, (os, line)
        values.append(int(match[1]))
    return values


@pytest.mark.parametrize("timeout_s", [3600, 1800, 1201, 601, 45, 12])
def test_every_command_converts_back_to_the_recommended_time(timeout_s):
    risk = kit.keepalive_risk(hosts_frame(), timeout_s)
    assert list(risk.os) == list(OS_NAMES)
    for row in risk.itertuples():
        table = keepalive_of(row.os)
        for number in command_values(row.os, row.commands):
            assert number == row.value
            back = table.unit.to_timedelta(number)
            assert back == row.recommended, (row.os, number, row.recommended)
            assert number * SECONDS_PER_UNIT[row.unit] == pytest.approx(seconds(back))


def test_default_recommendation_is_min_of_15_minutes_and_half_the_timeout():
    risk = kit.keepalive_risk(hosts_frame(), pd.Timedelta(hours=1)).set_index("os")
    assert {os: seconds(v) for os, v in risk.recommended.items()} == dict.fromkeys(OS_NAMES, 900)
    assert risk.loc["linux", "value"] == 900
    assert risk.loc["windows", "value"] == 900_000
    assert risk.loc["aix", "value"] == 1800
    half = kit.keepalive_risk(hosts_frame(), "20min").set_index("os")
    assert set(half.recommended.map(seconds)) == {600}


def test_recommendation_rounds_down_to_the_os_unit():
    risk = kit.keepalive_risk(hosts_frame(), 1201).set_index("os")  # half = 600.5 s
    assert seconds(risk.loc["linux", "recommended"]) == 600
    assert seconds(risk.loc["aix", "recommended"]) == 600.5
    assert risk.loc["aix", "value"] == 1201
    assert seconds(risk.loc["windows", "recommended"]) == 600.5
    assert risk.loc["windows", "value"] == 600_500


def test_recommendation_never_below_the_os_minimum():
    risk = kit.keepalive_risk(hosts_frame(), 12).set_index("os")  # half = 6 s
    assert seconds(risk.loc["linux", "recommended"]) == 6
    assert seconds(risk.loc["solaris", "recommended"]) == 10
    assert seconds(risk.loc["hpux", "recommended"]) == 10
    assert risk.loc["solaris", "note"].startswith("raised to Solaris's shortest keepalive, 10 s")
    too_short = kit.keepalive_risk(hosts_frame(), 10).set_index("os")
    assert too_short.loc["solaris", "note"].startswith(
        "Solaris's shortest keepalive (10 s) is not below the 10 s firewall timeout: raise the "
        "firewall timeout instead")


def test_at_risk_and_margin_exact():
    hosts = pd.DataFrame({
        "host": ["under", "equal", "over"],
        "os": pd.Categorical(["linux", "windows", "aix"], categories=OS_NAMES),
        "keepalive_time": pd.to_timedelta([1799, 1800, 7200], unit="s"),
    })
    risk = kit.keepalive_risk(hosts, pd.Timedelta(minutes=30))
    assert list(risk.at_risk) == [False, True, True]
    assert list(risk.margin.map(seconds)) == [1, 0, -5400]
    assert list(risk.firewall_timeout.map(seconds)) == [1800] * 3
    assert risk.note.iloc[0].startswith("already below the firewall timeout: no change needed")
    assert str(risk.at_risk.dtype) == "boolean"


def test_target_overrides_the_default():
    risk = kit.keepalive_risk(hosts_frame(), "1h", target="5min").set_index("os")
    assert set(risk.recommended.map(seconds)) == {300}
    assert risk.loc["windows", "commands"].endswith("/d 300000 /f")
    silly = kit.keepalive_risk(hosts_frame(), "1h", target="2h").set_index("os")
    assert silly.loc["linux", "note"].startswith(
        "the target 2 h is not below the 1 h firewall timeout")


def test_notes_carry_the_persistence_caveats():
    risk = kit.keepalive_risk(hosts_frame(), "1h").set_index("os")
    assert "restart Windows" in risk.loc["windows", "note"]
    assert "/etc/rc.config.d/nddconf" in risk.loc["hpux", "note"]
    assert "NDD_VALUE[n]=900000" in risk.loc["hpux", "note"]
    assert "boot-time script" in risk.loc["solaris", "note"]
    assert "half-seconds" in risk.loc["aix", "note"]


def test_risk_on_a_read_keepalive_frame(fixtures):
    hosts = kit.read_keepalive([fixtures / "dmz-web01.sysctl.txt",
                                fixtures / "WIN-DB01.regquery.txt",
                                fixtures / "win-app02.regquery-v.txt"])
    risk = kit.keepalive_risk(hosts, pd.Timedelta(hours=1))
    got = {r.host: (bool(r.at_risk), seconds(r.margin)) for r in risk.itertuples()}
    assert got == {"dmz-web01": (False, 3000), "WIN-DB01": (False, 3300),
                   "win-app02": (True, -3600)}


@pytest.mark.parametrize("bad", [0, -5, "soon", None, True])
def test_bad_firewall_timeout_is_refused(bad):
    with pytest.raises((ValueError, TypeError)):
        kit.keepalive_risk(hosts_frame(), bad)

