"""A small real-shaped log mixing every header shape and message (fixtures/asa-mixed.log)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd

from .helpers import read, ts

FIXTURE = Path(__file__).parent / "fixtures" / "asa-mixed.log"


def test_mixed_log_counts_every_line() -> None:
    frame = read(FIXTURE, relay_tz="America/Chicago", year=2024)
    report = frame.attrs["load_report"]
    assert (report.read, report.parsed, report.ignored, report.rejected) == (17, 11, 5, 1)
    assert report.ignored_by_key == {"113005": 2, "313005": 1, "blank": 1, "non-firewall": 1}
    assert report.rejects[0].line == 17
    # the Kiwi export's relay stamp (2010, US Central) is a year and 2:05:38 after the device's
    assert report.clock_offsets == {
        "host.domain.example.com": pd.Timedelta(seconds=2),
        "10.0.100.2": pd.Timedelta(days=365, hours=2, minutes=5, seconds=38)}


def test_mixed_log_values() -> None:
    frame = read(FIXTURE, relay_tz="America/Chicago", year=2024).set_index("line")
    assert list(frame.index) == [1, 2, 3, 4, 6, 8, 9, 10, 11, 12, 13]
    assert frame.loc[3, "orientation"] == "built"
    assert (frame.loc[3, "src_ip"], frame.loc[3, "src_port"]) == ("100.66.98.44", 8256)
    assert frame.loc[6, "duration"] == pd.Timedelta(hours=92, minutes=24, seconds=20)
    assert frame.loc[6, "time"] == ts("2024-06-26 01:35:42")
    assert frame.loc[8, "time"] == ts("2024-06-26 23:04:40")  # relay, US Central in June
    assert frame.loc[8, "close"] == "idle-timeout"
    assert (frame.loc[9, "src_if"], frame.loc[9, "src_ip"], frame.loc[9, "user"]) == (
        "NP Identity Ifc", "192.168.2.2", "LOCAL\\testuser")
    assert frame.loc[11, "orientation"] == "built"  # matched the tab-export Built on line 10
    assert (frame.loc[11, "src_if"], frame.loc[11, "reason"]) == ("inside", "TCP Reset-I")
    assert frame.loc[12, "src_ip"] == "myComputer1.myDomain.se"
    assert frame.loc[13, "user"] == "jdoe"


def test_rotated_gzip_copy_reads_the_same(tmp_path: Path) -> None:
    rotated = tmp_path / "messages.1"
    rotated.write_bytes(gzip.compress(FIXTURE.read_bytes()))
    plain = read(FIXTURE, year=2024).drop(columns="source")
    packed = read(rotated, year=2024).drop(columns="source")
    pd.testing.assert_frame_equal(plain, packed)
