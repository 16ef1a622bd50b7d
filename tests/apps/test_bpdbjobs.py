"""read_bpdbjobs on every shape of evidence-sources.md §9, round trips, and bad input."""

from __future__ import annotations

import gzip

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kit import ParseError, read_bpdbjobs
from kit.synth.bpdbjobs import Job, Try, all_columns, most_columns

#: the reference's synthetic record (§9.2): escaped comma in a status line, one try, status 40
REFERENCE = (
    r"123456,0,3,40,Std_DMZ,Daily_Incr,dbhost-dmz01,nbu-media01,1772409600,9680,1772419280,"
    r"stu-disk01,1,,5242880,10234,,35,13579,root,1,0,1,0,,nbu-primary01,3,1,0,0,0,1,"
    r"ALL_LOCAL_DRIVES,1,13579,stu-disk01,nbu-media01,1772409600,9680,1772419280,40,"
    r"network connection broken,3,03/02/2026 01:00:00 - Info nbjm (pid=2468) starting backup "
    r"job (jobid=123456) for client dbhost-dmz01\, policy Std_DMZ,03/02/2026 01:00:12 - Info "
    r"bpbrm (pid=13579) connected to dbhost-dmz01,03/02/2026 03:41:20 - Error bpbrm "
    r"(pid=13579) socket read failed: errno = 62 - Timer expired,5242880,10234,123456,646,0,,,,"
    r"0,,,,,,0"
)


def _read(*lines: str, **kw) -> pd.DataFrame:
    return read_bpdbjobs(("\n".join(lines) + "\n").encode(), **kw)


def test_reference_record_values():
    df = _read(REFERENCE, tz="Europe/Berlin")
    row = df.iloc[0]
    assert (row.job_id, row.status, row.policy, row.client, row.server) == (
        123456, 40, "Std_DMZ", "dbhost-dmz01", "nbu-media01")
    assert row.try_started == pd.Timestamp("2026-03-02 00:00:00", tz="UTC")
    assert row.try_ended == pd.Timestamp("2026-03-02 02:41:20", tz="UTC")
    assert row.try_elapsed == pd.Timedelta(seconds=9680)
    assert row["class"] == "idle-drop-strong" and row.error_code == "40"
    assert row.status_lines.split("\n")[0].endswith("for client dbhost-dmz01, policy Std_DMZ")
    assert row.message.endswith("socket read failed: errno = 62 - Timer expired")
    # the status line's own stamp is Berlin local time: 03:41:20 CET = 02:41:20 UTC
    assert row.message_time == pd.Timestamp("2026-03-02 02:41:20", tz="UTC")
    assert (row.host, row.peer, row.app, row.time) == ("nbu-media01", "dbhost-dmz01",
                                                       "netbackup", row.try_ended)
    report = df.attrs["load_report"]
    assert (report.read, report.parsed, report.ignored, report.rejected) == (1, 1, 0, 0)


def test_multi_try_job_one_row_per_try_with_its_own_server_and_status():
    job = Job(900, "dmz-app01", "nbu-media01", "DMZ, Linux", "Incr", (
        Try("nbu-media01", 1_717_545_600, 1_717_550_000, 41, "network connection timed out",
            ("06/05/2024 00:00:00 - Info bpbrm started", "06/05/2024 01:13:20 - Error bpbrm "
             "socket read failed: errno = 62 - Timer expired")),
        Try("nbu-media02", 1_717_550_600, 1_717_551_000, 0, "the requested operation was "
            "successfully completed", ("06/05/2024 01:23:20 - Info done, all good",)),
    ), file_list=("/etc", "/var/lib/a,b"), path_last_written="/var/lib/a,b/x")
    df = _read(all_columns(job))
    assert df["try_number"].tolist() == [1, 2]
    assert df["status"].tolist() == [41, 0]
    assert df["job_status"].tolist() == [0, 0]
    assert df["server"].tolist() == ["nbu-media01", "nbu-media02"]
    assert df["class"].tolist() == ["idle-drop-strong", "ok"]
    assert df["policy"].tolist() == ["DMZ, Linux"] * 2
    assert df["message"].iloc[1] == "06/05/2024 01:23:20 - Info done, all good"
    assert df["tries"].tolist() == [2, 2]


