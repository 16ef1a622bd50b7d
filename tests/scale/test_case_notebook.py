"""A case pointed at a Dask cluster in case.toml runs the unchanged notebooks (papermill) with the
pandas path's answers, and a scheduler that cannot be reached is one clear error."""

from __future__ import annotations

import pickle
import shutil
import socket
from pathlib import Path

import nbformat
import pytest

import kit
from kit.report import run_notebook

from .test_analysis import SAMPLE, on_dask

NOTEBOOKS = Path(kit.__file__).parent / "notebooks"


def output_text(cell: nbformat.NotebookNode) -> str:
    """What a code cell printed or displayed as plain text."""
    return "\n".join(out.text if out.output_type == "stream" else
                     out.get("data", {}).get("text/plain", "") for out in cell.get("outputs", ()))


@pytest.fixture
def sample_copy(tmp_path):
    folder = tmp_path / "case"
    shutil.copytree(SAMPLE, folder, ignore=shutil.ignore_patterns(".kit"))
    return folder


def test_notebook_02_on_a_dask_case_gives_the_pandas_answers(sample_copy, local_client, tmp_path):
    expected = kit.load_case(sample_copy, cache=False)
    on_dask(sample_copy, local_client.scheduler.address)
    target = tmp_path / "02.ipynb"
    run_notebook(NOTEBOOKS / "02_connection_durations.ipynb", target, cwd=NOTEBOOKS,
                 timeout=300, parameters={"case_dir": str(sample_copy), "redact": False})
    notebook = nbformat.read(target, as_version=4)
    (findings,) = [c for c in notebook.cells if "findings" in c.metadata.get("tags", ())]
    assert output_text(findings) == str(kit.duration_findings(expected))
    printed = "\n".join(output_text(cell) for cell in notebook.cells
                        if cell.cell_type == "code")
    today = kit.concurrency(expected.sessions)
    assert today.peak == 23 and str(today) in printed  # every session, not only those kept
    assert "Dask dashboard: http://" in printed  # the cluster used is said


def test_unreachable_scheduler_is_one_clear_error(sample_copy):
    with socket.socket() as free:  # a port nothing listens on
        free.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{free.getsockname()[1]}"
    on_dask(sample_copy, address)
    with pytest.raises(kit.CaseError, match=f"firewall: cannot reach the Dask scheduler at "
                                            f"{address} within 10 s"):
        kit.load_case(sample_copy)


def test_a_redacted_dask_case_gives_the_redacted_pandas_answers(sample_copy, local_client):
    key = bytes(range(32))
    expected = kit.open_case(sample_copy, redact=True, key=key)
    on_dask(sample_copy, local_client.scheduler.address)
    case = kit.open_case(sample_copy, redact=True, key=key)
    assert case.redacted and case.reduced is not None
    assert str(kit.case_findings(case)) == str(kit.case_findings(expected))
    assert "vnetd/13724" in str(kit.teardown_findings(case))  # built-in names stay public
    original = kit.load_case(SAMPLE, cache=False)
    names = {*original.inventory["host"].astype(str), *original.inventory["ip"].astype(str),
             *original.event_facts.devices}
    shown = pickle.dumps(case.reduced)  # every frame and fact the notebooks may show
    assert [name for name in names if name.encode() in shown] == []
