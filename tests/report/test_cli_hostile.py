"""`kit report` and `kit parse` on hostile ground (issue 15, points 11 and 19): a quiet success,
the key kept out of `ps`, escaped file names, clear errors for unwritable output."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from report_cases import KEY, make_case
from tiny_notebooks import tiny_notebook

import kit.report
from kit.cli import build_parser, main
from kit.redaction import KEY_ENV, Redactor


@pytest.fixture
def folders(tmp_path, monkeypatch):
    case = make_case(tmp_path / "case")
    monkeypatch.setattr("kit.case.load_case", lambda path: case)
    monkeypatch.delenv(KEY_ENV, raising=False)
    name = tiny_notebook(tmp_path / "notebooks")
    monkeypatch.setattr("kit.report.NOTEBOOKS", (name,))
    return case, tmp_path / "notebooks"


def test_a_successful_report_prints_no_kernel_noise_and_takes_the_key_from_the_environment(
        folders, tmp_path, capfd, monkeypatch) -> None:
    case, notebooks = folders
    monkeypatch.setenv(KEY_ENV, KEY.hex())
    status = main(["report", str(case.path), "--out", str(tmp_path / "out"),
                   "--notebooks", str(notebooks)])
    _, err = capfd.readouterr()  # the kernel's own stderr included (file descriptor 2)
    assert status == 0, err
    assert "KeyboardInterrupt" not in err and "IPKernelApp" not in err
    page = (tmp_path / "out" / "report.html").read_text()
    assert Redactor(KEY).address("192.168.10.21") in page


def test_help_says_how_to_keep_the_key_out_of_ps() -> None:
    parser = build_parser()
    report = parser._subparsers._group_actions[0].choices["report"]  # type: ignore[union-attr]
    text = " ".join(report.format_help().split())
    assert f"visible to others in ps: prefer a file or ${KEY_ENV}" in text
    assert "a file holding its 64 hex digits" in text


def test_a_key_typed_on_the_command_line_is_warned_about(folders, tmp_path, capsys,
                                                        monkeypatch) -> None:
    case, notebooks = folders
    monkeypatch.setattr(kit.report, "build_report", _fake_build_report)
    assert main(["report", str(case.path), "--key", KEY.hex(), "--notebooks",
                 str(notebooks)]) == 0
    assert f"visible to other users (ps); prefer a file or ${KEY_ENV}" in capsys.readouterr().err


def _fake_build_report(*args, **kwargs):
    class Report:
        redacted, key_fingerprint = True, "0" * 16
    return Report()


@pytest.mark.parametrize(("error", "expected"), [
    (PermissionError(errno.EACCES, "Permission denied", "/locked/out/report.html"),
     "cannot write /locked/out/report.html: Permission denied (choose a writable --out folder)"),
    (OSError(errno.ENOSPC, "No space left on device", "/full/out/report.html"),
     "cannot write /full/out/report.html: No space left on device (free some space or choose "
     "another --out folder)"),
])
def test_unwritable_or_full_output_is_one_clear_line(folders, capsys, monkeypatch, error,
                                                     expected) -> None:
    case, notebooks = folders

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(kit.report, "build_report", fail)
    assert main(["report", str(case.path), "--out", "/x", "--notebooks", str(notebooks)]) == 2
    assert capsys.readouterr().err.strip() == f"kit report: error: {expected}"


def test_kit_parse_escapes_control_characters_in_file_names(tmp_path: Path, capsys) -> None:
    line = ("<166>Aug 28 2023 15:35:00 fw1 : %ASA-6-302014: Teardown TCP connection 7 for "
            "outside:192.0.2.1/443 to inside:10.0.0.5/40000 duration 0:00:34 bytes 1234 "
            "TCP FINs\n")
    hostile = os.path.join(tmp_path, "\x1b]0;owned\x07\x1b[2J.log")
    with open(hostile, "w") as handle:
        handle.write(line + "junk\n")
    assert main(["parse", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b]0;owned\\x07\\x1b[2J.log" in out
    assert main(["parse", str(tmp_path / "missing\x1b[2J")]) == 2
    assert "\x1b" not in capsys.readouterr().err