def test_active_job_has_no_end_and_no_status():
    job = Job(901, "dmz-web01", "nbu-media01", "P", "S", (
        Try("nbu-media01", 1_717_545_600, 0, None, "", ("06/05/2024 00:00:00 - Info begin",)),),
        state=1)
    row = _read(all_columns(job)).iloc[0]
    assert row.state == "active"
    assert pd.isna(row.try_ended) and pd.isna(row.status) and pd.isna(row["class"])
    assert pd.isna(row.time)


def test_queued_job_without_try_gives_one_row():
    row = _read(all_columns(Job(902, "c", "m", "P", "S", (), state=0))).iloc[0]
    assert row.state == "queued" and row.tries == 0 and pd.isna(row.try_number)


def test_most_columns_one_row_per_job():
    job = Job(903, "dmz-aix01", "nbu-media01", "P,Q", "S", (
        Try("nbu-media01", 1_717_545_600, 1_717_549_200, 2074, "disk volume is down"),),
        parent=900)
    df = _read(most_columns(job), most_columns(Job(904, "c", "m", "P", "S", (
        Try("m", 1_717_545_600, 1_717_545_700, 0),))))
    assert df["layout"].tolist() == ["most_columns"] * 2
    assert df["parent_job"].tolist() == [900, 904]
    assert df["status"].tolist() == [2074, 0]
    assert df["class"].tolist() == ["unrelated", "ok"]
    assert df["policy"].iloc[0] == "P,Q"
    assert df["try_ended"].iloc[0] == pd.Timestamp(1_717_549_200, unit="s", tz="UTC")


def test_gzip_and_directory_sources(tmp_path):
    (tmp_path / "a.txt").write_bytes(gzip.compress((REFERENCE + "\n").encode()))
    (tmp_path / "b.txt").write_text(REFERENCE + "\n\n")
    df = read_bpdbjobs(tmp_path)
    report = df.attrs["load_report"]
    assert len(df) == 2
    assert (report.read, report.parsed, report.ignored, report.rejected) == (3, 2, 1, 0)


def test_truncated_record_is_rejected_with_reason_and_counted():
    cut = REFERENCE[:REFERENCE.index("socket read failed")]
    with pytest.warns(UserWarning, match="rejected"):
        df = _read(REFERENCE, cut)
    report = df.attrs["load_report"]
    assert len(df) == 1
    assert report.read == report.parsed + report.ignored + report.rejected == 2
    assert report.rejects[0].line == 2
    assert "ends inside try 1" in report.rejects[0].reason
    with pytest.raises(ParseError, match=r"<bytes>:2: .*ends inside try 1"):
        _read(REFERENCE, cut, on_bad_lines="error")


def test_non_number_field_is_rejected():
    bad = REFERENCE.replace("1772409600,9680", "yesterday,9680", 1)
    df = _read(REFERENCE, bad, on_bad_lines="skip")
    assert df.attrs["load_report"].rejected == 1
    assert "started 'yesterday' is not a number" in df.attrs["load_report"].rejects[0].reason


@pytest.mark.parametrize(("text", "says"), [
    ("JobID Type State Status Policy Schedule Client\n123 Backup Done 0 P S c\n",
     "bpdbjobs -report -all_columns"),
    ("Jun 04 2024 05:00:05 asa-dmz01: %ASA-6-302014: Teardown TCP connection 1\n",
     "firewall log"),
    ("time,host,message\n2024-06-04 01:00:00,h,ORA-03113\n", "kit.read_app_errors"),
    ("hello world\n", "not a job record"),
])
def test_other_commands_output_is_a_clear_error(text, says):
    with pytest.raises(ParseError, match=says):
        read_bpdbjobs(text.encode())


_TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\\\r\n\x0b\x0c\x1c\x1d\x1e"
                              "\x85\u2028\u2029"), max_size=12)


