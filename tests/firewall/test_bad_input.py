"""Bad input (issue 2): every line counted, clear reasons, never a crash deep inside pandas."""

from __future__ import annotations

import bz2
import gzip
import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kit import ParseError, read_firewall_log

from .helpers import check_counts, read

GOOD = ("<166>Aug 28 2023 15:35:00 fw1 : %ASA-6-302014: Teardown TCP connection 7 for "
        "outside:192.0.2.1/443 to inside:10.0.0.5/40000 duration 0:00:34 bytes 1234 TCP FINs")
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00\x00"


def load(data: bytes, **options) -> pd.DataFrame:
    return read(data, **options)


def test_truncated_connection_line_is_rejected_with_what_was_expected() -> None:
    frame = load(f"{GOOD}\n{GOOD[:120]}\n".encode())
    report = frame.attrs["load_report"]
    assert (report.parsed, report.rejected) == (1, 1)
    reject = report.rejects[0]
    assert reject.line == 2
    assert reject.reason.startswith("302014: message not understood (expected 'Teardown TCP")
    assert "Teardown TCP connection 7 for outside" in reject.reason  # the line is quoted


def test_truncated_tag_is_rejected_not_ignored() -> None:
    frame = load(f"{GOOD}\n<166>Aug 28 2023 15:35:00 fw1 : %ASA-6-3020\n".encode())
    assert "damaged Cisco message tag" in frame.attrs["load_report"].rejects[0].reason


def test_binary_garbage_and_nul_bytes_are_rejected() -> None:
    frame = load(GOOD.encode() + b"\n\x00\x01\x02\xff\xfe garbage\n" + GOOD.encode()
                 + b"\x00\n" + bytes(range(11, 256)) + b"\n")
    report = frame.attrs["load_report"]
    assert (report.read, report.parsed, report.rejected) == (4, 1, 3)
    assert {r.line for r in report.rejects} == {2, 3, 4}
    assert all("control characters" in r.reason for r in report.rejects)


def test_invalid_utf8_is_replaced_and_counted() -> None:
    bad_user = GOOD.replace("TCP FINs", "TCP FINs from outside (j\xff\xfedoe)")
    data = bad_user.encode("latin-1") + b"\n" + GOOD.encode() + b"\n"
    frame = load(data)
    report = frame.attrs["load_report"]
    assert report.decode_errors == 1
    assert report.files[0].decode_errors == 1
    assert frame.user.iloc[0] == "j\ufffd\ufffddoe"
    assert "invalid UTF-8" in str(report)


def test_crlf_line_endings() -> None:
    frame = load(f"{GOOD}\r\n{GOOD}\r\n\r\n".encode())
    assert len(frame) == 2
    assert list(frame.reason) == ["TCP FINs", "TCP FINs"]
    assert frame.attrs["load_report"].ignored_by_key == {"blank": 1}


def test_a_5_mb_line_is_rejected_and_the_rest_read() -> None:
    frame = load(GOOD.encode() + b"\n" + b"x" * (5 * 1024 * 1024) + b"\n" + GOOD.encode())
    report = frame.attrs["load_report"]
    assert (report.read, report.parsed, report.rejected) == (3, 2, 1)
    assert report.rejects[0].line == 2
    assert list(frame.line) == [1, 3]


def test_a_5_mb_line_with_a_tag_is_rejected() -> None:
    frame = load(GOOD.encode() + b"\n" + b"y" * (5 * 1024 * 1024) + b" %ASA-6-302014: x\n")
    assert frame.attrs["load_report"].rejected == 1


