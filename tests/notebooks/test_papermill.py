"""Every notebook run by papermill on generated cases (a 30-minute firewall timeout, and all hosts
tuned so nothing is torn down): clean outputs, and Findings that state each case's ground truth.
"""

from __future__ import annotations

import pytest
from findings_checks import CHECKS
from notebook_outputs import NOTEBOOKS, NOTEBOOKS_DIR, findings_text, problems, read

from kit.report import run_notebook


@pytest.fixture(scope="module")
def executed(generated_cases, tmp_path_factory):
    """(case name, notebook) -> the executed notebook, each notebook run once per case."""
    out = tmp_path_factory.mktemp("executed")
    runs = {}
    for case_name, (folder, _) in generated_cases.items():
        for name in NOTEBOOKS:
            target = out / case_name / name
            target.parent.mkdir(exist_ok=True)
            run_notebook(NOTEBOOKS_DIR / name, target, cwd=NOTEBOOKS_DIR, timeout=300,
                         parameters={"case_dir": str(folder), "redact": False})
            runs[case_name, name] = read(target)
    return runs


@pytest.mark.parametrize("name", NOTEBOOKS)
@pytest.mark.parametrize("case_name", ["timeout-30min", "all-tuned", "sample-paloalto"])
def test_findings_match_the_generated_truth(executed, generated_cases, case_name, name):
    notebook = executed[case_name, name]
    assert problems(notebook) == []
    _, truth = generated_cases[case_name]
    CHECKS[name](findings_text(notebook), truth)