@st.composite
def jobs(draw) -> Job:
    tries = []
    start = draw(st.integers(1_000_000_000, 1_900_000_000))
    for _ in range(draw(st.integers(0, 3))):
        ended = start + draw(st.integers(1, 90_000))
        tries.append(Try(draw(_TEXT), start, ended, draw(st.sampled_from([0, 13, 40, 2074])),
                         draw(_TEXT), tuple(draw(st.lists(_TEXT, max_size=4)))))
        start = ended + 60
    return Job(draw(st.integers(1, 10**9)), draw(_TEXT), draw(_TEXT), draw(_TEXT), draw(_TEXT),
               tuple(tries), file_list=tuple(draw(st.lists(_TEXT, max_size=3))))


@settings(max_examples=60, deadline=None)
@given(st.lists(jobs(), min_size=1, max_size=4))
def test_round_trip_any_values(records):
    df = _read(*(all_columns(j) for j in records), on_bad_lines="error")
    expected = [(j.job_id, t.status, t.lines[-1] if t.lines else None, t.server or j.server)
                for j in records for t in (j.tries or (None,)) if t is not None] + []
    got = [(r.job_id, r.status, None if pd.isna(r.message) else r.message,
            None if pd.isna(r.server) else r.server)
           for r in df.itertuples() if not pd.isna(r.try_number)]
    assert got == [(a, b, c or None, d or None) for a, b, c, d in expected]
    assert len(df) == sum(max(len(j.tries), 1) for j in records)
    report = df.attrs["load_report"]
    assert report.read == report.parsed + report.ignored + report.rejected == len(records)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_error_cleanly_or_count_every_line(data):
    try:
        df = read_bpdbjobs(data, on_bad_lines="skip")
    except ParseError:
        return
    report = df.attrs["load_report"]
    assert report.read == report.parsed + report.ignored + report.rejected


def test_corrupt_gzip_is_a_source_error_naming_the_file(tmp_path):
    from kit import SourceError

    broken = gzip.compress(((REFERENCE + "\n") * 50).encode())
    (tmp_path / "jobs.txt").write_bytes(broken[:40])
    with pytest.raises(SourceError, match=r"jobs\.txt"):
        read_bpdbjobs(tmp_path / "jobs.txt")


def test_most_columns_file_with_a_short_record_rejects_only_it():
    good = most_columns(Job(905, "c", "m", "P", "S", (Try("m", 1_717_545_600, 1_717_545_700, 41),)))
    df = _read(good, good, "906,0,3,41,P,S,c,m", good, on_bad_lines="skip")
    report = df.attrs["load_report"]
    assert df["layout"].unique().tolist() == ["most_columns"]
    assert (report.parsed, report.rejected) == (3, 1)
    assert report.rejects[0].line == 3 and "only 8 fields" in report.rejects[0].reason


def test_windows_paths_keep_their_backslashes():
    job = Job(907, "win01", "m", "P", "S", (Try("m", 1_717_545_600, 1_717_545_700, 0),),
              file_list=(r"C:\Program Files\App", r"\\server\share\dir"))
    df = _read(all_columns(job), on_bad_lines="error")
    assert df["status"].tolist() == [0]


def test_layout_argument_is_checked():
    with pytest.raises(ValueError, match="layout must be"):
        read_bpdbjobs(REFERENCE.encode(), layout="some")


def test_a_stray_file_among_exports_is_a_reported_problem(tmp_path):
    (tmp_path / "a.txt").write_text(REFERENCE + "\n")
    (tmp_path / "notes.txt").write_text("JobID Type State Status\n1 Backup Done 0\n")
    with pytest.warns(UserWarning, match="file problem"):
        df = read_bpdbjobs(tmp_path)
    report = df.attrs["load_report"]
    assert len(df) == 1 and len(report.problems) == 1
    assert "notes.txt" in report.problems[0] and "bpdbjobs -report -all_columns" in \
        report.problems[0]
    assert report.read == report.parsed + report.ignored + report.rejected == 3
    with pytest.raises(ParseError, match=r"notes\.txt"):
        read_bpdbjobs(tmp_path, on_bad_lines="error")
