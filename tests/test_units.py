"""One grammar for durations and one for time zones: every public parameter that takes one reads
the same table of inputs to the same results, and refuses the same bad inputs with a KitError
naming the parameter (issue 10.3, issue 15.8)."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import kit
from kit import KitError
from kit.case.settings import read_settings, settings_from_dict
from kit.cli import build_parser
from kit.units import UnitError, parse_duration, parse_zone
from kit.widgets import WhatIf

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample-incident"

# -- durations -------------------------------------------------------------------------------------

#: input -> seconds: the one table every duration parameter reads
DURATIONS: list[tuple[Any, float]] = [
    (900, 900), (1800.5, 1800.5), (np.int64(600), 600), ("900", 900), ("1800.5", 1800.5),
    ("0:15:00", 900), ("1:00:00", 3600), ("92:24:20", 332_660), ("1 day 02:00:00", 93_600),
    ("1h", 3600), ("15min", 900), ("90s", 90), ("1h30m", 5400), ("2 hours", 7200),
    (" 45 min ", 2700), (dt.timedelta(minutes=15), 900), (pd.Timedelta("20min"), 1200),
    (np.timedelta64(300, "s"), 300),
]
#: inputs every duration parameter refuses
BAD_DURATIONS: list[Any] = [
    math.inf, -math.inf, math.nan, 1e300, "99999999999:00:00", "inf", "nan", -5, 0, "0:00:00",
    "one hour", "15:00", "1:75:00", "", True, None, pd.NaT, "1h1h", [900],
]


@pytest.fixture(scope="module")
def case():
    return kit.load_case(SAMPLE)


def _toml_timeout(value: Any) -> pd.Timedelta:
    return settings_from_dict({"case": {"id": "x"}, "firewall": {"idle_timeout": value}}
                              ).idle_timeout


def _cli_timeout(value: Any) -> pd.Timedelta:
    return build_parser().parse_args(["sample", "out", "--timeout", value]).timeout


#: public parameter -> (reads a value and returns the Timedelta it took, accepts non-strings,
#: accepts strings)
DURATION_PARAMETERS: dict[str, tuple[Callable[..., Any], bool, bool]] = {
    "kit.units.parse_duration": (lambda c, v: parse_duration(v), True, True),
    "Assumptions(keepalive=)": (lambda c, v: kit.Assumptions(keepalive=v).keepalive, True, True),
    "Assumptions(heartbeat=)": (lambda c, v: kit.Assumptions(heartbeat=v).heartbeat, True, True),
    "Assumptions(new_firewall_timeout=)": (
        lambda c, v: kit.Assumptions(new_firewall_timeout=v).new_firewall_timeout, True, True),
    "compare_remedies(keepalive=)": (
        lambda c, v: kit.compare_remedies(c, keepalive=v).attrs["resolved"].keepalive,
        True, True),
    "compare_remedies(firewall_timeout=)": (
        lambda c, v: kit.compare_remedies(c, firewall_timeout=v).attrs["resolved"]
        .firewall_timeout, True, True),
    "WhatIf(heartbeat=)": (lambda c, v: WhatIf(c, heartbeat=v).start.heartbeat, True, True),
    "keepalive_risk(firewall_timeout=)": (
        lambda c, v: kit.keepalive_risk(c.hosts, v)["firewall_timeout"].iloc[0], True, True),
    "case.toml [firewall] idle_timeout": (lambda c, v: _toml_timeout(v), True, True),
    "kit sample --timeout": (lambda c, v: _cli_timeout(v), False, True),
}


def _applies(parameter: str, value: Any) -> bool:
    _, others, strings = DURATION_PARAMETERS[parameter]
    if "toml" in parameter and not isinstance(value, (str, int, float)):
        return False  # TOML has no timedelta
    return strings if isinstance(value, str) else others


@pytest.mark.parametrize("parameter", DURATION_PARAMETERS)
def test_every_duration_parameter_reads_the_one_table(case, parameter):
    read = DURATION_PARAMETERS[parameter][0]
    for value, seconds in DURATIONS:
        if _applies(parameter, value):
            assert read(case, value) == pd.Timedelta(seconds=seconds), (parameter, value)


@pytest.mark.parametrize("parameter", DURATION_PARAMETERS)
def test_every_duration_parameter_refuses_the_same_bad_values(case, parameter):
    read = DURATION_PARAMETERS[parameter][0]
    for value in BAD_DURATIONS:
        if value is None and parameter not in ("kit.units.parse_duration",
                                               "Assumptions(keepalive=)",
                                               "keepalive_risk(firewall_timeout=)"):
            continue  # None means "not given" (resolve from the case) there
        if not _applies(parameter, value) or (parameter.startswith("kit sample")
                                              and not isinstance(value, str)):
            continue
        if parameter.startswith("kit sample"):
            with pytest.raises(SystemExit):
                read(case, value)
            continue
        with pytest.raises(KitError) as error:
            read(case, value)
        assert any(word in str(error.value) for word in (
            "keepalive", "heartbeat", "firewall_timeout", "idle_timeout", "duration")), \
            (parameter, value, str(error.value))


def test_affected_takes_the_timeout_in_the_same_grammar(case):
    by_seconds = kit.affected(case.sessions, hosts=case.hosts, firewall_timeout=3600)
    by_text = kit.affected(case.sessions, hosts=case.hosts, firewall_timeout="1h")
    pd.testing.assert_frame_equal(by_seconds, by_text)
    pd.testing.assert_frame_equal(by_seconds, kit.affected(case))
    with pytest.raises(KitError, match="firewall_timeout"):
        kit.affected(case.sessions, hosts=case.hosts, firewall_timeout=math.inf)
    with pytest.raises(KitError, match=r"needs firewall_timeout=.*case\.timeout\.value"):
        kit.affected(case.sessions, hosts=case.hosts)


def test_bare_number_is_seconds_not_nanoseconds(case):
    table = kit.compare_remedies(case, keepalive=900)
    assert table.attrs["resolved"].keepalive == pd.Timedelta(minutes=15)
    assert table.loc["keepalive", "extra_packets_per_hour"] < 1000
    assert WhatIf(case, keepalive=900).sliders["keepalive"].value == 15


def test_out_of_range_messages_say_the_bound():
    with pytest.raises(UnitError, match=r"keepalive = '99999999999:00:00' is out of range: "
                                        r"at most 8784:00:00"):
        parse_duration("99999999999:00:00", name="keepalive")
    with pytest.raises(UnitError, match="not a finite duration"):
        parse_duration(math.inf, name="keepalive")
    with pytest.raises(UnitError, match=r"could be minutes or hours"):
        parse_duration("15:00", name="keepalive")


# -- time zones ------------------------------------------------------------------------------------

#: input -> (canonical name, offset in minutes on 2023-08-28)
ZONES: list[tuple[str, str, int]] = [
    ("UTC", "UTC", 0), ("Z", "UTC", 0), ("GMT", "UTC", 0), ("utc", "UTC", 0),
    ("+02:00", "+02:00", 120), ("-0500", "-05:00", -300), ("+2", "+02:00", 120),
    ("UTC+2", "+02:00", 120), ("GMT-05:00", "-05:00", -300), ("UTC-03:30", "-03:30", -210),
    ("CEST", "+02:00", 120), ("EST", "-05:00", -300), ("+14:00", "+14:00", 840),
    ("Europe/Berlin", "Europe/Berlin", 120), ("America/Chicago", "America/Chicago", -300),
]
#: input -> what the refusal says
BAD_ZONES: list[tuple[Any, str]] = [
    ("IST", "ambiguous: it could mean Asia/Kolkata, Europe/Dublin, Asia/Jerusalem"),
    ("AST", "ambiguous"), ("+19:00", "out of range"), ("+25:00", "out of range"),
    ("UTC+2:75", "out of range"), ("Mars/Olympus", "not a time zone"), ("", "not a time zone"),
    ("../etc/passwd", "not a time zone"), ("CESTX", "not a time zone"), (5, "not a time zone"),
]
LINE = "<166>Aug 28 2023 15:35:00 fw : %ASA-6-302013: Built outbound TCP connection 1 for " \
       "outside:198.51.100.7/443 (198.51.100.7/443) to inside:10.0.0.5/50000 (10.0.0.5/50000)\n"
LOCAL = pd.Timestamp("2023-08-28 15:35:00", tz="UTC")


def _read_tz(value: Any) -> pd.Timestamp:
    return kit.read_firewall_log(LINE.encode(), tz=value).time.iloc[0]


def _read_relay_tz(value: Any) -> pd.Timestamp:
    line = "Aug 28 15:35:00 relay01 %ASA-6-302013: " + LINE.split("%ASA-6-302013: ")[1]
    return kit.read_firewall_log(line.encode(), relay_tz=value, year=2023).time.iloc[0]


#: public parameter -> reads a zone and returns (canonical name or None, local 15:35 in UTC or
#: None)
ZONE_PARAMETERS: dict[str, Callable[[Any], tuple[str | None, pd.Timestamp | None]]] = {
    "kit.units.parse_zone": lambda v: (parse_zone(v).name, None),
    "read_firewall_log(tz=)": lambda v: (None, _read_tz(v)),
    "read_firewall_log(relay_tz=)": lambda v: (None, _read_relay_tz(v)),
    "case.toml [firewall] tz": lambda v: (settings_from_dict(
        {"case": {"id": "x"}, "firewall": {"tz": v}}).tz, None),
    "case.toml [firewall] relay_tz": lambda v: (settings_from_dict(
        {"case": {"id": "x"}, "firewall": {"relay_tz": v}}).relay_tz, None),
    "kit parse --tz": lambda v: (build_parser().parse_args(["parse", "f", "--tz", v]).tz, None),
    "kit parse --relay-tz": lambda v: (
        build_parser().parse_args(["parse", "f", "--relay-tz", v]).relay_tz, None),
}


@pytest.mark.parametrize("parameter", ZONE_PARAMETERS)
def test_every_zone_parameter_reads_the_one_table(parameter):
    read = ZONE_PARAMETERS[parameter]
    for value, name, minutes in ZONES:
        got_name, got_time = read(value)
        if got_name is not None:
            assert got_name == name, (parameter, value)
        if got_time is not None:
            assert got_time == LOCAL - pd.Timedelta(minutes=minutes), (parameter, value)


@pytest.mark.parametrize("parameter", ZONE_PARAMETERS)
def test_every_zone_parameter_refuses_the_same_bad_zones(parameter):
    read = ZONE_PARAMETERS[parameter]
    for value, message in BAD_ZONES:
        if parameter.startswith("kit parse"):
            if isinstance(value, str):
                with pytest.raises(SystemExit):
                    read(value)
            continue
        with pytest.raises(KitError, match=message) as error:
            read(value)
        assert "tz" in str(error.value), (parameter, value)


# -- case.toml ranges (issue 15.8) -----------------------------------------------------------------

@pytest.mark.parametrize(("line", "key"), [
    ("idle_timeout = inf", "idle_timeout"), ("idle_timeout = 1e300", "idle_timeout"),
    ('idle_timeout = "99999999999:00:00"', "idle_timeout"), ("idle_timeout = nan", "idle_timeout"),
    ('tz = "+19:00"', "tz"), ('relay_tz = "IST"', "relay_tz"),
])
def test_case_toml_ranges_are_checked_once_naming_file_and_key(tmp_path, line, key):
    path = tmp_path / "case.toml"
    path.write_text(f'[case]\nid = "x"\n[firewall]\n{line}\n', encoding="utf-8")
    with pytest.raises(kit.CaseError) as error:
        read_settings(path)
    assert str(error.value).startswith(f"{path}: [firewall] {key} = ")


def test_load_case_turns_a_bad_zone_into_a_case_error(tmp_path):
    import shutil

    shutil.copytree(SAMPLE, tmp_path / "c")
    toml = tmp_path / "c" / "case.toml"
    toml.write_text(toml.read_text().replace('relay_tz = "America/Chicago"',
                                             'relay_tz = "+19:00"'))
    with pytest.raises(kit.CaseError, match=r"case\.toml: \[firewall\] relay_tz = '\+19:00' "
                                            r"is out of range"):
        kit.load_case(tmp_path / "c")


def test_the_recommendation_carries_the_assumptions_it_rests_on(case):
    advice = kit.recommend(kit.compare_remedies(case, kit.Assumptions(keepalive="10min")))
    assert advice.assumptions.keepalive == pd.Timedelta(minutes=10)
    assert advice.assumptions.firewall_timeout == case.timeout.value
