"""The committed notebooks: run top to bottom on the current code, clean, shaped like runbooks,
and their Findings state the sample incident's ground truth."""

from __future__ import annotations

import json

import pytest
from findings_checks import CHECKS
from notebook_outputs import NOTEBOOKS, NOTEBOOKS_DIR, findings_text, problems, read, tagged

SAMPLE = NOTEBOOKS_DIR.parents[1] / "data" / "sample-incident"


@pytest.fixture(params=NOTEBOOKS)
def notebook(request):
    return request.param, read(NOTEBOOKS_DIR / request.param)


def test_execution_counts_run_one_to_n(notebook):
    name, nb = notebook
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert counts == list(range(1, len(counts) + 1)), f"{name}: re-run it with `make notebooks`"


def test_no_error_or_stderr_output(notebook):
    name, nb = notebook
    assert problems(nb) == [], name


def test_runbook_shape(notebook):
    """Header, tagged parameters with the sample case as default, numbered steps, Findings."""
    name, nb = notebook
    header = nb.cells[0]
    assert header.cell_type == "markdown" and header.source.startswith("# ")
    for part in ("**What it answers.**", "**What it needs.**", "**How to use it.**"):
        assert part in header.source, f"{name}: header lacks {part}"
    (params,) = tagged(nb, "parameters")
    assert 'case_dir = "../../data/sample-incident"' in params.source  # from kit/notebooks
    assert "redact = " in params.source
    steps = [c.source.splitlines()[0] for c in nb.cells
             if c.cell_type == "markdown" and c.source.startswith("## ")]
    numbered = [s for s in steps if s[3:4].isdigit()]
    assert [int(s[3:].split(".")[0]) for s in numbered] == list(range(1, len(numbered) + 1))
    assert len(numbered) >= 2
    (findings,) = tagged(nb, "findings")
    assert findings.source.startswith("# NBVAL_CHECK_OUTPUT")
    assert nb.cells.index(findings) > nb.cells.index(params)


def test_no_code_cell_grows_logic(notebook):
    """One short call per step: the logic lives in kit, not in the notebook."""
    name, nb = notebook
    for cell in nb.cells:
        if cell.cell_type == "code":
            lines = [line for line in cell.source.splitlines()
                     if line.strip() and not line.lstrip().startswith("#")]
            assert len(lines) <= 6, f"{name}: a code cell has {len(lines)} lines:\n{cell.source}"
            assert not any(line.lstrip().startswith(("def ", "class ", "for ", "while "))
                           for line in lines), f"{name}: logic in a cell:\n{cell.source}"


def test_no_widget_state_or_timing_saved(notebook):
    name, nb = notebook
    assert "widgets" not in nb.metadata, name
    for cell in nb.cells:
        assert "execution" not in cell.metadata, f"{name}: timing metadata saved"


def test_stored_findings_state_the_sample_truth(notebook):
    """The committed worked example says what the sample incident's ground truth says."""
    name, nb = notebook
    truth = json.loads((SAMPLE / "truth.json").read_text())
    CHECKS[name](findings_text(nb), truth)