def test_empty_file_is_a_reported_problem(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    good = tmp_path / "good.log"
    good.write_text(GOOD + "\n")
    frame = read([empty, good])
    report = frame.attrs["load_report"]
    assert report.problems == [f"{empty}: empty file (no lines)"]
    assert len(frame) == 1


def test_no_events_anywhere_raises_saying_so(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    with pytest.raises(ParseError, match="no firewall connection events"):
        read_firewall_log(empty, progress=False)
    with pytest.raises(ParseError, match="no firewall connection events"):
        read_firewall_log(b"Jun  2 16:54:07 host sshd[1]: hello\n", progress=False)


@pytest.mark.parametrize("content", [b"time,src,dst\n2024-01-01,10.0.0.1,10.0.0.2\n"])
def test_a_file_of_another_kind_names_what_was_expected(tmp_path: Path, content: bytes) -> None:
    """(A PNG is refused whole before any line is read: tests/test_hostile_sources.py.)"""
    other = tmp_path / "other.bin"
    other.write_bytes(content)
    good = tmp_path / "good.log"
    good.write_text(GOOD + "\n")
    frame = read([other, good])
    report = frame.attrs["load_report"]
    assert len(report.problems) == 1
    problem = report.problems[0]
    assert problem.startswith(f"{other}: no Cisco ASA/PIX/FWSM/FTD syslog lines recognised")
    assert "%ASA-6-302014" in problem
    with pytest.raises(ParseError, match="no firewall connection events"):
        read_firewall_log(other, progress=False)


def test_corrupt_gzip_keeps_what_was_read_and_names_the_failure(tmp_path: Path) -> None:
    random = np.random.default_rng(1)
    lines = "".join(GOOD.replace("7 for", f"{random.integers(1e9)} for")
                    .replace("1234", str(random.integers(1e9))) + "\n"
                    for _ in range(40_000)).encode()
    damaged = tmp_path / "messages.1"
    data = gzip.compress(lines)
    damaged.write_bytes(data[: len(data) * 3 // 4])
    frame = read(damaged)
    report = frame.attrs["load_report"]
    assert 10_000 < len(frame) < 40_000
    assert frame.bytes.notna().all()
    assert report.problems and report.problems[0].startswith(f"{damaged}: corrupt or truncated")
    with pytest.raises(ParseError, match=r"messages\.1"):  # its cut-off last line, or the damage
        read_firewall_log(damaged, on_bad_lines="error", progress=False)


def test_on_bad_lines_error_raises_at_the_first_reject_with_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "fw.log"
    path.write_text(f"{GOOD}\n{GOOD[:100]}\n")
    with pytest.raises(ParseError) as caught:
        read_firewall_log(path, on_bad_lines="error", progress=False)
    assert (caught.value.source, caught.value.line) == (str(path), 2)
    assert "expected 'Teardown TCP connection" in str(caught.value)


def test_on_bad_lines_warn_warns_once_and_skip_is_silent() -> None:
    data = (f"{GOOD}\n" + "garbage\n" * 50).encode()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_firewall_log(data, progress=False)
    assert len(caught) == 1
    assert "50 line(s) rejected" in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        frame = read_firewall_log(data, on_bad_lines="skip", progress=False)
    assert frame.attrs["load_report"].rejected == 50  # all three count every line


def test_report_keeps_only_the_first_rejects_but_counts_all() -> None:
    frame = load((f"{GOOD}\n" + "garbage\n" * 100).encode())
    report = frame.attrs["load_report"]
    assert report.rejected == 100
    assert [r.line for r in report.rejects] == list(range(2, 22))


def test_missing_file_in_a_list_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    good = tmp_path / "good.log"
    good.write_text(GOOD + "\n")
    frame = read([tmp_path / "missing.log", good])
    assert frame.attrs["load_report"].problems == [
        f"{tmp_path / 'missing.log'}: no such file or directory"]


@pytest.mark.parametrize(("option", "value"), [("vendor", "checkpoint"), ("on_bad_lines", "x"),
                                               ("year", 99), ("tz", "Nowhere/City")])
def test_bad_options_are_value_errors(option: str, value: object) -> None:
    with pytest.raises(ValueError, match=option):
        read_firewall_log(GOOD.encode(), **{option: value})


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress])
def test_compression_detected_from_content_not_name(tmp_path: Path, compress) -> None:
    path = tmp_path / "messages.1"
    path.write_bytes(compress(f"{GOOD}\n{GOOD}\n".encode()))
    frame = read(path)
    assert (len(frame), frame.source.iloc[0], list(frame.line)) == (2, str(path), [1, 2])


def test_sources_directory_glob_list_filelike_and_upload(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "fw1.log").write_text(GOOD + "\n")
    (tmp_path / "b.log").write_bytes(gzip.compress((GOOD + "\n" + GOOD + "\n").encode()))
    by_dir = read(tmp_path)
    assert list(by_dir.source) == [str(tmp_path / "a" / "fw1.log")] + [str(tmp_path / "b.log")] * 2
    by_glob = read_firewall_log(str(tmp_path / "*.log"), progress=False)
    check_counts(by_glob.attrs["load_report"])
    assert len(by_glob) == 2
    assert len(read(io.BytesIO(GOOD.encode()))) == 1
    assert len(read(io.StringIO(GOOD + "\n"))) == 1
    upload = ({"name": "fw.log", "content": memoryview(GOOD.encode())},)
    frame = read(upload)
    assert frame.source.iloc[0] == "fw.log"
    check_counts(frame.attrs["load_report"])


def test_progress_false_writes_nothing_and_true_shows_a_bar(capsys) -> None:
    read_firewall_log(GOOD.encode(), progress=False)
    assert capsys.readouterr().err == ""
    read_firewall_log(GOOD.encode(), progress=True)
    assert "reading firewall log" in capsys.readouterr().err
    read_firewall_log(GOOD.encode())  # automatic: a short load shows nothing
    assert capsys.readouterr().err == ""
