"""Syslog header shapes, the two clocks, zones and year inference (issue 2, "Headers and time")."""

from __future__ import annotations

import gzip
import os
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from kit.firewall.headers import parse_shape
from kit.firewall.zones import parse_zone

from .helpers import read, row, ts

BODY = ("%ASA-6-302014: Teardown TCP connection 1 for outside:192.0.2.1/5000 to "
        "inside:10.0.0.1/22 duration 0:00:01 bytes 2 TCP FINs")


def body(tag: str = "%ASA-6-302014:") -> str:
    return BODY.replace("%ASA-6-302014:", tag)


@pytest.mark.parametrize(("header", "device", "time"), [
    # a stamp with a year is the device's (tz)
    ("Oct 10 2018 12:34:56 localhost CiscoASA[999]: ", "localhost", "2018-10-10 12:34:56"),
    ("<166>Aug 28 2023 15:35:00 fw123-vc456 : ", "fw123-vc456", "2023-08-28 15:35:00"),
    # RFC 5424 stamps carry their zone
    ("<166>2024-06-26T01:35:42Z: ", None, "2024-06-26 01:35:42"),
    ("<166>2018-06-27T12:17:46Z asa : ", "asa", "2018-06-27 12:17:46"),
    ("2014-10-14T13:38:09.185081-04:00 DEVICE-NAME ", "DEVICE-NAME",
     "2014-10-14 17:38:09.185081"),
    # a relay header then the device stamp with a zone name
    ("Sep 25 01:08:29 host1.example.com : Sep 25 2020 05:08:29 UTC: ", "host1.example.com",
     "2020-09-25 05:08:29"),
    ("Sep 25 01:08:29 host1.example.com : Sep 25 2020 07:08:29 CEST: ", "host1.example.com",
     "2020-09-25 05:08:29"),
    # the tab-separated relay export and the host:514 prefix
    ("2010-08-11 08:33:40\tLocal4.Info\t10.0.100.2\tAug 11 2009 11:28:02: ", "10.0.100.2",
     "2009-08-11 11:28:02"),
    ("10.0.100.2:514 : local4.info Aug 12 2009 14:57:58: ", "10.0.100.2",
     "2009-08-12 14:57:58"),
    # a weekday before the stamp
    ("Wed Aug 12 2009 14:57:58 fw9 : ", "fw9", "2009-08-12 14:57:58"),
])
def test_header_shapes(header: str, device: str | None, time: str) -> None:
    r = row(header + body())
    assert r.time == ts(time)
    assert (pd.isna(r.device) if device is None else r.device == device)
    assert (r.conn_id, r.bytes) == ("1", 2)


@pytest.mark.parametrize(("header", "device", "time"), [
    # domain.md §A3 verbatim: a year-less device stamp with a zone name after a relay header
    ("Sep 25 01:08:29 host1.example.com : Sep 25 05:08:29 UTC: ", "host1.example.com",
     "2020-09-25 05:08:29"),
    # an IP as host and no colon: the relay's clock
    ("Jun 26 18:04:40 198.51.100.10 ", "198.51.100.10", "2020-06-26 16:04:40"),
    # fractions in ms and in µs, no host: the device's clock
    ("Apr 29 12:59:50.138: ", None, "2020-04-29 10:59:50.138"),
    ("Apr 30 09:22:38.340591: ", None, "2020-04-30 07:22:38.340591"),
])
def test_year_less_header_shapes(header: str, device: str | None, time: str) -> None:
    r = row(header + body("%ASA-ip-4-302014:"), tz="+02:00", relay_tz="+02:00", year=2020)
    assert r.time == ts(time)
    assert (pd.isna(r.device) if device is None else r.device == device)


def test_empty_header_has_no_time_and_no_device() -> None:
    r = row("<166>:: " + body("%ASA-auth-6-302014:"))
    assert pd.isna(r.time) and pd.isna(r.device)
    assert r.bytes == 2


def test_relay_rfc3164_header_with_padded_day_is_the_relays_clock() -> None:
    r = row("Jun  2 16:54:07 198.51.100.10 " + body(), relay_tz="-05:00", year=2009)
    assert (r.time, r.device) == (ts("2009-06-02 21:54:07"), "198.51.100.10")


def test_single_stamp_before_the_tag_is_the_devices_clock_with_fraction() -> None:
    frame = read("Apr 29 12:59:50.138: " + body() + "\n"
                 "Apr 30 09:22:38.340591: " + body() + "\n", tz="+02:00", relay_tz="-05:00",
                 year=2021)
    assert list(frame.time) == [ts("2021-04-29 10:59:50.138"), ts("2021-04-30 07:22:38.340591")]


def test_stamp_host_colon_is_a_relay_header() -> None:
    r = row("May  5 17:51:17 dev01: " + body("%FTD-6-302014:"), tz="+03:00",
            relay_tz="UTC", year=2022)
    assert (r.time, r.device, r.vendor) == (ts("2022-05-05 17:51:17"), "dev01", "cisco-ftd")


