"""``kit sample --vendor`` regenerates data/sample-paloalto byte for byte, and every vendor's case
reads back with its ground truth."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import kit
from kit.case.cache import KIT_DIR  # the parse cache a load of the sample leaves there
from kit.cli import main
from kit.synth import generate_vendor_case

SAMPLE = Path(__file__).parents[3] / "data" / "sample-paloalto"


def test_kit_sample_vendor_regenerates_the_shipped_sample(tmp_path: Path) -> None:
    out = tmp_path / "case"
    assert main(["sample", str(out), "--vendor", "paloalto", "--seed", "0", "--days", "2",
                 "--clients", "8"]) == 0
    shipped = sorted(p.relative_to(SAMPLE) for p in SAMPLE.rglob("*")
                     if p.is_file() and KIT_DIR not in p.relative_to(SAMPLE).parts)
    assert shipped == sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    for name in shipped:
        assert (out / name).read_bytes() == (SAMPLE / name).read_bytes(), name
    assert sum((SAMPLE / n).stat().st_size for n in shipped) < 2 * 2**20


@pytest.mark.parametrize("vendor", ["paloalto", "fortinet", "juniper", "netfilter"])
def test_each_vendor_case_reads_back_to_its_truth(tmp_path: Path, vendor: str) -> None:
    truth = generate_vendor_case(tmp_path, vendor=vendor, clients=3, background_rate=5,
                                 seed=3)
    case = kit.load_case(tmp_path)
    report = case.connections.attrs["load_report"]
    counts = truth["counts"]
    assert (report.read, report.rejected) == (counts["lines"], counts["malformed"])
    teardowns = case.connections[case.connections["event"] == "teardown"]
    assert len(teardowns) == counts["teardown"]
    idle = teardowns[(teardowns["close"] == "idle-timeout").fillna(False).to_numpy(bool)]
    assert sorted(idle["conn_id"]) == sorted(v["conn_id"] for v in truth["victims"])


def test_sample_paloalto_jobs_export_is_explained_by_its_idle_teardowns() -> None:
    """The failed jobs of the PAN-OS sample are its idle-timeout victims' jobs: explain_failures
    matches each to the teardown truth.json names, and data/README.md's table says the same."""
    import json

    from kit.analysis.format import hms

    truth = json.loads((SAMPLE / "truth.json").read_text())
    result = kit.explain_failures(kit.load_case(SAMPLE))
    assert result.attrs["clock_offset"].value == pd.Timedelta(0)
    assert result.attrs["teardowns_without_failure"].empty
    victims_jobs = {v["job"].split("/")[0] for v in truth["victims"]}
    tries = {(t["job_id"], t["try"]): t for t in truth["failures"]["tries"]}
    assert len(result) == len(tries) == 8
    for row in result.itertuples():
        expected = tries[(row.job_id, row.try_number)]
        assert (row.explained, row.error_code) == (expected["explained"], str(expected["status"]))
        assert row.explained == (row.peer in victims_jobs)
        if row.explained:
            assert row.teardown_conn_id == expected["teardown_conn_id"]
            assert row.teardown_time == pd.Timestamp(expected["teardown_time"])
            assert abs(row.lag - pd.Timedelta(seconds=expected["lag_s"])) <= pd.Timedelta(
                seconds=5)
        else:
            assert row.why_not == expected["why_not"]
    assert sorted(str(s) for s in result.loc[result["explained"], "error_code"]) == [
        "13", "14", "24", "40", "41"]
    readme = (SAMPLE.parent / "README.md").read_text()
    block = readme.split("<!-- paloalto-failures-table:start -->")[1].split(
        "<!-- paloalto-failures-table:end -->")[0]
    table = [[c.strip() for c in line.split("|")[1:-1]] for line in block.strip().splitlines()[2:]]
    got = [[str(r.job_id), str(r.try_number), r.peer, r.error_code,
            "yes" if r.explained else "no", r.teardown_conn_id if r.explained else "-",
            f"{r.teardown_time:%Y-%m-%d %H:%M:%S}" if r.explained else "-",
            hms(r.lag) if r.explained else "-", str(r.confidence) if r.explained else "-",
            r.why_not if not r.explained else "-"] for r in result.itertuples()]
    assert table == got
