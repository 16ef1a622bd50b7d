"""Unit traps, defaults, malformed values and the Windows variants, each with exact values."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

import kit

from .conftest import FIXTURES, check_invariant, seconds

PARAMS = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"


def one(data: object, **kwargs) -> pd.Series:
    df = kit.read_keepalive(data, **kwargs)
    assert len(df) == 1
    check_invariant(df.attrs["load_report"])
    return df.iloc[0]


def test_reg_dword_that_looks_decimal_is_taken_as_hex_and_warned():
    row = one(FIXTURES / "win-trap.reg")
    assert seconds(row.keepalive_time) == 196.608
    assert seconds(row.keepalive_interval) == 4.096
    assert seconds(row.time_to_detect) == 196.608 + 10 * 4.096
    path = FIXTURES / "win-trap.reg"
    assert (f"{path}:5: KeepAliveTime=dword:00030000 is hexadecimal: 196,608 ms "
            "(3 min 16.608 s). If 30,000 ms (30 s) was meant, write dword:00007530") in row.warnings
    assert "/v KeepAliveTime /t REG_DWORD /d 30000" in row.warnings
    assert (f"{path}:6: KeepAliveInterval=dword:00001000 is hexadecimal: 4,096 ms (4.096 s). "
            "If 1,000 ms (1 s) was meant, write dword:000003e8") in row.warnings


def test_genuine_hex_dwords_are_not_flagged():
    for digits in ("000493e0", "006ddd00", "00007530", "000dbba0"):
        data = f'[{PARAMS}]\n"KeepAliveTime"=dword:{digits}\n'.encode()
        row = one(data, host="w")
        assert row.warnings == "", digits
        assert seconds(row.keepalive_time) == int(digits, 16) / 1000


def test_reg_query_hex_value_that_looks_decimal_is_flagged_too():
    data = f"{PARAMS}\n    KeepAliveTime    REG_DWORD    0x30000\n".encode()
    row = one(data, host="w")
    assert seconds(row.keepalive_time) == 196.608
    assert "If 30,000 ms (30 s) was meant" in row.warnings


def test_bsd_keepidle_in_seconds_is_warned(fixtures):
    row = one(fixtures / "mac-trap.sysctl.txt")
    assert (row.host, row.os) == ("mac-trap", "macos")
    assert seconds(row.keepalive_time) == 3.6
    assert seconds(row.time_to_detect) == 3.6 + 8 * 75
    assert ("net.inet.tcp.keepidle = 3600 is 3,600 ms (3.6 s): milliseconds, not seconds. "
            "If 3600 s was meant, write net.inet.tcp.keepidle=3600000") in row.warnings
    assert f"{fixtures / 'mac-trap.sysctl.txt'}:5: " in row.warnings  # the "-> 3600" answer


def test_bsd_without_os_evidence_assumes_macos_and_says_so():
    row = one(b"net.inet.tcp.keepidle: 600000\n", host="bsdish")
    assert row.os == "macos"
    assert "pass os='freebsd'" in row.warnings
    forced = one(b"net.inet.tcp.keepidle: 600000\n", host="bsdish", os="freebsd")
    assert (forced.os, forced.warnings) == ("freebsd", "")


def test_non_numeric_value_is_a_counted_reject_and_the_default_applies():
    data = b"net.ipv4.tcp_keepalive_time = two hours\nnet.ipv4.tcp_keepalive_intvl = 30\n"
    with pytest.warns(UserWarning, match="1 line.s. rejected"):
        df = kit.read_keepalive(data, host="bad1")
    row = df.iloc[0]
    assert seconds(row.keepalive_time) == 7200 and "keepalive_time" in row.defaulted
    assert seconds(row.keepalive_interval) == 30
    report = df.attrs["load_report"]
    check_invariant(report)
    assert (report.read, report.parsed, report.rejected) == (2, 1, 1)
    assert str(report.rejects[0]) == (
        "<bytes>:1: tcp_keepalive_time: expected a whole number of s, found 'two hours'")
    with pytest.raises(kit.ParseError, match=r"^<bytes>:1: tcp_keepalive_time: expected"):
        kit.read_keepalive(data, host="bad1", on_bad_lines="error")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kit.read_keepalive(data, host="bad1", on_bad_lines="skip")


@pytest.mark.parametrize("value", ["-5", "7200.5", "0x1C20", "１２", "99999999999999999999999"])
def test_malformed_numbers_are_rejected(value):
    data = f"net.ipv4.tcp_keepalive_time = {value}\n".encode()
    df = kit.read_keepalive(data, host="h", on_bad_lines="skip")
    assert df.attrs["load_report"].rejected == 1
    assert df.defaulted.iloc[0].startswith("keepalive_time")


def test_out_of_range_values_are_kept_and_warned_with_file_and_line():
    row = one(b"SunOS s 5.10\n# ndd -get /dev/tcp tcp_keepalive_interval\n5000\n")
    assert seconds(row.keepalive_time) == 5
    assert row.warnings == ("<bytes>:3: tcp_keepalive_interval = 5000 is outside Solaris's valid "
                            "range 10,000..864,000,000 ms; the OS may refuse or clamp it "
                            "(taken as written)")
    linux = one(b"net.ipv4.tcp_keepalive_probes = 0\n", host="l")
    assert linux.keepalive_probes == 0 and "outside Linux's valid range 1..255" in linux.warnings


def test_set_twice_keeps_the_worst_value_with_a_warning():
    # sysctl -a (the running 7200) and a sysctl.d file (1200) in one export: risk on the worst
    data = b"net.ipv4.tcp_keepalive_time = 7200\nnet.ipv4.tcp_keepalive_time=1200\n"
    row = one(data, host="dup")
    assert seconds(row.keepalive_time) == 7200 and row.line == 1
    assert ("set twice (line 1: 7200, line 2: 1200); which one is in force is uncertain, so the "
            "worst, 7200, is used") in row.warnings


def test_commented_out_settings_never_apply():
    data = b"# net.ipv4.tcp_keepalive_time = 60\n;net.ipv4.tcp_keepalive_time=60\nvm.x = 1\n"
    row = one(data, host="c", os="linux")
    assert seconds(row.keepalive_time) == 7200


def test_bare_answers_follow_their_commands():
    data = (b"$ cat /proc/sys/net/ipv4/tcp_keepalive_{time,intvl,probes}\n1200\n20\n3\n"
            b"$ sysctl -n net.ipv4.tcp_keepalive_time\n1200\n")
    row = one(data, host="b")
    assert (seconds(row.keepalive_time), seconds(row.keepalive_interval),
            row.keepalive_probes) == (1200, 20, 3)
    globbed = one(b"# cat /proc/sys/net/ipv4/tcp_keepalive_*\n45\n5\n600\n", host="g")
    assert (seconds(globbed.keepalive_time), seconds(globbed.keepalive_interval),
            globbed.keepalive_probes) == (600, 45, 5)


def test_reg_value_with_the_wrong_type_is_ignored_by_windows():
    data = f'[{PARAMS}]\n"KeepAliveTime"="300000"\n'.encode()
    row = one(data, host="w")
    assert seconds(row.keepalive_time) == 7200
    assert "keepalive_time" in row.defaulted
    assert "stored as REG_SZ; Windows reads it only as a REG_DWORD" in row.warnings


def test_reg_deleted_value_and_hex4_form():
    deleted = one(f'[{PARAMS}]\n"KeepAliveTime"=-\n'.encode(), host="w")
    assert seconds(deleted.keepalive_time) == 7200
    hex4 = one(f'[{PARAMS}]\n"KeepAliveTime"=hex(4):e0,93,04,00\n'.encode(), host="w")
    assert seconds(hex4.keepalive_time) == 300


def test_reg_dword_with_too_many_digits_is_rejected():
    df = kit.read_keepalive(f'[{PARAMS}]\n"KeepAliveTime"=dword:0000493e00\n'.encode(),
                            host="w", on_bad_lines="skip")
    assert df.attrs["load_report"].rejected == 1
    assert "at most 8 hex digits" in str(df.attrs["load_report"].rejects[0])


def test_values_of_other_registry_keys_are_ignored():
    data = (f"{PARAMS}\n    KeepAliveTime    REG_DWORD    0x493e0\n\n"
            f"{PARAMS}\\Interfaces\\{{6f2b}}\n    KeepAliveTime    REG_DWORD    0x3e8\n").encode()
    row = one(data, host="w")
    assert seconds(row.keepalive_time) == 300 and row.warnings == ""


def test_remote_reg_query_names_the_host():
    data = (b"C:\\>reg query \\\\NBU-MASTER\\HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip"
            b"\\Parameters /v KeepAliveTime\r\n\r\n" + PARAMS.encode()
            + b"\r\n    KeepAliveTime    REG_DWORD    0xdbba0\r\n")
    row = one(data)
    assert (row.host, seconds(row.keepalive_time)) == ("NBU-MASTER", 900)


def test_powershell_table_value_and_missing_property():
    table = (b"KeepAliveTime KeepAliveInterval\n------------- -----------------\n"
             b"       300000       2000\n")
    row = one(table, host="p")
    assert (seconds(row.keepalive_time), seconds(row.keepalive_interval)) == (300, 2)
    bare = one(b"PS C:\\> Get-ItemPropertyValue -Path HKLM:\\SYSTEM\\CurrentControlSet\\Services"
               b"\\Tcpip\\Parameters -Name KeepAliveTime\n450000\n", host="p")
    assert seconds(bare.keepalive_time) == 450
    missing = one(b"Get-ItemProperty : Property KeepAliveTime does not exist at path "
                  b"HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters.\n",
                  host="p")
    assert seconds(missing.keepalive_time) == 7200 and "keepalive_time" in missing.defaulted


def test_aix_no_l_table_and_set_answer():
    table = (b"NAME                      CUR    DEF    BOOT   MIN    MAX    UNIT           TYPE\n"
             b"     DEPENDENCIES\n" + b"-" * 80 + b"\n"
             b"tcp_keepidle              1800   14400  1800   1      2G-1   halfsec        C\n")
    row = one(table, host="a", os="aix")
    assert seconds(row.keepalive_time) == 900
    answer = one(b"# no -p -o tcp_keepidle=1800\nSetting tcp_keepidle to 1800\n"
                 b"Setting tcp_keepidle to 1800 in nextboot file\n", host="a")
    assert (answer.os, seconds(answer.keepalive_time)) == ("aix", 900)


def test_aix_odd_half_seconds_are_exact():
    row = one(b"tcp_keepidle = 3\ntcp_keepintvl = 1\ntcp_keepcnt = 2\n", host="a")
    assert (seconds(row.keepalive_time), seconds(row.time_to_detect)) == (1.5, 2.5)


def test_ipadm_without_header_and_parsable_form():
    row = one(b"tcp   _keepalive_interval   rw   600000   600000   7200000   10000-864000000\n",
              host="s")
    assert (row.os, seconds(row.keepalive_time)) == ("solaris", 600)
    parsable = one(b"# ipadm show-prop -c -o property,current -p _keepalive_interval tcp\n"
                   b"_keepalive_interval:900000\n", host="s")
    assert seconds(parsable.keepalive_time) == 900


def test_csv_bare_numbers_use_the_os_unit_and_say_so():
    row = one(b"host,os,keepalive_time\nc1,windows,300000\n")
    assert seconds(row.keepalive_time) == 300
    assert ("time 300000 has no unit (in the value or the header); read as 300,000 ms (5 min), "
            "Windows's own unit") in row.warnings


def test_csv_bad_rows_are_rejected_with_reasons():
    data = (b"host,os,keepalive_time\nc1,linux,2 fortnights\nc2,plan9,2h\n,linux,2h\n"
            b"c3,linux,10m\n")
    df = kit.read_keepalive(data, on_bad_lines="skip")
    assert list(df.host) == ["c3"] and seconds(df.keepalive_time.iloc[0]) == 600
    reasons = [r.reason for r in df.attrs["load_report"].rejects]
    assert reasons == [
        "time: expected a duration such as 2h, 300s or 900000ms, found '2 fortnights'",
        "unknown os 'plan9': expected one of linux, windows, aix, solaris, hpux, macos, freebsd",
        "the host column is empty",
    ]
    check_invariant(df.attrs["load_report"])


def test_csv_without_os_asks_for_it():
    data = b"host,keepalive_time\nc1,15min\n"
    with pytest.raises(kit.ParseError, match="pass os='linux', os='windows'"):
        kit.read_keepalive(data)
    row = one(data, os="aix")
    assert (row.os, seconds(row.keepalive_time)) == ("aix", 900)


def test_csv_values_a_unit_cannot_hold_are_kept_and_flagged():
    row = one(b"host,os,keepalive_time,keepalive_probes\nc1,windows,1.5s,12\n")
    assert seconds(row.keepalive_time) == 1.5 and row.keepalive_probes == 10
    assert "Windows has no probes setting; the sheet's '12' is ignored" in row.warnings
    linux = one(b"host,os,keepalive_time\nc1,linux,1500ms\n")
    assert seconds(linux.keepalive_time) == 1.5
    assert "not a whole number of s, which Linux cannot hold" in linux.warnings


def test_csv_with_header_only_or_only_bad_rows():
    with pytest.raises(kit.ParseError, match="header but no host rows"):
        kit.read_keepalive(b"host,os,keepalive_time\n")
    with pytest.raises(kit.ParseError, match="unknown os 'plan9'"):
        kit.read_keepalive(b"host,os,keepalive_time\nc1,plan9,2h\n", on_bad_lines="error")
    df = kit.read_keepalive(b"host,os,keepalive_time\nc1,plan9,2h\n", on_bad_lines="skip")
    assert df.empty and df.attrs["load_report"].rejected == 1
