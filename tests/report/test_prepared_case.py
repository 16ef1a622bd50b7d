"""`kit report` prepares the case once (loaded, redacted, facts derived) for every notebook's
kernel; the notebooks' picker reads it instead of loading and redacting the case again."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import kit
from kit.redaction import open_case
from kit.report import build_report
from kit.report.prepared import PREPARED_ENV, read_prepared, write_prepared
from kit.widgets import CasePicker

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-incident"


@pytest.fixture
def sample(tmp_path):
    folder = tmp_path / "case"
    shutil.copytree(SAMPLE, folder)
    return folder


def test_the_picker_reads_the_prepared_case_for_the_same_folder_and_redaction(
        sample, tmp_path, monkeypatch):
    monkeypatch.delenv("KIT_REDACTION_KEY", raising=False)
    shown = open_case(sample, redact=True)
    path = write_prepared(shown, tmp_path, case_dir=sample, redact=True)
    assert {"sessions", "timeout", "risk"} <= set(vars(shown))  # derived before pickling
    monkeypatch.setenv(PREPARED_ENV, str(path))

    prepared = read_prepared(sample, redact=True)
    assert prepared is not None and "sessions" in vars(prepared)  # nothing left to derive
    assert prepared.at_risk_hosts == shown.at_risk_hosts
    assert read_prepared(sample, redact=False) is None
    assert read_prepared(tmp_path, redact=True) is None

    picker = CasePicker(sample, redact=True)
    assert "sessions" in vars(picker.case)
    assert list(picker.case.connections["src_ip"]) == list(shown.connections["src_ip"])
    unredacted = CasePicker(sample, redact=False)  # not what was prepared: loaded afresh
    assert "sessions" not in vars(unredacted.case)
    assert set(unredacted.case.connections["device"]) == {"asa-dmz01", "fwsm-core01"}


@pytest.mark.slow
def test_kit_report_works_on_a_case_without_keepalive_exports(sample, tmp_path, monkeypatch):
    monkeypatch.delenv("KIT_REDACTION_KEY", raising=False)
    monkeypatch.delenv(PREPARED_ENV, raising=False)
    shutil.rmtree(sample / "hosts")
    with pytest.warns(UserWarning, match="no keepalive exports"):
        report = build_report(sample, tmp_path / "out")
    page = report.html.read_text(encoding="utf-8")
    assert "No keepalive exports in hosts/: which hosts are at risk cannot be judged" in page
    assert "Recommended: dcd." in page
    assert not list((tmp_path / "out").rglob("*.pickle"))  # the prepared case stays private
    with pytest.warns(UserWarning, match="no keepalive exports"):
        original = kit.load_case(sample)
    assert kit.check_redaction(tmp_path / "out", original) == []
