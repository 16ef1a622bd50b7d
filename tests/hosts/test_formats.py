"""One real-shaped fixture per export format, with the exact values each must give."""

from __future__ import annotations

import shutil
import warnings

import pandas as pd
import pytest

import kit
from kit.hosts.schema import KEEPALIVE_DTYPES

from .conftest import FIXTURES, check_invariant, seconds

# fixture -> host, os, time s, interval s, probes, time_to_detect s, defaulted, (parsed, read)
EXPECTED = {
    "dmz-web01.sysctl.txt": ("dmz-web01", "linux", 600, 30, 5, 750, "", (3, 5)),
    "nbu-media01.sysctl-a.txt": ("nbu-media01", "linux", 7200, 75, 9, 7875, "", (3, 15)),
    "web02.proc.txt": ("web02", "linux", 1800, 60, 6, 2160, "", (3, 4)),
    "app03.cat.txt": ("app03", "linux", 900, 75, 9, 1575,
                      "keepalive_interval,keepalive_probes", (1, 2)),
    "db04.sysctl.conf": ("db04", "linux", 300, 75, 4, 600, "keepalive_interval", (2, 7)),
    "WIN-DB01.regquery.txt": ("WIN-DB01", "windows", 300, 1, 10, 310, "keepalive_probes",
                              (2, 25)),
    "win-app02.regquery-v.txt": ("win-app02", "windows", 7200, 1, 10, 7210,
                                 "keepalive_time,keepalive_interval,keepalive_probes", (2, 5)),
    "win-fs03.reg": ("WIN-FS03", "windows", 900, 1, 10, 910,
                     "keepalive_interval,keepalive_probes", (1, 14)),
    "win-ps04.ps.txt": ("WIN-PS04", "windows", 600, 1, 10, 610,
                        "keepalive_interval,keepalive_probes", (1, 16)),
    "aix01.no-a.txt": ("aix01", "aix", 600, 10, 8, 680, "", (3, 17)),
    "aix02.no-o.txt": ("aix02", "aix", 7200, 75, 8, 7800, "keepalive_probes", (2, 3)),
    "sol01.ndd.txt": ("sol01", "solaris", 7200, None, None, 7680, "", (2, 6)),
    "sol11.ipadm.txt": ("sol11", "solaris", 1800, None, None, 2280, "abort_interval", (1, 3)),
    "hpux01.ndd.txt": ("hpux01", "hpux", 900, 10, None, 1500, "", (3, 8)),
    "mac01.sysctl.txt": ("mac01", "macos", 7200, 75, 8, 7800, "", (3, 10)),
    "bsd01.sysctl.txt": ("bsd01", "freebsd", 600, 30, 5, 750, "", (3, 6)),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_format_gives_exact_values(name):
    host, os, time, interval, probes, detect, defaulted, (parsed, read) = EXPECTED[name]
    df = kit.read_keepalive(FIXTURES / name)
    assert list(df.columns) == list(KEEPALIVE_DTYPES)
    assert df.dtypes.astype(str).to_dict() == {
        c: str(pd.Series(dtype=t).dtype) for c, t in KEEPALIVE_DTYPES.items()}
    assert len(df) == 1
    row = df.iloc[0]
    assert (row.host, row.os) == (host, os)
    assert seconds(row.keepalive_time) == time
    assert seconds(row.keepalive_interval) == interval
    assert (None if pd.isna(row.keepalive_probes) else int(row.keepalive_probes)) == probes
    assert seconds(row.time_to_detect) == detect
    assert row.defaulted == defaulted
    assert row.warnings == ""
    assert row.source == str(FIXTURES / name)
    report = df.attrs["load_report"]
    check_invariant(report)
    assert (report.parsed, report.read, report.rejected) == (parsed, read, 0)
    assert report.files[0].kind == "hosts"


def test_line_points_at_the_keepalive_time_value():
    df = kit.read_keepalive(FIXTURES / "dmz-web01.sysctl.txt")
    assert df.line.iloc[0] == 4
    lines = (FIXTURES / "dmz-web01.sysctl.txt").read_text().splitlines()
    assert lines[3] == "net.ipv4.tcp_keepalive_time = 600"
    absent = kit.read_keepalive(FIXTURES / "win-app02.regquery-v.txt")
    assert pd.isna(absent.line.iloc[0])  # the default has no line


def test_reg_export_utf16le_with_bom_is_read():
    data = (FIXTURES / "win-fs03.reg").read_bytes()
    assert data[:2] == b"\xff\xfe" and data[3:4] == b"\x00"
    df = kit.read_keepalive(data, host="ignored-because-content-names-it")
    assert df.host.iloc[0] == "WIN-FS03"
    assert seconds(df.keepalive_time.iloc[0]) == 900
    assert "host='ignored-because-content-names-it' ignored" in df.warnings.iloc[0]


def test_same_reg_export_in_utf8_gives_the_same_values():
    text = (FIXTURES / "win-fs03.reg").read_bytes().decode("utf-16")
    df = kit.read_keepalive(text.encode("utf-8"))
    assert (df.host.iloc[0], seconds(df.keepalive_time.iloc[0])) == ("WIN-FS03", 900)


def test_csv_sheet_units_in_values():
    df = kit.read_keepalive(FIXTURES / "site-sheet.csv")
    got = {r.host: (r.os, seconds(r.keepalive_time), seconds(r.keepalive_interval),
                    None if pd.isna(r.keepalive_probes) else int(r.keepalive_probes),
                    seconds(r.time_to_detect), r.defaulted) for r in df.itertuples()}
    assert got == {
        "nbu-client07": ("linux", 7200, 75, 9, 7875, ""),
        "nbu-client08": ("windows", 900, 1, 10, 910, "keepalive_probes"),
        "nbu-client09": ("aix", 5400, 75, 8, 6000, "keepalive_interval,keepalive_probes"),
    }
    assert set(df.warnings) == {""}
    assert list(df.line) == [3, 4, 5]
    report = df.attrs["load_report"]
    check_invariant(report)
    assert (report.read, report.parsed, report.ignored) == (5, 3, 2)


def test_csv_sheet_units_in_header_and_semicolons():
    df = kit.read_keepalive(FIXTURES / "site-units-in-header.csv")
    got = {r.host: (r.os, seconds(r.keepalive_time), seconds(r.keepalive_interval),
                    seconds(r.time_to_detect)) for r in df.itertuples()}
    assert got == {"sun-db10": ("solaris", 3600, None, 4080),
                   "mac-build11": ("macos", 600, 30, 720)}


def test_mixed_directory_reads_into_one_row_per_host(tmp_path):
    for name in [*EXPECTED, "site-sheet.csv", "site-units-in-header.csv", "win-trap.reg",
                 "mac-trap.sysctl.txt"]:
        shutil.copy(FIXTURES / name, tmp_path / name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing in these fixtures is malformed
        df = kit.read_keepalive(tmp_path)
    expected_hosts = {v[0] for v in EXPECTED.values()} | {
        "nbu-client07", "nbu-client08", "nbu-client09", "sun-db10", "mac-build11", "win-trap",
        "mac-trap"}
    assert len(df) == len(expected_hosts) == 23
    assert set(df.host) == expected_hosts
    assert set(df.os) == {"linux", "windows", "aix", "solaris", "hpux", "macos", "freebsd"}
    by_host = df.set_index("host")
    for host, os, time, *_ in EXPECTED.values():
        assert by_host.loc[host, "os"] == os
        assert seconds(by_host.loc[host, "keepalive_time"]) == time
    report = df.attrs["load_report"]
    check_invariant(report)
    assert len(report.files) == 20


def test_ambiguous_ndd_transcript_keeps_the_time_and_leaves_the_abort_unknown():
    data = b"# ndd -get /dev/tcp tcp_keepalive_interval\n900000\n"
    either = kit.read_keepalive(data, host="unix9", on_bad_lines="skip").iloc[0]
    assert (either.os, seconds(either.keepalive_time)) == ("solaris-or-hpux", 900)
    assert pd.isna(either.time_to_detect)
    assert "nothing in the export or the inventory says Solaris or HP-UX" in either.warnings
    risk = kit.keepalive_risk(pd.DataFrame([either]), "0:10:00").iloc[0]
    assert risk.at_risk and risk.commands == "ndd -set /dev/tcp tcp_keepalive_interval 300000"
    # the inventory's os settles it (hosts matched by the one identity rule)
    settled = kit.read_keepalive(data, host="UNIX9", os_hints={"unix9.corp.example": "hpux"})
    assert (settled.os.iloc[0], seconds(settled.time_to_detect.iloc[0])) == ("hpux", 1500)
    assert settled.warnings.iloc[0] == ""
    hpux = kit.read_keepalive(data, host="unix9", os="hpux")
    assert (hpux.os.iloc[0], seconds(hpux.time_to_detect.iloc[0])) == ("hpux", 1500)
    solaris = kit.read_keepalive(data, host="unix9", os="solaris")
    assert seconds(solaris.time_to_detect.iloc[0]) == 900 + 480


def test_solaris_without_keepalive_abort_falls_back_to_ip_abort_interval():
    data = (b"SunOS sol9 5.9 Generic sun4u\n# ndd -get /dev/tcp tcp_keepalive_interval\n"
            b"600000\n# ndd -get /dev/tcp tcp_ip_abort_interval\n240000\n")
    df = kit.read_keepalive(data)
    assert (df.host.iloc[0], df.os.iloc[0]) == ("sol9", "solaris")
    assert seconds(df.time_to_detect.iloc[0]) == 600 + 240
    assert df.defaulted.iloc[0] == ""


def test_unrecognisable_content_asks_for_os_and_shows_first_lines():
    with pytest.raises(kit.ParseError) as info:
        kit.read_keepalive(b"hello world\nthis is not an export\n", host="x")
    message = str(info.value)
    assert "pass os=" in message
    assert "'hello world' | 'this is not an export'" in message
    assert message.startswith("<bytes>:")


def test_forced_os_on_a_file_without_settings_takes_the_defaults():
    df = kit.read_keepalive(b"# nothing here\n", host="bare", os="linux")
    row = df.iloc[0]
    assert (row.os, seconds(row.keepalive_time), seconds(row.time_to_detect)) == (
        "linux", 7200, 7875)
    assert row.defaulted == "keepalive_time,keepalive_interval,keepalive_probes"
    assert "no Linux keepalive setting found" in row.warnings


def test_unknown_os_argument_is_refused():
    with pytest.raises(ValueError, match="unknown os 'beos'"):
        kit.read_keepalive(b"x", os="beos")


def test_empty_directory_gives_an_empty_frame(tmp_path):
    df = kit.read_keepalive(tmp_path)
    assert df.empty and list(df.columns) == list(KEEPALIVE_DTYPES)
    assert df.attrs["load_report"].files == []
