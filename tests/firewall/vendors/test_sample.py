"""``kit sample --vendor`` regenerates data/sample-paloalto byte for byte, and every vendor's case
reads back with its ground truth."""

from __future__ import annotations

from pathlib import Path

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
