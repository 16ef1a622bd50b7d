"""The browser harness proven on throwaway notebooks: what works is seen, what is broken is caught.

The real notebooks' tests use the same operations; these show each operation reports the truth,
including that a slider nobody observes, a stderr line and an exception are all detected.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from .lab import poll
from .runs import NotebookRuns
from .server import LabServer

pytestmark = pytest.mark.browser

INTRO = "# Harness check\n\nA throwaway notebook."
FINDINGS = "## Findings\n\nThe sample shows **3** idle teardowns."
FINDINGS_CODE = 'print(f"{1 + 2} idle teardowns found")'
APPENDIX = "# Appendix\n\nNot part of the findings."
PRINT = 'print("hello from the kernel")'
CHART = """\
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(4, 2))
ax.plot([1, 2, 3], [3, 1, 2])
plt.show()"""
SLIDER = """\
import ipywidgets as widgets
from IPython.display import display
slider = widgets.IntSlider(value=5, min=0, max=20, description="{description}")
shown = widgets.Output()
def show(change):
    with shown:
        shown.clear_output()
        print(f"value={change['new']}")
{wiring}
display(slider, shown)"""
UPLOAD = r"""from kit.sources import iter_sources
upload = widgets.FileUpload(description="Logs", multiple=True)
listing = widgets.Output()
def listed(change):
    with listing:
        listing.clear_output()
        for source in iter_sources(change["new"]):
            lines = source.read_bytes().count(b"\n")
            print(f"{source.name}: {lines} lines")
upload.observe(listed, names="value")
display(upload, listing)"""


def slider_cell(wiring: str, description: str = "Keepalive") -> nbformat.NotebookNode:
    """The slider cell, its callback attached (or not) by the ``wiring`` code."""
    return new_code_cell(SLIDER.replace("{wiring}", wiring).replace("{description}", description))


def write_notebook(root: Path, path: str, cells: list[nbformat.NotebookNode]) -> None:
    """Write a python3 notebook with ``cells`` at ``root / path``."""
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    notebook = new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(notebook, root / path)


WORKING = "scratch/working.ipynb"
BROKEN = "scratch/broken.ipynb"
EXPLODE = """\
def explode(change):
    raise ValueError(f"bad value {change['new']}")
slider.observe(explode, names="value")"""


@pytest.fixture(scope="module", autouse=True)
def scratch_notebooks(lab_server: LabServer) -> None:
    """Write the throwaway notebooks into Lab's root, next to the copied notebooks."""
    scratch = lab_server.root
    write_notebook(scratch, WORKING, [
        new_markdown_cell(INTRO), new_code_cell(PRINT), new_code_cell(CHART),
        slider_cell('slider.observe(show, names="value")'), new_code_cell(UPLOAD),
        new_markdown_cell(FINDINGS), new_code_cell(FINDINGS_CODE), new_markdown_cell(APPENDIX)])
    write_notebook(scratch, BROKEN, [
        new_code_cell('import sys\nprint("careful", file=sys.stderr)'),
        slider_cell("# the slider is not observed"),
        slider_cell(EXPLODE, description="Explode"),
        new_code_cell("1 / 0"),
        new_code_cell('print("never runs")')])


def test_run_all_renders_text_markdown_and_chart(runs: NotebookRuns) -> None:
    working = runs.run(WORKING)
    assert working.problems() == []
    assert working.unexecuted() == []
    assert working.images_per_cell() == {1: 0, 2: 1, 3: 0, 4: 0, 6: 0}
    assert "hello from the kernel" in working.cell_text(1)
    findings = working.section_text("Findings")
    assert "The sample shows 3 idle teardowns." in findings  # rendered markdown, no asterisks
    assert "3 idle teardowns found" in findings  # the output of the section's code cell
    assert "Appendix" not in findings  # the section ends at the next heading of its level or up
    shot = working.screenshot("harness-working")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_slider_moves_by_keyboard_and_mouse_and_kernel_sees_it(runs: NotebookRuns) -> None:
    working = runs.run(WORKING)
    working.set_slider("Keepalive", 8)
    working.wait_for_text(3, r"value=8\b")
    assert working.press_slider("Keepalive", "End") == 20
    working.wait_for_text(3, r"value=20\b")
    assert working.click_slider("Keepalive", 0.0) == 0
    working.wait_for_text(3, r"value=0\b")
    assert working.problems() == []


def test_upload_reaches_the_kernel_through_kit_sources(runs: NotebookRuns,
                                                       tmp_path: Path) -> None:
    working = runs.run(WORKING)
    plain = tmp_path / "fw.log"
    plain.write_text("one\ntwo\nthree\n")
    packed = tmp_path / "keepalive.txt.gz"
    packed.write_bytes(gzip.compress(b"net.ipv4.tcp_keepalive_time = 7200\n"))
    working.upload("Logs", [plain, packed])
    text = working.wait_for_text(4, r"keepalive\.txt\.gz: 1 lines")
    assert "fw.log: 3 lines" in text
    assert working.problems() == []


def test_harness_catches_stderr_errors_and_an_unobserved_slider(runs: NotebookRuns) -> None:
    broken = runs.run(BROKEN)
    problems = "\n".join(broken.problems())
    assert "cell 0 stderr: careful" in problems
    assert "cell 3 error: ZeroDivisionError" in problems
    assert broken.unexecuted() == [4]
    broken.set_slider("Keepalive", 7)
    with pytest.raises(AssertionError, match=r"cell 1 matching 'value=7'.*not seen within 3 s"):
        broken.wait_for_text(1, "value=7", timeout=3)


def test_widget_callback_errors_are_reported(runs: NotebookRuns) -> None:
    broken = runs.run(BROKEN)
    assert not any("ValueError" in p for p in broken.problems())
    broken.press_slider("Explode", "ArrowRight")
    poll(broken.problems, lambda found: any("ValueError: bad value 6" in p for p in found),
         timeout=10, what="the callback's ValueError reported")
