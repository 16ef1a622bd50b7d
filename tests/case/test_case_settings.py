"""case.toml -> CaseSettings: every key typed and validated; errors name the file and the fix."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from kit import CaseError
from kit.case import CaseSettings
from kit.case.settings import parse_timeout, read_settings

FULL = """
[case]
id = "INC-42"
title = "DMZ backups fail"
opened = 2024-06-04
notes = "status 13 and 40 during incrementals"

[firewall]
idle_timeout = "1:00:00"
tz = "UTC"
relay_tz = "America/Chicago"
year = 2024
capacity = 500000
model = "ASA 5545-X"

[services]
ports = { 9000 = "app-repl", 1556 = "pbx" }
"""


def write(tmp_path, text: str, name: str = "case.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_key_typed(tmp_path):
    settings = read_settings(write(tmp_path, FULL))
    assert settings == CaseSettings(
        id="INC-42", title="DMZ backups fail", opened=dt.date(2024, 6, 4),
        notes="status 13 and 40 during incrementals", idle_timeout=pd.Timedelta(hours=1),
        tz="UTC", relay_tz="America/Chicago", year=2024, capacity=500_000, model="ASA 5545-X",
        services={9000: "app-repl", 1556: "pbx"})


def test_only_id_gives_defaults(tmp_path):
    settings = read_settings(write(tmp_path, '[case]\nid = "x"\n'))
    assert settings == CaseSettings(id="x")
    assert settings.idle_timeout is None and settings.tz == "UTC" and settings.services == {}


@pytest.mark.parametrize(("value", "seconds"), [
    ('"1:00:00"', 3600), ("3600", 3600), ('"0:30:00"', 1800), ('"92:24:20"', 332_660),
    ("1800.5", 1800.5), ('"7200"', 7200),
])
def test_idle_timeout_forms(tmp_path, value, seconds):
    text = f'[case]\nid = "x"\n[firewall]\nidle_timeout = {value}\n'
    settings = read_settings(write(tmp_path, text))
    assert settings.idle_timeout == pd.Timedelta(seconds=seconds)


@pytest.mark.parametrize("value", ['"one hour"', "0", "-5", '"1:75:00"', "true", '""'])
def test_bad_idle_timeout(tmp_path, value):
    path = write(tmp_path, f'[case]\nid = "x"\n[firewall]\nidle_timeout = {value}\n')
    with pytest.raises(CaseError, match=r"case\.toml.*idle_timeout.*\"1:00:00\""):
        read_settings(path)


def test_parse_timeout_none_is_infer():
    assert parse_timeout(None) is None


@pytest.mark.parametrize(("zone", "expected"), [
    ("UTC", "UTC"), ("Z", "UTC"), ("+02:00", "+02:00"), ("-0500", "-05:00"),
    ("Europe/Berlin", "Europe/Berlin"),
])
def test_zones(tmp_path, zone, expected):
    settings = read_settings(write(tmp_path, f'[case]\nid = "x"\n[firewall]\ntz = "{zone}"\n'))
    assert settings.tz == expected


@pytest.mark.parametrize(("zone", "why"), [
    ("Mars/Olympus", r"not a time zone.*America/Chicago"),
    ("CDT?", r"not a time zone.*America/Chicago"),
    ("+25", r"out of range: a UTC offset lies between -12:00 and \+14:00"),
    ("../etc/passwd", r"not a time zone.*America/Chicago"),
])
def test_bad_zone(tmp_path, zone, why):
    path = write(tmp_path, f'[case]\nid = "x"\n[firewall]\nrelay_tz = "{zone}"\n')
    with pytest.raises(CaseError, match=r"relay_tz.*" + why):
        read_settings(path)


def test_malformed_toml_names_file_and_line(tmp_path):
    path = write(tmp_path, '[case]\nid = "x"\n[firewall]\nidle_timeout = 1:00:00\n')
    with pytest.raises(CaseError) as err:
        read_settings(path)
    message = str(err.value)
    assert str(path) in message and "line 4" in message and "not valid TOML" in message


def test_missing_id(tmp_path):
    with pytest.raises(CaseError, match=r"\[case\] id is missing"):
        read_settings(write(tmp_path, '[case]\ntitle = "t"\n'))


def test_missing_file_suggests_new_case(tmp_path):
    with pytest.raises(CaseError, match=r"no case\.toml.*kit new-case"):
        read_settings(tmp_path / "case.toml")


def test_unknown_keys_warn_but_load(tmp_path):
    path = write(tmp_path, '[case]\nid = "x"\nowner = "me"\n[firewall]\nidle_timout = 60\n'
                           '[extras]\na = 1\n')
    with pytest.warns(UserWarning) as record:
        settings = read_settings(path)
    messages = [str(w.message) for w in record]
    assert any("'owner'" in m and "[case]" in m for m in messages)
    assert any("'idle_timout'" in m and "idle_timeout" in m for m in messages)
    assert any("[extras]" in m for m in messages)
    assert settings.id == "x" and settings.idle_timeout is None


@pytest.mark.parametrize(("snippet", "pattern"), [
    ('[case]\nid = 5\n', r"id must be a quoted string"),
    ('[case]\nid = "x"\nopened = "June"\n', r"opened.*not a date"),
    ('[case]\nid = "x"\n[firewall]\nyear = 24.5\n', r"year.*whole number between 1970"),
    ('[case]\nid = "x"\n[firewall]\ncapacity = 0\n', r"capacity.*at least 1"),
    ('[case]\nid = "x"\n[services]\nports = { 70000 = "x" }\n', r"port number 1-65535"),
    ('[case]\nid = "x"\n[services]\nports = { http = "x" }\n', r"port number 1-65535"),
    ('[case]\nid = "x"\n[services]\nports = 5\n', r"inline table"),
    ('case = 3\n', r"case must be a table"),
])
def test_invalid_values(tmp_path, snippet, pattern):
    with pytest.raises(CaseError, match=pattern):
        read_settings(write(tmp_path, snippet))


def test_opened_as_iso_string_and_bom(tmp_path):
    path = tmp_path / "case.toml"
    path.write_bytes('\ufeff[case]\nid = "x"\nopened = "2024-06-04"\n'.encode())
    assert read_settings(path).opened == dt.date(2024, 6, 4)


def test_compute_engine_and_scheduler(tmp_path):
    default = read_settings(write(tmp_path, '[case]\nid = "X"\n'))
    assert (default.engine, default.scheduler) == ("pandas", None)
    settings = read_settings(write(tmp_path, '[case]\nid = "X"\n[compute]\nengine = "dask"\n'
                                             'scheduler = "tcp://10.0.0.5:8786"\n'))
    assert (settings.engine, settings.scheduler) == ("dask", "tcp://10.0.0.5:8786")
    with pytest.warns(UserWarning, match=r'scheduler is used only with engine = "dask"'):
        unused = read_settings(write(tmp_path, '[case]\nid = "X"\n[compute]\n'
                                               'scheduler = "tcp://10.0.0.5:8786"\n'))
    assert unused.engine == "pandas"


@pytest.mark.parametrize("snippet, pattern", [
    ('engine = "spark"', r"case\.toml: \[compute\] engine = 'spark' is not an engine the kit "
                         r"has; write one of 'pandas', 'dask'"),
    ("engine = 1", r"\[compute\] engine = 1 is not an engine"),
    ('scheduler = "10.0.0.5"', r"\[compute\] scheduler = '10\.0\.0\.5' is not a scheduler "
                               r"address; write it as scheduler = \"tcp://HOST:8786\""),
])
def test_bad_compute_values(tmp_path, snippet, pattern):
    path = write(tmp_path, f'[case]\nid = "X"\n[compute]\n{snippet}\n')
    with pytest.raises(CaseError, match=pattern):
        read_settings(path)
