"""The parse cache in CASE/.kit/cache: a second load reads it, a touched, added or truncated
file is parsed again by itself, another kit version ignores it, an unwritable folder only
warns, and `kit cache clear` removes it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

import kit
from kit.case.cache import cache_dir
from kit.cli import main

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-incident"


@pytest.fixture
def case_dir(tmp_path):
    folder = tmp_path / "case"
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns(".kit"))
    return folder


@pytest.fixture
def parsed(monkeypatch):
    """The file names each firewall parse was asked to read."""
    calls: list[list[str]] = []
    real = kit.read_firewall_log

    def recording(source, **options):
        names = source if isinstance(source, list) else [source]
        calls.append(sorted(Path(n).name for n in names))
        return real(source, **options)

    monkeypatch.setattr(kit, "read_firewall_log", recording)
    return calls


def _uncached(case_dir: Path) -> pd.DataFrame:
    return kit.load_case(case_dir, cache=False).connections


def test_a_second_load_reads_the_cache_and_gives_the_same_case(case_dir, parsed):
    first = kit.load_case(case_dir)
    assert parsed == [["fw-syslog.log", "fw-syslog.log.1"]]
    assert len(list((cache_dir(case_dir) / "firewall").glob("*.parquet"))) == 2
    second = kit.load_case(case_dir)
    assert parsed == [["fw-syslog.log", "fw-syslog.log.1"]]  # nothing parsed again
    pd.testing.assert_frame_equal(second.connections, first.connections)
    assert second.load_report.to_frame().equals(first.load_report.to_frame())
    assert second.load_report.clock_offsets == first.load_report.clock_offsets
    assert second.load_report.rejects == first.load_report.rejects
    pd.testing.assert_frame_equal(second.sessions, first.sessions)


def test_a_touched_file_is_parsed_again_by_itself(case_dir, parsed):
    kit.load_case(case_dir)
    log = case_dir / "firewall" / "fw-syslog.log.1"
    stat = log.stat()
    os.utime(log, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    again = kit.load_case(case_dir)
    assert parsed[1:] == [["fw-syslog.log.1"]]
    pd.testing.assert_frame_equal(again.connections, _uncached(case_dir))


def test_an_added_file_is_parsed_alone_and_oriented_with_the_others(case_dir, parsed, tmp_path):
    # the current file first: the Builts of some of its teardowns arrive with the older file
    older = case_dir / "firewall" / "fw-syslog.log.1"
    shutil.move(older, tmp_path / "held.log")
    alone = kit.load_case(case_dir).connections
    teardowns = (alone["event"] == "teardown").to_numpy(bool)  # not the 106015 denies
    assert (alone.loc[teardowns, "orientation"] == "port").sum() == 6
    shutil.move(tmp_path / "held.log", older)
    together = kit.load_case(case_dir)
    assert parsed[1:] == [["fw-syslog.log.1"]]
    expected = _uncached(case_dir)
    assert (expected.loc[(expected["event"] == "teardown").to_numpy(bool), "orientation"]
            == "port").sum() == 0
    pd.testing.assert_frame_equal(together.connections, expected)


def test_a_truncated_file_is_parsed_again(case_dir, parsed):
    before = kit.load_case(case_dir).load_report.files[0].read
    log = case_dir / "firewall" / "fw-syslog.log"
    lines = log.read_bytes().split(b"\n")
    stat = log.stat()
    log.write_bytes(b"\n".join(lines[: len(lines) // 2]) + b"\n")
    os.utime(log, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same mtime: size and hash differ
    again = kit.load_case(case_dir)
    assert parsed[1:] == [["fw-syslog.log"]]
    assert again.load_report.files[0].read == len(lines) // 2 < before
    pd.testing.assert_frame_equal(again.connections, _uncached(case_dir))


def test_another_kit_version_ignores_the_cache(case_dir, parsed, monkeypatch):
    kit.load_case(case_dir)
    monkeypatch.setattr(kit, "__version__", "99.0")
    kit.load_case(case_dir)
    assert parsed[1:] == [["fw-syslog.log", "fw-syslog.log.1"]]
    assert len(list((cache_dir(case_dir) / "firewall").glob("*.parquet"))) == 2  # old pruned


def test_other_zone_settings_are_another_cache_entry(case_dir, parsed):
    kit.load_case(case_dir)
    toml = case_dir / "case.toml"
    toml.write_text(toml.read_text().replace('relay_tz = "America/Chicago"', 'relay_tz = "UTC"'))
    kit.load_case(case_dir)
    assert parsed[1:] == [["fw-syslog.log", "fw-syslog.log.1"]]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only folders")
def test_an_unwritable_cache_folder_only_warns(case_dir, parsed):
    kit_dir = case_dir / ".kit"
    kit_dir.mkdir()
    kit_dir.chmod(0o500)
    try:
        with pytest.warns(UserWarning, match="cannot write the parse cache"):
            case = kit.load_case(case_dir)
    finally:
        kit_dir.chmod(0o700)
    pd.testing.assert_frame_equal(case.connections, _uncached(case_dir))


def test_a_cache_path_that_is_a_file_only_warns(case_dir, parsed):
    (case_dir / ".kit").write_text("not a folder")  # unwritable for root too
    with pytest.warns(UserWarning, match="cannot write the parse cache"):
        case = kit.load_case(case_dir)
    pd.testing.assert_frame_equal(case.connections, _uncached(case_dir))
    with pytest.warns(UserWarning, match="cannot write the parse cache"):
        kit.load_case(case_dir)
    assert len(parsed) == 3  # parsed every time, nothing cached


def test_a_damaged_cache_entry_is_parsed_again(case_dir, parsed):
    kit.load_case(case_dir)
    for part in (cache_dir(case_dir) / "firewall").glob("*.parquet"):
        part.write_bytes(b"PAR1 damaged")
    with pytest.warns(UserWarning, match="unreadable cache entry"):
        again = kit.load_case(case_dir)
    assert parsed[1:] == [["fw-syslog.log", "fw-syslog.log.1"]]
    pd.testing.assert_frame_equal(again.connections, _uncached(case_dir))


def test_kit_cache_clear(case_dir, capsys):
    kit.load_case(case_dir)
    assert main(["cache", "clear", str(case_dir)]) == 0
    assert "removed" in capsys.readouterr().out and not cache_dir(case_dir).exists()
    assert main(["cache", "clear", str(case_dir)]) == 0
    assert "no parse cache" in capsys.readouterr().out


def test_the_redaction_check_ignores_the_cache(case_dir, tmp_path):
    case = kit.load_case(case_dir)
    out = tmp_path / "out"
    shutil.copytree(case_dir / ".kit", out / ".kit")  # e.g. --out pointing into a case folder
    assert any((out / ".kit").rglob("*.json"))
    assert kit.check_redaction(out, case) == []
    (out / "page.txt").write_text("asa-dmz01")
    assert [leak.value for leak in kit.check_redaction(out, case)] == ["asa-dmz01"]


def test_the_sessions_are_cached_until_the_inventory_or_services_change(case_dir, monkeypatch):
    import sys

    module = sys.modules["kit.analysis.sessions"]
    builds = []
    real = module.build_sessions
    monkeypatch.setattr(module, "build_sessions",
                        lambda *a, **k: builds.append(1) or real(*a, **k))
    first = kit.load_case(case_dir).sessions
    again = kit.load_case(case_dir).sessions
    assert len(builds) == 1
    pd.testing.assert_frame_equal(again, first)
    inventory = case_dir / "inventory.csv"
    inventory.write_text(inventory.read_text().replace("nbu-media01", "nbu-media02"))
    renamed = kit.load_case(case_dir).sessions
    assert len(builds) == 2 and "nbu-media02" in set(renamed["dst_host"].dropna())
    with open(case_dir / "case.toml", "a", encoding="utf-8") as toml:
        toml.write('\n[services]\nports = { 13724 = "nbu-vnetd" }\n')
    named = kit.load_case(case_dir).sessions
    assert len(builds) == 3 and "nbu-vnetd" in set(named["service"])
    pd.testing.assert_frame_equal(named, kit.load_case(case_dir, cache=False).sessions)
