"""The leak check finds an identity however it is spelled (issue 15, point 18): independently of
how the redactor found it, so the two never share a blind spot."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_cases import make_case

from kit.redaction import check_redaction


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory):
    return make_case(tmp_path_factory.mktemp("case") / "case")


@pytest.mark.parametrize(("text", "kind", "value"), [
    ("client 192.168.010.021 timed out", "ip", "192.168.10.21"),
    ("master 010.020.000.005", "ip", "10.20.0.5"),
    ("seen as ip-10-20-0-5.ec2.internal", "ip", "10.20.0.5"),
    ("seen as 192_168_10_21", "ip", "192.168.10.21"),
    ("as hex 0x0a140005 in the dump", "ip", "10.20.0.5"),
    ("as hex 0XC0A80A15", "ip", "192.168.10.21"),
    ("full-width \uff11\uff19\uff12.\uff11\uff16\uff18.\uff11\uff10.\uff12\uff11", "ip",
     "192.168.10.21"),
    ("full-width stops \uff11\uff10\uff0e\uff12\uff10\uff0e\uff10\uff0e\uff15", "ip", "10.20.0.5"),
    ("the master nbu_master.corp.example", "host", "nbu-master.corp.example"),
    ("NBU_MASTER.CORP.EXAMPLE in capitals", "host", "nbu-master.corp.example"),
    ("full-width name \uff44\uff42\uff10\uff11 here", "host", "db01"),
])
def test_each_common_spelling_is_a_leak(case, tmp_path: Path, text: str, kind: str,
                                        value: str) -> None:
    (tmp_path / "report.html").write_text(f"<p>{text}</p>")
    leaks = [(leak.kind, leak.value) for leak in check_redaction(tmp_path, case)]
    assert (kind, value) in leaks


@pytest.mark.parametrize("text", [
    "version 10.20.0.6 of the tool",  # another address
    "1.2.3.4.5 is not an address",
    "0x0a140006 is another address",
    "db011 and xdb01 are other names",
    "2024-06-02 at 20:53",
])
def test_near_misses_are_not_leaks(case, tmp_path: Path, text: str) -> None:
    (tmp_path / "report.html").write_text(f"<p>{text}</p>")
    assert check_redaction(tmp_path, case) == []
