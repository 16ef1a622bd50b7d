"""Fuzz every reader and ``load_case`` with hostile input (issue 15): whatever comes in, each one
returns a frame whose load report accounts for every line (read == parsed + ignored + rejected)
or raises the kit's own error naming the problem, within a time limit per example. Never a hang,
a raw traceback from deep inside pandas, or a silent drop.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kit
from kit import CaseError, ParseError
from kit.loadreport import LoadReport

from .strategies import FUZZ, KEEPALIVE_LINES, SOCKET_LINES, files, firewall_lines, time_limit


def _accounted(report: LoadReport) -> None:
    for file in report.files:
        assert file.read == file.parsed + file.ignored + file.rejected, file


@FUZZ
@given(st.lists(files(firewall_lines), min_size=1, max_size=3))
def test_read_firewall_log_accounts_for_everything(contents: list[bytes]) -> None:
    uploads = [{"name": f"fw{i}.log", "content": c} for i, c in enumerate(contents)]
    with time_limit():
        try:
            frame = kit.read_firewall_log(uploads, on_bad_lines="skip", progress=False)
        except ParseError as exc:
            assert "no firewall connection events" in str(exc)
            return
    report = frame.attrs["load_report"]
    _accounted(report)
    assert report.parsed == len(frame)
    assert frame.duration.dropna().ge(pytest.importorskip("pandas").Timedelta(0)).all()
    assert frame.time.dropna().dt.year.between(1970, 2200).all()


def _host_file_accounts_for_everything(reader, name: str, content: bytes) -> None:
    """A host file reads into a frame whose load report accounts for every line, or is refused
    with a message, within the time limit."""
    with time_limit():
        try:
            frame = reader({"name": name, "content": content}, on_bad_lines="skip")
        except ParseError as exc:
            assert str(exc)
            return
    _accounted(frame.attrs["load_report"])


@FUZZ
@given(files(KEEPALIVE_LINES))
def test_read_keepalive_accounts_for_everything(content: bytes) -> None:
    _host_file_accounts_for_everything(kit.read_keepalive, "h1.sysctl.txt", content)


@FUZZ
@given(files(SOCKET_LINES))
def test_read_sockets_accounts_for_everything(content: bytes) -> None:
    _host_file_accounts_for_everything(kit.read_sockets, "h1.ss.txt", content)


@FUZZ
@given(files(firewall_lines), files(KEEPALIVE_LINES), st.lists(st.text(max_size=30), max_size=4))
def test_load_case_loads_or_says_why(firewall: bytes, keepalive: bytes,
                                     inventory: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder, time_limit():
        case = kit.new_case(Path(folder) / "case")
        for old in (case / "firewall").iterdir():
            old.unlink()
        (case / "firewall" / "fw.log").write_bytes(firewall)
        (case / "hosts").mkdir(exist_ok=True)
        (case / "hosts" / "h1.sysctl.txt").write_bytes(keepalive)
        (case / "inventory.csv").write_text("host,ip,role,os\n" + "\n".join(inventory),
                                            encoding="utf-8", errors="replace")
        try:
            loaded = kit.load_case(case)
        except CaseError as exc:
            assert str(exc)
            return
        _accounted(loaded.load_report)
        assert loaded.load_report.parsed >= len(loaded.connections)
