"""Each guided notebook, run top to bottom in JupyterLab: clean outputs, charts, kit's Findings.

The expected Findings are computed here through ``kit`` on the same sample case the notebook
loads, so a notebook that shows stale or hand-written numbers fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import nbformat
import pytest

import kit

from .lab import REPO, NotebookRuns

pytestmark = pytest.mark.browser

SAMPLE_CASE = REPO / "data" / "sample-incident"


def _comparison(case: Any, parameters: dict[str, Any]):
    return kit.compare_remedies(case, keepalive=parameters["keepalive"],
                                new_firewall_timeout=parameters["new_firewall_timeout"],
                                heartbeat=parameters["heartbeat"])


#: notebook -> the Findings kit writes for the sample case, given the notebook's parameters
EXPECTED_FINDINGS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
    "01_find_idle_teardowns": lambda case, _: kit.teardown_findings(case),
    "02_connection_durations": lambda case, _: kit.duration_findings(case),
    "03_compare_remedies": lambda case, p: kit.remedy_findings(case, _comparison(case, p)),
    "04_case_report": lambda case, _: kit.case_findings(case),
}


def squash(text: str) -> str:
    """Whitespace collapsed, so rendered HTML and plain sentences compare equal."""
    return re.sub(r"\s+", " ", text).strip()


def stored(name: str) -> nbformat.NotebookNode:
    return nbformat.read(REPO / "notebooks" / f"{name}.ipynb", as_version=4)


def parameters(notebook: nbformat.NotebookNode) -> dict[str, Any]:
    """The values of the notebook's ``parameters`` cell (plain assignments, papermill style)."""
    cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    values: dict[str, Any] = {}
    exec(cell.source, {}, values)
    return values


def chart_cells(notebook: nbformat.NotebookNode) -> dict[int, int]:
    """Cell index -> charts it must show: the PNGs stored in the committed notebook, and at
    least one for every cell that calls ``kit.plots``."""
    charts = {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        pngs = sum("image/png" in out.get("data", {}) for out in cell.get("outputs", []))
        if pngs or re.search(r"\bplots\.\w+\(", cell.source):
            charts[index] = max(pngs, 1)
    return charts


@pytest.fixture(scope="module")
def sample_case():
    return kit.load_case(SAMPLE_CASE)


@pytest.mark.parametrize("name", list(EXPECTED_FINDINGS))
def test_notebook_runs_clean_with_charts_and_kits_findings(runs: NotebookRuns, name: str,
                                                           sample_case) -> None:
    notebook = runs.run(f"notebooks/{name}.ipynb")
    notebook.screenshot(name)
    assert notebook.problems() == []
    assert notebook.unexecuted() == []

    saved = stored(name)
    images = notebook.images_per_cell()
    missing = {i: (images.get(i, 0), n) for i, n in chart_cells(saved).items()
               if images.get(i, 0) < n}
    assert not missing, f"chart cells without their image (shown, expected): {missing}"

    findings_cells = notebook.tagged("findings")
    assert findings_cells, "no cell tagged 'findings'"
    shown = squash(" ".join(c.text for c in findings_cells))
    expected = EXPECTED_FINDINGS[name](sample_case, parameters(saved))
    assert expected.sentences, "kit writes no Findings for the sample case"
    absent = [s for s in expected.sentences if squash(s) not in shown]
    assert not absent, f"Findings sentences kit writes but the notebook does not show: {absent}"
    # the headline number, counted independently of kit.findings' wording
    idle = kit.idle_teardowns(kit.sessions(sample_case))
    idle_tcp = int((idle["protocol"] == "tcp").sum())
    assert idle_tcp > 0
    assert re.search(rf"\b{idle_tcp:,} idle-timeout teardowns\b", shown), shown
