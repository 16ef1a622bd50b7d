"""`kit report`: progress per notebook, exit status, clear messages."""

from __future__ import annotations

import pytest
from report_cases import KEY, make_case
from tiny_notebooks import tiny_notebook

from kit.cli import main
from kit.redaction import KEY_FILE, Redactor


@pytest.fixture
def folders(tmp_path, monkeypatch):
    case = make_case(tmp_path / "case")
    monkeypatch.setattr("kit.case.load_case", lambda path: case)
    monkeypatch.delenv("KIT_REDACTION_KEY", raising=False)
    name = tiny_notebook(tmp_path / "notebooks")
    monkeypatch.setattr("kit.report.NOTEBOOKS", (name,))
    return case, tmp_path / "notebooks", name


def test_kit_report_with_a_key_file_prints_progress_and_writes_the_page(folders, tmp_path,
                                                                        capsys):
    case, notebooks, name = folders
    (tmp_path / "key.txt").write_text(KEY.hex())
    status = main(["report", str(case.path), "--out", str(tmp_path / "out"), "--key",
                   str(tmp_path / "key.txt"), "--notebooks", str(notebooks)])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    assert f"[1/1] running {name}" in out and f"[1/1] {name} done in" in out
    assert "checked: no original address or name" in out
    page = (tmp_path / "out" / "report.html").read_text()
    assert Redactor(KEY).address("192.168.10.21") in page and "192.168.10.21" not in page
    assert not (case.path / KEY_FILE).exists()  # an explicit key is not stored in the case


def test_kit_report_failures_exit_non_zero_with_one_clear_line(folders, tmp_path, capsys):
    case, notebooks, _ = folders
    status = main(["report", str(case.path), "--key", "abc", "--notebooks", str(notebooks)])
    assert status == 2
    assert capsys.readouterr().err.strip() == \
        "kit report: error: --key: a redaction key is 64 hex digits; got 3 characters that " \
        "are not all hex"
    status = main(["report", str(case.path), "--no-redact", "--notebooks", str(tmp_path)])
    assert status == 2
    assert "notebook(s) not found: 01_tiny.ipynb" in capsys.readouterr().err
