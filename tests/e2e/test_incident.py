"""A case made from scratch, worked as the README says: ``kit new-case``, files copied in (an
upper-case Windows export, an ``ss ... state established`` capture), ``kit open``, then *Run All* in
each copied notebook. Each host is named once; picking another case then *Run All* shows it."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest

import kit
from kit.cli import main
from kit.notebooks import NOTEBOOKS

from .lab import REPO
from .runs import NotebookRuns
from .server import LabServer
from .test_notebooks import EXPECTED_FINDINGS, parameters, squash

sys.path.insert(0, str(REPO / "tests"))
from incident_case import make_incident

pytestmark = pytest.mark.browser

CASE = "INC-4711"


@pytest.fixture(scope="module")
def incident(lab_server: LabServer) -> Path:
    """The case inside Lab's root, its notebooks copied there by ``kit open --no-lab``."""
    case = make_incident(lab_server.root / CASE)
    assert main(["open", str(case), "--no-lab"]) == 0
    return case


@pytest.fixture(scope="module")
def incident_case(incident: Path, tmp_path_factory) -> Any:
    """The case as the copied notebooks load it (``case_dir = ".."`` from its notebooks/)."""
    import os

    here = Path.cwd()
    os.chdir(incident / "notebooks")
    try:
        return kit.load_case("..")
    finally:
        os.chdir(here)


@pytest.mark.parametrize("name", [Path(n).stem for n in NOTEBOOKS])
def test_run_all_in_each_copied_notebook_shows_the_case(runs: NotebookRuns, incident: Path,
                                                        incident_case: Any, name: str) -> None:
    import nbformat

    notebook = runs.run(f"{CASE}/notebooks/{name}.ipynb")
    notebook.screenshot(f"incident-{name}")
    assert notebook.problems() == [] and notebook.unexecuted() == []
    copied = nbformat.read(incident / "notebooks" / f"{name}.ipynb", as_version=4)
    picker = notebook.cell_text(notebook.cell_index(r"widgets\.CasePicker\("))
    assert f"loaded case {CASE}:" in picker
    shown = squash(" ".join(c.text for c in notebook.tagged("findings")))
    expected = EXPECTED_FINDINGS[name](incident_case, parameters(copied))
    absent = [s for s in expected.sentences if squash(s) not in shown]
    assert not absent, f"Findings kit writes that the notebook does not show: {absent}"
    everything = " ".join(c.text for c in notebook.cells()).replace("DMZ-WIN01.reg", "FILE")
    assert "DMZ-WIN01" not in everything  # the export's own spelling names only its file
    if name == "03_compare_remedies":
        at_risk = next(s for s in expected.sentences if "at risk (first keepalive" in s)
        assert squash(at_risk) in shown and at_risk.count("dmz-win01") == 1
        risk = notebook.tables(notebook.cell_index(r"case\.risk\b"))[0]
        hosts = [row[0] for row in risk.rows]
        assert len(hosts) == len(set(hosts)) and "dmz-win01" in hosts
        assert risk.column("at risk")["dmz-win01"] == "at risk"
        coverage = notebook.tables(notebook.cell_index(r"kit\.keepalive_coverage\("))[0]
        assert {row[0] for row in coverage.rows} == {"dmz-app01"}
        at = coverage.header.index("coverage")
        service = coverage.header.index("service")
        assert sorted((row[service], row[at]) for row in coverage.rows) == [
            ("pbx", "none"), ("ssh", "all"), ("vnetd", "none")]


def test_picking_a_case_then_run_all_shows_the_picked_case(runs: NotebookRuns,
                                                           incident: Path) -> None:
    notebook = runs.run(f"{CASE}/notebooks/01_find_idle_teardowns.ipynb")
    cell = notebook.cell_index(r"widgets\.CasePicker\(")
    box = notebook.widget("widget-text", "Case folder").locator("input")
    box.fill("../../data/sample-incident")
    notebook.click_button("Load")
    notebook.wait_for_text(cell, r"loaded case SAMPLE-NBU-DMZ", timeout=60)
    notebook.run_all()
    text = notebook.wait_for_text(cell, r"loaded case SAMPLE-NBU-DMZ", timeout=60)
    assert "(picked in this kernel)" in text and f"loaded case {CASE}" not in text
    sample = kit.load_case(REPO / "data" / "sample-incident")
    shown = squash(" ".join(c.text for c in notebook.tagged("findings")))
    idle = int((kit.idle_teardowns(kit.sessions(sample))["protocol"] == "tcp").sum())
    assert re.search(rf"\b{idle:,} of [\d,]+ TCP teardowns", shown), shown
    assert notebook.problems() == []
