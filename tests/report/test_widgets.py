"""The notebook widgets: the attributes the next cell reads, the wiring, the printed values."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

import kit
from kit.redaction import fingerprint
from kit.report import Report, metadata_table
from kit.widgets import CasePicker, ExportButton, WhatIf

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-incident"


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    """A private copy of the sample case (redacting writes a key into the folder)."""
    if not SAMPLE.is_dir():
        pytest.fail(f"{SAMPLE}: the sample case is missing")
    target = tmp_path_factory.mktemp("widgets") / "sample"
    shutil.copytree(SAMPLE, target)
    return target


@pytest.fixture(scope="module")
def sample_case(sample):
    return kit.load_case(sample)


def upload(*paths: Path) -> tuple[dict, ...]:
    """What an ipywidgets 8 FileUpload holds after files are dropped on it."""
    return tuple({"name": p.name, "type": "", "size": p.stat().st_size,
                  "content": memoryview(p.read_bytes()),
                  "last_modified": dt.datetime(2024, 6, 5, tzinfo=dt.UTC)} for p in paths)


def test_case_picker_loads_the_folder_at_once_and_prints_what_it_loaded(sample, sample_case,
                                                                        capsys):
    picker = CasePicker(sample)
    assert picker.case is not None and picker.source == "folder"
    assert len(picker.case.connections) == len(sample_case.connections)
    picker._ipython_display_()
    printed = capsys.readouterr().out
    assert f"loaded case SAMPLE-NBU-DMZ from {sample}: {len(sample_case.connections):,} " \
           "connection events" in printed


def test_case_picker_reports_a_bad_folder_then_recovers(sample, tmp_path):
    picker = CasePicker(tmp_path / "nope")
    assert picker.case is None and "does not exist" in picker.error
    assert picker.summary().startswith("no case loaded: ")
    with pytest.raises(kit.CaseError, match="does not exist"):
        picker.require()
    picker.path_box.value = str(sample)
    picker.load_button.click()
    assert picker.case.settings.id == "SAMPLE-NBU-DMZ" and picker.error is None
    assert picker.require() is picker.case


def test_case_picker_reads_dropped_files_directly(sample, tmp_path):
    firewall = sorted((sample / "firewall").iterdir())
    hosts = sorted((sample / "hosts").iterdir())
    expected = kit.read_firewall_log(sample / "firewall", on_bad_lines="skip", progress=False)
    expected_hosts = kit.read_keepalive(sample / "hosts", on_bad_lines="skip")
    picker = CasePicker(tmp_path / "nope")
    picker.hosts_upload.value = upload(*hosts)
    assert picker.case is None  # keepalive exports alone make no case
    picker.firewall_upload.value = upload(*firewall)
    case = picker.case
    assert picker.source == "upload" and case.settings.id == "uploaded files"
    assert len(case.connections) == len(expected)
    assert case.connections["conn_id"].tolist() == expected["conn_id"].tolist()
    assert sorted(case.hosts["host"]) == sorted(expected_hosts["host"])
    assert case.load_report.read == expected.attrs["load_report"].read + \
        expected_hosts.attrs["load_report"].read
    assert case.inventory.empty and case.sockets.empty


def test_redacting_picker_shows_no_original_names(sample, sample_case):
    picker = CasePicker(sample, redact=True)
    assert not set(picker.case.inventory["host"]) & set(sample_case.inventory["host"])
    assert not set(picker.case.connections["src_ip"]) & set(sample_case.connections["src_ip"])
    key = bytes.fromhex((sample / ".redaction-key").read_text())
    assert picker.fingerprint == fingerprint(key)
    table = metadata_table(picker.case, picker.fingerprint)
    assert table.loc["Redaction", "value"].endswith(fingerprint(key))
    assert metadata_table(sample_case).loc["Redaction", "value"] == "OFF"
    assert CasePicker(sample).fingerprint is None


def test_what_if_starts_at_the_resolved_defaults_and_recomputes_on_every_move(sample_case,
                                                                              capsys):
    whatif = WhatIf(sample_case)
    defaults = kit.compare_remedies(sample_case)
    pd.testing.assert_frame_equal(whatif.table, defaults)
    assumptions = defaults.attrs["assumptions"]
    assert whatif.keepalive == assumptions["keepalive"]["value"]
    assert whatif.new_firewall_timeout == assumptions["new_firewall_timeout"]["value"]
    assert whatif.heartbeat == assumptions["heartbeat"]["value"]

    whatif.sliders["new_firewall_timeout"].value = 45  # below the 1 h timeout: nothing prevented
    whatif.sliders["keepalive"].value = 90  # above the timeout: nothing prevented either
    expected = kit.compare_remedies(sample_case, keepalive=pd.Timedelta(minutes=90),
                                    new_firewall_timeout=pd.Timedelta(minutes=45),
                                    heartbeat=whatif.heartbeat)
    pd.testing.assert_frame_equal(whatif.table, expected)
    assert whatif.table.loc["keepalive", "prevented"] == 0
    assert whatif.table.loc["firewall-timeout", "prevented"] == 0
    assert whatif.table.loc["traffic-generation", "prevented"] > 0

    text = ("what-if: keepalive 1:30:00, new firewall timeout 0:45:00, heartbeat 0:30:00 "
            "(firewall timeout 1:00:00)")
    assert whatif.describe() == text
    shown = whatif.output.outputs
    assert shown[0] == {"output_type": "stream", "name": "stdout", "text": text + "\n"}
    assert shown[1]["data"]["text/plain"] == repr(expected)
    assert shown[2]["data"]["text/plain"].startswith("<Figure size")
    whatif._ipython_display_()
    assert capsys.readouterr().out.rstrip().endswith(text)


def test_what_if_takes_starting_values(sample_case):
    whatif = WhatIf(sample_case, keepalive="0:05:00", heartbeat="0:10:00")
    assert (whatif.keepalive, whatif.heartbeat) == (pd.Timedelta("5min"), pd.Timedelta("10min"))
    pd.testing.assert_frame_equal(whatif.table, kit.compare_remedies(
        sample_case, keepalive=pd.Timedelta("5min"), heartbeat=pd.Timedelta("10min")))


def test_export_button_passes_its_settings_and_shows_progress_or_the_error(tmp_path, capsys):
    calls = []

    def builder(case_dir, out_dir, *, redact, progress):
        calls.append((case_dir, out_dir, redact))
        progress("[1/4] running 01_find_idle_teardowns.ipynb")
        if len(calls) == 2:
            raise kit.report.ReportError("01_find_idle_teardowns.ipynb: cell [3] failed")
        return Report(Path(out_dir) / "report.html", [], redact)

    button = ExportButton(tmp_path / "case", builder=builder)
    button._ipython_display_()
    assert "(redacted); press the button" in capsys.readouterr().out
    button.button.click()
    assert calls == [(str(tmp_path / "case"), str(tmp_path / "case" / "report"), True)]
    assert button.report.html == tmp_path / "case" / "report" / "report.html"
    log = "".join(o["text"] for o in button.log.outputs)
    assert log == ("[1/4] running 01_find_idle_teardowns.ipynb\n"
                   f"done: {tmp_path / 'case' / 'report' / 'report.html'}\n")
    button.redact_box.value = False
    button.out_box.value = str(tmp_path / "elsewhere")
    button.export()
    assert calls[1] == (str(tmp_path / "case"), str(tmp_path / "elsewhere"), False)
    assert button.report is None and "cell [3] failed" in button.error
    assert button.log.outputs[-1]["text"].startswith("failed: 01_find_idle_teardowns.ipynb")
    assert not button.button.disabled