def test_two_clocks_time_from_device_and_offset_measured_per_device() -> None:
    seed = ("Jun  2 16:54:07 gwrouter Jun 02 2009 21:54:05 host.domain.example.com: "
            "%FWSM-6-302014: Teardown TCP connection 219048017 faddr 192.168.1.89/13724 gaddr "
            "192.168.1.247/42962 laddr 192.168.1.247/42962 duration 1:01:27 bytes 1546 "
            "(Conn-timeout)\n")
    frame = read(seed, relay_tz="America/Chicago")
    assert frame.time.iloc[0] == ts("2009-06-02 21:54:05")
    offsets = frame.attrs["load_report"].clock_offsets
    assert offsets == {"host.domain.example.com": pd.Timedelta(seconds=2)}
    # stated the wrong way round, the offset shows the 5-hour gap the user must fix
    wrong = read(seed).attrs["load_report"].clock_offsets
    assert wrong == {"host.domain.example.com": pd.Timedelta(hours=-5, seconds=2)}
    assert "-4:59:58" in str(read(seed).attrs["load_report"])


def test_offset_is_the_median_and_borrows_year_across_new_year() -> None:
    lines = "".join(
        f"Dec 31 23:59:{s:02d} relay Jan 01 2024 05:59:{s - d:02d} fw: {body()}\n"
        for s, d in ((10, 1), (20, 1), (30, 9)))
    frame = read(lines, relay_tz="America/Chicago")
    assert frame.attrs["load_report"].clock_offsets == {"fw": pd.Timedelta(seconds=1)}


def test_iana_relay_zone_handles_daylight_saving_per_stamp() -> None:
    frame = read("Jan 15 10:00:00 relay " + body() + "\n"
                 "Jul 15 10:00:00 relay " + body() + "\n", relay_tz="America/Chicago",
                 year=2024)
    assert list(frame.time) == [ts("2024-01-15 16:00:00"), ts("2024-07-15 15:00:00")]


def test_device_zone_as_fixed_offsets_and_names() -> None:
    line = "<166>Aug 28 2023 15:35:00 fw : " + body()
    assert row(line, tz="+0200").time == ts("2023-08-28 13:35:00")
    assert row(line, tz="-05:00").time == ts("2023-08-28 20:35:00")
    assert row(line, tz="Europe/Berlin").time == ts("2023-08-28 13:35:00")
    assert row(line, tz="UTC").time == ts("2023-08-28 15:35:00")


@pytest.mark.parametrize("bad", ["Mars/Olympus", "+25:00", "CESTX", ""])
def test_bad_zone_names_the_parameter(bad: str) -> None:
    with pytest.raises(ValueError, match="relay_tz"):
        parse_zone(bad, parameter="relay_tz")


def test_year_less_stamps_take_year_and_roll_over_at_new_year() -> None:
    lines = "".join(f"{stamp} relay {body()}\n" for stamp in (
        "Dec 30 23:00:00", "Dec 31 23:59:59", "Jan  1 00:00:01", "Dec 31 23:59:58",
        "Jan  2 10:00:00", "Feb  1 00:00:00"))
    frame = read(lines, year=2023)
    assert list(frame.time) == [
        ts("2023-12-30 23:00:00"), ts("2023-12-31 23:59:59"), ts("2024-01-01 00:00:01"),
        ts("2023-12-31 23:59:58"), ts("2024-01-02 10:00:00"), ts("2024-02-01 00:00:00")]


def test_year_less_stamps_without_year_use_the_modification_year(tmp_path: Path) -> None:
    path = tmp_path / "messages.1"
    path.write_bytes(gzip.compress(
        f"Dec 31 23:00:00 relay {body()}\nJan  1 01:00:00 relay {body()}\n".encode()))
    modified = datetime(2025, 1, 1, 2, 0, tzinfo=UTC).timestamp()
    os.utime(path, (modified, modified))
    frame = read(path)
    # the file was last written in January 2025, so its December is 2024's
    assert list(frame.time) == [ts("2024-12-31 23:00:00"), ts("2025-01-01 01:00:00")]


def test_year_less_february_29_of_a_common_year_has_no_time() -> None:
    frame = read(f"Feb 29 12:00:00 relay {body()}\n", year=2023)
    assert pd.isna(frame.time.iloc[0])
    assert row(f"Feb 29 12:00:00 relay {body()}", year=2024).time == ts("2024-02-29 12:00:00")


def test_invalid_stamp_rejects_the_line_naming_it() -> None:
    frame = read(f"<166>Aug 28 2023 25:35:00 fw : {body()}\n{body()}\n")
    report = frame.attrs["load_report"]
    assert (report.parsed, report.rejected) == (1, 1)
    assert "invalid timestamp" in report.rejects[0].reason
    assert report.rejects[0].line == 1


def test_unrecognised_header_is_rejected_with_what_was_expected() -> None:
    frame = read(f"relay one two {body()}\n{body()}\n")  # three host tokens
    reject = frame.attrs["load_report"].rejects[0]
    assert (reject.line, "unrecognised syslog header" in reject.reason) == (1, True)


def test_shape_parser_masks_digits_once_per_shape() -> None:
    shape = parse_shape("Jun  0 00:00:00 relay00 Jun 00 0000 00:00:00 fw-0: ")
    assert shape.relay is not None and shape.stamp is not None and shape.stamp.year is not None
    masked = "Jun  0 00:00:00 relay00 Jun 00 0000 00:00:00 fw-0: "
    assert shape.device == (masked.index("fw-0"), masked.index("fw-0") + 4)
    assert parse_shape("<000>:: ").stamp is None
