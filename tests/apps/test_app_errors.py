"""read_app_errors: the §11 CSV, signatures filling codes, zones, bad input."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kit import ParseError, read_app_errors

SAMPLE = (
    "time,tz,host,app,peer_ip,peer_port,local_port,error_code,message,job_id\n"
    "2026-03-02 03:41:20,Europe/Berlin,nbu-media01,netbackup,192.0.2.10,1556,,40,"
    '"bpbrm socket read failed: errno = 62 - Timer expired",123456\n'
    "2026-03-02T02:05:41Z,,app-dmz02,oracle,203.0.113.15,1521,,,"
    '"ORA-03113: end-of-file on communication channel",\n'
    '1772420000,,web01,ssh,,,,,"client_loop: send disconnect: Broken pipe",\n'
    '2026-03-02 04:00:00,,db01,postgresql,,,,,"server closed the connection\nunexpectedly",\n'
)


def test_reference_rows_times_codes_and_classes():
    df = read_app_errors(SAMPLE.encode(), tz="+01:00")
    assert df["time"].tolist() == [
        pd.Timestamp("2026-03-02 02:41:20", tz="UTC"),  # Berlin from the tz cell
        pd.Timestamp("2026-03-02 02:05:41", tz="UTC"),  # its own Z
        pd.Timestamp(1772420000, unit="s", tz="UTC"),  # epoch
        pd.Timestamp("2026-03-02 03:00:00", tz="UTC"),  # the reader's tz=+01:00
    ]
    assert df["error_code"].tolist() == ["40", "ORA-03113", "broken-pipe", "08006"]
    assert df["class"].tolist() == ["idle-drop-strong"] * 4
    assert df["peer_ip"].iloc[0] == "192.0.2.10" and df["peer_port"].iloc[1] == 1521
    assert df["job_id"].iloc[0] == 123456 and pd.isna(df["job_id"].iloc[1])
    report = df.attrs["load_report"]
    # 6 physical lines: header (ignored), 3 one-line rows, one row spanning two lines
    assert (report.read, report.parsed, report.ignored, report.rejected) == (6, 5, 1, 0)


def test_bad_rows_are_rejected_with_reasons():
    text = ("time,message,peer_ip,peer_port\n"
            "2026-03-02 01:00:00,ok,10.0.0.1,22\n"
            "yesterday,bad time,,\n"
            "2026-03-02 01:00:00,bad ip,10.0.0.300,22\n"
            "2026-03-02 01:00:00,bad port,10.0.0.1,70000\n")
    df = read_app_errors(text.encode(), on_bad_lines="skip")
    report = df.attrs["load_report"]
    assert len(df) == 1 and report.rejected == 3
    reasons = [r.reason for r in report.rejects]
    assert "not ISO 8601" in reasons[0] and "not an IP address" in reasons[1]
    assert "not a port" in reasons[2]
    with pytest.raises(ParseError, match=r"<bytes>:3: time 'yesterday'"):
        read_app_errors(text.encode(), on_bad_lines="error")


def test_without_header_is_a_clear_error():
    with pytest.raises(ParseError, match="missing \\['time', 'message'\\]"):
        read_app_errors(b"2026-03-02 01:00:00,h,oracle,ORA-03113\n")


def test_unknown_code_keeps_its_text_and_is_unknown():
    df = read_app_errors(b"time,message,error_code,app\n2026-03-02 01:00:00,odd,E42,custom\n")
    assert (df["error_code"].iloc[0], df["class"].iloc[0]) == ("E42", "unknown")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1_000_000_000, 1_900_000_000),
                          st.text(st.characters(codec="utf-8", exclude_characters="\r\x00"),
                                  max_size=30)), max_size=6))
def test_round_trip_times_and_messages(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["time", "message"])
    writer.writerows(rows)
    df = read_app_errors(buffer.getvalue().encode(), on_bad_lines="error")
    assert df["time"].tolist() == [pd.Timestamp(t, unit="s", tz="UTC") for t, _ in rows]
    assert [m if not pd.isna(m) else "" for m in df["message"]] == [m.strip() for _, m in rows]
    report = df.attrs["load_report"]
    assert report.read == report.parsed + report.ignored + report.rejected


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_error_cleanly_or_count_every_line(data):
    try:
        df = read_app_errors(data, on_bad_lines="skip")
    except ParseError:
        return
    report = df.attrs["load_report"]
    assert report.read == report.parsed + report.ignored + report.rejected
