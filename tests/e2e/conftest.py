"""Session fixtures of the browser suite: one JupyterLab server and one Chromium for all tests.

Lab serves a temporary copy of ``kit/notebooks/`` and ``data/`` (Lab autosaves, and the notebooks'
relative ``../../data/...`` paths must resolve). Both processes are stopped by process id in the
fixtures' ``finally``, whatever the tests did. Where the browser cannot run, every test skips with
one reason; under ``CI=true`` every test fails with that reason instead.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from .browser import Chromium, require_browser
from .lab import ARTIFACTS, REPO
from .runs import NotebookRuns
from .server import LabServer

COPIED = ("kit/notebooks", "data")
CI = os.environ.get("CI") == "true"


def _tree_state(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``folder`` with its size and mtime: proof that nothing was touched."""
    if not folder.is_dir():
        return {}
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Keep each phase's report on the item, so a fixture can screenshot after a failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip each test here (fail it under CI=true) when Chromium or playwright cannot be had.

    Raised from this hook rather than a fixture, pytest folds the skips into one summary line.
    """
    require_browser(ci=CI)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """An empty ``test-artifacts/e2e/``, so every screenshot and log there is from this run."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def lab_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder Lab serves: copies of the project's notebooks and data."""
    root = tmp_path_factory.mktemp("lab-root")
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns(
                ".ipynb_checkpoints", "__pycache__", "*.py"))
        else:
            (root / name).mkdir()
    return root


@pytest.fixture(scope="session")
def lab_server(artifacts: Path, lab_root: Path,
               tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """One JupyterLab for the session; stopped (kernels included) even when tests fail."""
    before = _tree_state(REPO / "kit" / "notebooks")
    server = LabServer(lab_root, tmp_path_factory.mktemp("lab-state"), artifacts / "lab-server.log")
    try:
        server.start()
        yield server
    finally:
        server.stop()
    assert _tree_state(REPO / "kit" / "notebooks") == before, \
        "the browser suite changed kit/notebooks/"


@pytest.fixture(scope="session")
def chromium(tmp_path_factory: pytest.TempPathFactory):
    """One headless Chromium (fresh profile) for the session, stopped by process id at the end."""
    browser = Chromium(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield browser.start()
    finally:
        browser.stop()


@pytest.fixture(scope="module")
def notebook_runs(lab_server: LabServer, chromium) -> Iterator[NotebookRuns]:
    """The module's notebook runs; the last page and kernel are closed with the module."""
    runs = NotebookRuns(chromium, lab_server)
    try:
        yield runs
    finally:
        runs.close()


@pytest.fixture
def runs(notebook_runs: NotebookRuns, request: pytest.FixtureRequest) -> Iterator[NotebookRuns]:
    """:class:`NotebookRuns` for one test; the page is saved under ``test-artifacts/e2e/`` when
    the test fails."""
    yield notebook_runs
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        notebook_runs.screenshot(f"{request.node.name}-failed")
