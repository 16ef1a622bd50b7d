"""Each guided notebook, run top to bottom in JupyterLab: clean outputs, charts, kit's Findings.

The expected Findings are computed here through ``kit`` on the same sample case the notebook
loads, so a notebook that shows stale or hand-written numbers fails.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import pytest

import kit
from kit.analysis.format import hms
from kit.report import NOTEBOOKS as REPORTED

from .lab import REPO, Notebook, Table, poll
from .runs import NotebookRuns
from .server import LabServer

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
    "05_failed_jobs": lambda case, _: kit.failure_findings(case),
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


#: the what-if sliders of ``kit.widgets.WhatIf``: compare_remedies argument -> description
WHATIF_SLIDERS = {"keepalive": "keepalive (min)",
                  "new_firewall_timeout": "new firewall timeout (min)",
                  "heartbeat": "heartbeat (min)"}
EXACT_COLUMNS = ("victims", "prevented", "peak_connections", "peak_connections_change",
                 "hosts_to_change", "devices_to_change", "sessions_in_scope")
ROUNDED_COLUMNS = ("prevented_share", "extra_packets_per_hour", "extra_bytes_per_hour",
                   "mean_connections")


def check_run(runs: NotebookRuns, name: str, case: Any) -> Notebook:
    """Run notebook ``name`` in Lab and check what every notebook promises: no error or stderr
    output, every chart shown, and the Findings kit writes for ``case``."""
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
    expected = EXPECTED_FINDINGS[name](case, parameters(saved))
    assert expected.sentences, "kit writes no Findings for the sample case"
    absent = [s for s in expected.sentences if squash(s) not in shown]
    assert not absent, f"Findings sentences kit writes but the notebook does not show: {absent}"
    # the headline number, counted independently of kit.findings' wording
    idle = kit.idle_teardowns(kit.sessions(case))
    idle_tcp = int((idle["protocol"] == "tcp").sum())
    assert idle_tcp > 0
    assert re.search(rf"\b{idle_tcp:,} idle-timeout teardowns\b", shown), shown
    return notebook


# The tests run in file order, and tests on the same notebook share its run.

def test_01_runs_clean_with_charts_and_kits_findings(runs: NotebookRuns, sample_case) -> None:
    check_run(runs, "01_find_idle_teardowns", sample_case)


def test_02_runs_clean_with_charts_and_kits_findings(runs: NotebookRuns, sample_case) -> None:
    check_run(runs, "02_connection_durations", sample_case)


def test_03_runs_clean_with_charts_and_kits_findings(runs: NotebookRuns, sample_case) -> None:
    check_run(runs, "03_compare_remedies", sample_case)


def table_differences(shown: list[Table], expected: pd.DataFrame) -> list[str]:
    """Where the one comparison table shown differs from ``expected`` (empty: it matches)."""
    if len(shown) != 1:
        return [f"{len(shown)} tables shown, expected 1"]
    table, differences = shown[0], []
    for column in (*EXACT_COLUMNS, *ROUNDED_COLUMNS):
        values = table.column(column)
        for remedy, want in expected[column].items():
            got = values.get(remedy)
            same = got == str(want) if column in EXACT_COLUMNS else (
                got is not None and abs(float(got) - want) <= 1e-6 + 1e-5 * abs(want))
            if not same:
                differences.append(f"{remedy} {column}: shown {got}, kit {want}")
    return differences


def whatif_settings(notebook) -> dict[str, pd.Timedelta]:
    """The values the what-if sliders hold now, as compare_remedies arguments."""
    return {name: pd.Timedelta(minutes=notebook.slider_value(label))
            for name, label in WHATIF_SLIDERS.items()}


def test_03_whatif_sliders_redraw_the_comparison_kit_computes(runs: NotebookRuns,
                                                              sample_case) -> None:
    notebook = runs.run("notebooks/03_compare_remedies.ipynb")
    cell = notebook.cell_index(r"widgets\.WhatIf\(")
    before = whatif_settings(notebook)
    at_start = kit.compare_remedies(sample_case, **before)
    assert table_differences(notebook.tables(cell), at_start) == []
    [chart_before] = notebook.image_sources(cell)

    notebook.press_slider(WHATIF_SLIDERS["keepalive"], "End")  # keyboard: the longest keepalive
    notebook.click_slider(WHATIF_SLIDERS["new_firewall_timeout"], 0.02)  # mouse: near the left
    chosen = whatif_settings(notebook)
    assert chosen["keepalive"] > before["keepalive"]
    assert chosen["new_firewall_timeout"] < before["new_firewall_timeout"]
    expected = kit.compare_remedies(sample_case, **chosen)
    changed = list(EXACT_COLUMNS)
    assert not expected[changed].equals(at_start[changed]), \
        "the chosen settings do not change kit's comparison: the test would prove nothing"

    poll(lambda: table_differences(notebook.tables(cell), expected), lambda d: d == [],
         timeout=30, what="the comparison table for the moved sliders")
    poll(lambda: notebook.image_sources(cell), lambda s: len(s) == 1 and s[0] != chart_before,
         timeout=30, what="a redrawn comparison chart")
    line = (f"what-if: keepalive {hms(chosen['keepalive'])}, new firewall timeout "
            f"{hms(chosen['new_firewall_timeout'])}, heartbeat {hms(chosen['heartbeat'])}")
    assert line in notebook.cell_text(cell)
    assert notebook.problems() == []


def test_03_case_picker_loads_uploaded_files(runs: NotebookRuns) -> None:
    notebook = runs.run("notebooks/03_compare_remedies.ipynb")
    firewall_log = SAMPLE_CASE / "firewall" / "fw-syslog.log.1"
    export = SAMPLE_CASE / "hosts" / "dmz-app01.sysctl.txt"
    events = kit.read_firewall_log(firewall_log, on_bad_lines="skip")
    hosts = kit.read_keepalive(export, on_bad_lines="skip")
    lines = events.attrs["load_report"] + hosts.attrs["load_report"]
    assert len(events) and len(hosts)

    cell = notebook.cell_index(r"widgets\.CasePicker\(")
    notebook.upload("Keepalive exports", [export])  # alone it loads nothing
    notebook.upload("Firewall logs", [firewall_log])
    loaded = (f"loaded case uploaded files from uploaded files: {len(events):,} connection "
              f"events, {len(hosts)} host(s) with keepalive settings, 0 socket(s); "
              f"{lines.read:,} lines read, {lines.rejected:,} rejected")
    poll(lambda: notebook.cell_text(cell), lambda text: loaded in text, timeout=30,
         what=f"the picker reporting {loaded!r}")
    assert notebook.problems() == []


def test_04_runs_clean_with_charts_and_kits_findings(runs: NotebookRuns, sample_case) -> None:
    check_run(runs, "04_case_report", sample_case)


def test_04_export_writes_the_report_with_its_charts(runs: NotebookRuns,
                                                     lab_server: LabServer) -> None:
    notebook = runs.run("notebooks/04_case_report.ipynb")
    out = lab_server.root / "data" / "sample-incident" / "report"  # the button's default
    assert not out.exists()
    cell = notebook.cell_index(r"widgets\.ExportButton\(")
    notebook.click_button("Write report.html")
    report = out / "report.html"
    poll(lambda: notebook.cell_text(cell), lambda text: re.search(r"done: \S*report\.html", text),
         timeout=150, interval=1, what="the export's 'done' line")
    assert report.is_file()

    page = report.read_text(encoding="utf-8")
    executed = sorted(out.glob("*.ipynb"))
    assert [p.name for p in executed] == sorted(REPORTED)
    charts = [out_["data"]["image/png"] for path in executed
              for cell_ in nbformat.read(path, as_version=4).cells
              for out_ in cell_.get("outputs", []) if "image/png" in out_.get("data", {})]
    expected = sum(sum(chart_cells(stored(Path(name).stem)).values())
                   for name in REPORTED)
    assert len(charts) >= expected > 0
    absent = [n for n, png in enumerate(charts) if "".join(png.split()) not in page]
    assert not absent, f"charts of the executed notebooks missing from report.html: {absent}"
    assert notebook.problems() == []


def test_05_runs_clean_with_charts_and_kits_findings(runs: NotebookRuns, sample_case) -> None:
    check_run(runs, "05_failed_jobs", sample_case)
