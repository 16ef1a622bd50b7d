"""PAN-OS TRAFFIC CSV (evidence-sources.md §3): header forms, column counts, CSV quoting,
Panorama devices, the forwarder layout, end reasons, time rules and the timing columns."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.firewall.helpers import read, row, ts

#: §3.3's synthetic row (8.x layout, cut after field 53)
ROW = ("1,2026/03/02 02:30:06,013201009999,TRAFFIC,end,2561,2026/03/02 02:30:05,192.0.2.10,"
          "198.51.100.20,0.0.0.0,0.0.0.0,allow-backup,,,unknown-tcp,vsys1,dmz,backup,"
          "ethernet1/2,ethernet1/3,fwd-syslog,,48213,1,50412,1556,0,0,0x0,tcp,allow,184320,"
          "120320,64000,412,2026/03/02 01:00:00,1805,any,0,7160001234,0x0,United States,"
          "United States,0,230,182,aged-out,0,0,0,0,,fw-edge-01,from-policy")
FIELDS = ROW.split(",")


def csv(**changes: str) -> str:
    fields = list(FIELDS)
    for position, value in changes.items():
        index = int(position[1:])
        while len(fields) <= index:
            fields.append("")
        fields[index] = value
    return ",".join(fields)


BSD = "<14>Mar  2 02:30:06 fw-edge-01 "


@pytest.mark.parametrize("header", [
    "<14>Mar  2 02:30:06 fw-edge-01 ",               # BSD
    "<14> Mar  2 02:30:06 fw-edge-01 ",              # a space after PRI
    "Mar  2 02:30:07 relay01 <14>Mar  2 02:30:06 fw-edge-01 ",  # a relay's prefix
    "<14>1 2026-03-02T02:30:06+01:00 fw-edge-01 - - - - ",       # RFC 5424, one space
    "<14>1 2026-03-02T02:30:06+01:00 fw-edge-01 - - - -  ",      # two spaces
    "583 <14>1 2026-03-02T02:30:06+01:00 fw-edge-01 - - - - ",   # RFC 6587 octet count
    "Sep 05 12:45:15 SumoStg05 ",                    # glued to a bare host
])
def test_every_header_form_gives_the_same_row(header: str) -> None:
    r = row(header + csv(), tz="+01:00")
    assert (r.time, r.device, r.vendor, r.msg_id, r.event, r.protocol, r.conn_id) == (
        ts("2026-03-02 01:30:05"), "fw-edge-01", "paloalto", "TRAFFIC/end", "teardown", "tcp",
        "48213")
    assert (r.src_ip, r.src_port, r.dst_ip, r.dst_port, r.src_if, r.dst_if) == (
        "192.0.2.10", 50412, "198.51.100.20", 1556, "dmz", "backup")
    assert (r.duration, r.active, r.idle_wait) == (
        pd.Timedelta(seconds=5405), pd.Timedelta(seconds=1805), pd.Timedelta(seconds=3600))
    assert (r.bytes, r.reason, r.close, r.orientation, r.line) == (
        184320, "aged-out", "idle-timeout", "logged", 1)


@pytest.mark.parametrize("columns", [47, 54, 65, 67, 75, 114, 115, 130])
def test_any_column_count_from_47_reads_and_trailing_columns_are_ignored(columns: int) -> None:
    fields = csv().split(",")[:columns] + ["extra"] * max(0, columns - 54)
    r = row(BSD + ",".join(fields[:columns]))
    expected_device = "fw-edge-01" if columns > 52 else "013201009999"
    assert (r.device, r.reason, r.bytes, r.active) == (
        expected_device, "aged-out", 184320, pd.Timedelta(seconds=1805))


def test_fewer_than_47_fields_is_rejected_naming_the_rule() -> None:
    frame = read(BSD + ",".join(csv().split(",")[:46]) + "\n" + BSD + csv() + "\n")
    report = frame.attrs["load_report"]
    assert (len(frame), report.rejected, report.rejects[0].line) == (1, 1, 1)
    assert "fewer than 47 fields" in report.rejects[0].reason


def test_files_mixing_column_counts_read_every_row_in_line_order() -> None:
    lines = [BSD + csv(f22=str(k)) + ",x" * (k % 3) * 30 for k in range(6)]
    frame = read("\n".join(lines) + "\n")
    assert list(frame.conn_id) == [str(k) for k in range(6)]
    assert list(frame.line) == [1, 2, 3, 4, 5, 6]


def test_quoted_values_and_braces_with_commas_do_not_shift_fields() -> None:
    text = csv(f41='"Reserved, local"', f11='"allow, backup"')
    fields = text.split(",")
    fields.insert(69, '"{port1,port2}"')  # link switches (69) hide commas
    r = row(BSD + ",".join(fields))
    assert (r.dst_port, r.reason, r.device) == (1556, "aged-out", "fw-edge-01")


def test_an_unbalanced_quote_rejects_its_line_only() -> None:
    frame = read(BSD + csv(f11='"allow, backup') + "\n" + BSD + csv() + "\n")
    report = frame.attrs["load_report"]
    assert (len(frame), report.rejected, report.rejects[0].line) == (1, 1, 1)
    assert list(frame.line) == [2]


def test_panorama_rows_take_the_device_from_name_else_serial_never_the_syslog_host() -> None:
    r = row("<14>Mar  2 02:30:06 panorama01 " + csv(f52="fw-branch-07"))
    assert r.device == "fw-branch-07"
    r = row("<14>Mar  2 02:30:06 panorama01 " + csv(f52=""))
    assert r.device == "013201009999"


@pytest.mark.parametrize(("reason", "protocol", "received", "close"), [
    ("aged-out", "tcp", "182", "idle-timeout"),
    ("aged-out", "tcp", "0", "syn-timeout"),
    ("aged-out", "udp", "1", None),
    ("tcp-fin", "tcp", "182", "fin"),
    ("tcp-rst-from-client", "tcp", "182", "reset"),
    ("tcp-rst-from-server", "tcp", "182", "reset"),
    ("policy-deny", "tcp", "182", "policy"),
    ("threat", "tcp", "182", "policy"),
    ("decrypt-cert-validation", "tcp", "182", "policy"),
    ("decrypt-unsupport-param", "tcp", "182", "policy"),
    ("decrypt-error", "tcp", "182", "policy"),
    ("resources-unavailable", "tcp", "182", "other"),
    ("tcp-reuse", "tcp", "182", "other"),
    ("decoder", "tcp", "182", "other"),
    ("unknown", "tcp", "182", "other"),
    ("n/a", "tcp", "182", "other"),
    ("AGED-OUT", "tcp", "182", "idle-timeout"),
])
def test_end_reasons_map_to_close_classes_keeping_the_reason(reason, protocol, received,
                                                             close) -> None:
    r = row(BSD + csv(f46=reason, f29=protocol, f45=received))
    assert r.reason == reason
    assert (r.close if isinstance(r.close, str) else None) == close


def test_start_rows_are_builts_and_other_logs_are_ignored_by_type() -> None:
    lines = [csv(f4="start", f46="n/a", f36="0"), csv(f4="drop"), csv(f3="THREAT", f4="url"),
             csv(f29="icmp"), "1,2026/03/02 02:30:06,013201009999,SYSTEM,general,0,x"]
    frame = read("\n".join(BSD + line for line in lines) + "\n")
    report = frame.attrs["load_report"]
    assert list(frame.event) == ["built"]
    assert (pd.isna(frame.duration.iloc[0]), pd.isna(frame.bytes.iloc[0])) == (True, True)
    assert dict(report.ignored_by_key) == {"TRAFFIC/drop": 1, "THREAT/url": 1,
                                           "TRAFFIC/end/icmp": 1, "SYSTEM/general": 1}


def test_local_stamps_take_tz_and_field_102_offset_wins() -> None:
    assert row(BSD + csv(), tz="America/New_York").time == ts("2026-03-02 07:30:05")
    hires = csv(f102="2026-03-02T02:30:05.412+01:00")
    r = row(BSD + hires, tz="America/New_York")  # the row's own offset wins over tz=
    assert (r.time, r.duration, r.idle_wait) == (
        ts("2026-03-02 01:30:05.412"), pd.Timedelta(seconds=5405), pd.Timedelta(seconds=3600))


def test_bad_numbers_and_times_reject_the_row_with_what_was_expected() -> None:
    lines = [csv(f24="port"), csv(f6="2026-03-02 02:30:05"), csv(f31="many"), csv()]
    frame = read("\n".join(BSD + line for line in lines) + "\n")
    reasons = [r.reason for r in frame.attrs["load_report"].rejects]
    assert len(frame) == 1
    assert "port not a number" in reasons[0]
    assert "'YYYY/MM/DD HH:MM:SS'" in reasons[1]
    assert "bytes or elapsed time not a number" in reasons[2]


#: the forwarder layout (§3.3): no leading "1,", ISO times with Z, its own column order
FORWARDER = ("<14>1 2026-03-02T01:30:06Z fw-edge-01 logforwarder - panwlogs - "
             "2026-03-02T01:30:05.123456Z,013201009999,TRAFFIC,end,2561,192.0.2.10,"
             "198.51.100.20,,,,,,,,,,,,,,48213,1,50412,1556,0,0,tcp,allow,184320,120320,64000,"
             "412,2026-03-02T00:00:00.000000Z,1805,,,,,,,aged-out,fw-edge-01")


def test_the_forwarder_layout_is_read_by_its_own_column_order() -> None:
    r = row(FORWARDER, tz="Asia/Tokyo")  # ISO stamps with Z ignore tz=
    assert (r.time, r.device, r.conn_id, r.src_port, r.dst_port, r.bytes) == (
        ts("2026-03-02 01:30:05.123456"), "013201009999", "48213", 50412, 1556, 184320)
    assert (r.duration, r.active, r.close) == (
        pd.Timedelta(seconds=5405.123456), pd.Timedelta(seconds=1805), "idle-timeout")
    r = row(FORWARDER.replace(",013201009999,", ",no-serial,"))
    assert r.device == "fw-edge-01"  # the sending host when there is no serial
