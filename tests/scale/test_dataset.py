"""``kit parse --out``: Parquet by device and day, exact dtypes, append, refusals, and a case
whose firewall/ folder is such a dataset."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import kit
from kit import load_case, read_firewall_log
from kit.case.loader import names_in_case
from kit.cli import main
from kit.firewall.schema import text_categories
from kit.scale.dataset import METADATA, REPORT, DatasetError, find_dataset, parse_to_dataset

SAMPLE = Path(__file__).parents[2] / "data" / "sample-incident"
#: oldest first: the rotated day, then the current one (appended)
LOGS = [str(SAMPLE / "firewall" / "fw-syslog.log.1"), str(SAMPLE / "firewall" / "fw-syslog.log")]
TIME = {"tz": "UTC", "relay_tz": "America/Chicago"}
OPTIONS = {**TIME, "on_bad_lines": "skip", "progress": False}


@pytest.fixture(scope="module")
def expected() -> pd.DataFrame:
    return read_firewall_log(LOGS, **OPTIONS)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, local_client):
    """Two runs: the rotated (older) day, then the current one appended to it."""
    out = tmp_path_factory.mktemp("ds") / "parsed"
    with local_client.as_current():
        assert main(["parse", LOGS[0], "--out", str(out), "--tz", "UTC", "--relay-tz",
                     "America/Chicago", "--blocksize", "200000",
                     "--scheduler", local_client.scheduler.address]) == 0
        parse_to_dataset(LOGS[1], out, progress=False, scheduler=local_client,
                         on_bad_lines="skip", **TIME)
    return out


def test_round_trip_gives_the_readers_frame_with_its_dtypes(dataset, expected):
    got = read_firewall_log(dataset)
    assert got.dtypes.to_dict() == expected.dtypes.to_dict()
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    report = got.attrs["load_report"]
    assert report.files == expected.attrs["load_report"].files
    assert report.clock_offsets == expected.attrs["load_report"].clock_offsets


def test_dask_engine_reads_the_dataset(dataset, expected, local_client):
    lazy = read_firewall_log(dataset, engine="dask")
    with local_client.as_current():
        got = text_categories(lazy.compute().sort_index())
    assert got.index.tolist() == list(range(len(expected)))
    pd.testing.assert_frame_equal(got, expected, check_exact=True, check_index_type=False)
    assert lazy.load_report.parsed == len(expected)


def test_layout_metadata_and_load_report(dataset, expected):
    devices = {p.name for p in dataset.glob("device=*")}
    assert devices == {f"device={d}" for d in expected["device"].unique()}
    days = {p.name for p in dataset.glob("device=*/day=*")}
    assert days == {f"day={d}" for d in expected["time"].dt.strftime("%Y-%m-%d").unique()}
    meta = json.loads((dataset / METADATA).read_text())
    assert meta["rows"] == len(expected)
    assert meta["settings"] == {"tz": "UTC", "relay_tz": "America/Chicago", "year": None}
    assert [run["sources"] for run in meta["runs"]] == [[LOGS[0]], [LOGS[1]]]
    assert meta["schema"]["msg_id"]["categories"] == list(expected["msg_id"].cat.categories)
    runs = json.loads((dataset / REPORT).read_text())
    assert [f["parsed"] for run in runs for f in run["files"]] == [
        f.parsed for f in expected.attrs["load_report"].files]


def test_refuses_other_time_settings_a_file_again_and_other_versions(dataset, tmp_path):
    with pytest.raises(DatasetError, match="different time settings are not mixed"):
        parse_to_dataset(LOGS[1], dataset, tz="+02:00", relay_tz="America/Chicago")
    with pytest.raises(DatasetError, match=r"already holds .*fw-syslog\.log, .*fw-syslog\.log\.1; "
                                           "each log is parsed once"):
        parse_to_dataset(str(SAMPLE / "firewall"), dataset, **TIME)
    with pytest.raises(DatasetError, match=r"already holds .*fw-syslog\.log; each log is "
                                           "parsed once"):
        parse_to_dataset(LOGS[1], dataset, **TIME)
    other = tmp_path / "other"
    shutil.copytree(dataset, other)
    meta = json.loads((other / METADATA).read_text())
    meta["kit_version"] = "0.0.1"
    (other / METADATA).write_text(json.dumps(meta))
    with pytest.raises(DatasetError, match=r"written by kit 0\.0\.1, this is kit .*not mixed"):
        parse_to_dataset(str(SAMPLE / "firewall"), other, **TIME)
    with pytest.raises(DatasetError, match=r"parsed with .*asked for tz='\+02:00'"):
        read_firewall_log(dataset, tz="+02:00")
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "notes.txt").write_text("mine")
    with pytest.raises(DatasetError, match="exists and is not a kit parse dataset"):
        parse_to_dataset(LOGS[1], junk)


def test_the_cli_reports_a_refusal_as_one_line(dataset, capsys):
    assert main(["parse", LOGS[1], "--out", str(dataset), "--relay-tz", "America/Chicago"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"kit parse: error: {dataset}: already holds")


def test_a_case_whose_firewall_folder_is_a_dataset(dataset, tmp_path):
    case = tmp_path / "case"
    shutil.copytree(SAMPLE, case, ignore=shutil.ignore_patterns("firewall"))
    shutil.copytree(dataset, case / "firewall")
    assert find_dataset(case / "firewall") is not None
    got, original = load_case(case), load_case(SAMPLE)
    names_in_case(got.connections, SAMPLE)  # the dataset keeps the names it was parsed under
    # the case reads its folder in name order (fw-syslog.log first); the rows are the same
    order = ["source", "line"]
    pd.testing.assert_frame_equal(
        got.connections.sort_values(order, ignore_index=True),
        original.connections.sort_values(order, ignore_index=True), check_exact=True)
    def counts(report):
        return sorted((Path(f.source).name, f.read, f.parsed, f.ignored, f.rejected,
                       [(r.line, r.reason) for r in f.rejects]) for f in report.files[:2])

    assert counts(got.load_report) == counts(original.load_report)
    (case / "firewall").rename(case / "parsed")
    (case / "firewall").mkdir()
    (case / "parsed").rename(case / "firewall" / "parsed")
    with pytest.raises(kit.CaseError, match=r"holds the kit parse dataset .*parsed; pass that"):
        load_case(case)
