"""Page operations on a notebook open in JupyterLab, for the browser tests.

Commands go through ``window.jupyterapp`` (Lab started with ``expose_app_in_browser``); state is
read from Lab's own models (outputs, execution counts, kernel status) and from the rendered DOM
(markdown, images, widgets). Widget-to-kernel sync is asynchronous, so every check that follows a
user action polls (:func:`poll`) instead of reading once.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from . import js

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "e2e"

T = TypeVar("T")


@dataclass(frozen=True)
class Table:
    """An HTML table as shown (e.g. a DataFrame): its first header row and its body rows."""

    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def column(self, name: str) -> dict[str, str]:
        """Row label (first cell) -> the text shown in column ``name``."""
        at = self.header.index(name)
        return {row[0]: row[at] for row in self.rows}


@dataclass(frozen=True)
class Cell:
    """What one cell shows after a run."""

    index: int
    kind: str  # "code", "markdown" or "raw"
    source: str
    tags: tuple[str, ...]
    execution_count: int | None
    outputs: int  # number of outputs in the cell's model
    text: str  # rendered markdown, or the visible text of the outputs (widgets included)
    images: int  # PNG images (charts) shown in the cell
    problems: tuple[tuple[str, str], ...]  # (kind, text): error, stderr or widget-stderr

    @property
    def heading_level(self) -> int:
        """The markdown heading level of the cell's first line (0 when it is no heading)."""
        match = re.match(r"(#{1,6})\s", self.source) if self.kind == "markdown" else None
        return len(match.group(1)) if match else 0


def poll(probe: Callable[[], T], accept: Callable[[T], bool], *, timeout: float,
         what: str, interval: float = 0.2) -> T:
    """Call ``probe`` until ``accept`` takes its result; raise AssertionError naming ``what``.

    Parameters
    ----------
    probe : callable
        Reads the current state (e.g. a cell's text).
    accept : callable
        True when the state is the one awaited.
    timeout : float
        Seconds before giving up.
    what : str
        What was awaited, for the failure message (which also shows the last state seen).

    Returns
    -------
    The first accepted state.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if accept(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within {timeout:.0f} s; last state: {value!r}")
        time.sleep(interval)


class Notebook:
    """A notebook open in a JupyterLab page.

    Parameters
    ----------
    page : playwright Page
        A page showing JupyterLab, already loaded.
    path : str
        The notebook's path relative to the server's root.
    """

    def __init__(self, page: Page, path: str, panel_id: str) -> None:
        self.page = page
        self.path = path
        self.node = page.locator(f"[id='{panel_id}']")

    # -- running ---------------------------------------------------------------------------
    def wait_kernel_idle(self, timeout: float = 60.0) -> None:
        """Wait until the notebook's kernel exists and is idle."""
        self.page.wait_for_function(js.KERNEL_IDLE, arg=self.path, timeout=timeout * 1000)

    def command(self, command: str) -> None:
        """Run a Lab command (e.g. ``notebook:clear-all-cell-outputs``) on this notebook."""
        self.page.evaluate(js.COMMAND, [self.path, command])

    def clear_outputs(self) -> None:
        """Clear every output and execution count; fail if anything is left."""
        self.command("notebook:clear-all-cell-outputs")
        left = [c.index for c in self.cells() if c.outputs or c.execution_count is not None]
        assert not left, f"{self.path}: outputs left after clearing, cells {left}"

    def run_all(self, timeout: float = 120.0) -> list[Cell]:
        """Run all cells and wait until the run ended and the kernel is idle.

        Returns
        -------
        list of Cell
            The cells after the run. Lab stops at the first error: cells after it stay unrun
            (see :meth:`unexecuted`).
        """
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        self.page.evaluate(js.START_RUN_ALL, self.path)
        try:
            self.page.wait_for_function(js.RUN_FINISHED, arg=self.path, timeout=timeout * 1000,
                                        polling=200)
        except PlaywrightTimeout:
            raise AssertionError(
                f"{self.path}: run-all not finished after {timeout:.0f} s; cells not run yet: "
                f"{self.unexecuted()}; problems so far: {self.problems()}") from None
        return self.cells()

    # -- reading ---------------------------------------------------------------------------
    def cells(self) -> list[Cell]:
        """Every cell as it is rendered now."""
        raw = self.page.evaluate(js.CELLS, self.path)
        return [Cell(**{**c, "tags": tuple(c["tags"]),
                        "problems": tuple(tuple(p) for p in c["problems"])}) for c in raw]

    def unexecuted(self) -> list[int]:
        """Indexes of non-empty code cells without an execution count."""
        return [c.index for c in self.cells()
                if c.kind == "code" and c.source.strip() and c.execution_count is None]

    def problems(self) -> list[str]:
        """Every error or stderr output: in cells, in Output widgets and on the kernel's iopub
        channel since the notebook was opened (callbacks of widgets included)."""
        found = [f"cell {c.index} {kind}: {text.strip()}"
                 for c in self.cells() for kind, text in c.problems]
        found += [f"kernel {p['kind']} (answering {p['parent']}): {p['text'].strip()}"
                  for p in self.page.evaluate("() => window.__e2eProblems") if not p["probe"]]
        return found

    def images_per_cell(self) -> dict[int, int]:
        """PNG image count of each code cell, by cell index."""
        return {c.index: c.images for c in self.cells() if c.kind == "code"}

    def tagged(self, tag: str) -> list[Cell]:
        """The cells carrying the metadata tag ``tag`` (e.g. ``findings``)."""
        return [c for c in self.cells() if tag in c.tags]

    def cell_index(self, pattern: str) -> int:
        """The index of the first cell whose source matches the regex ``pattern``."""
        found = [c.index for c in self.cells() if re.search(pattern, c.source)]
        assert found, f"{self.path}: no cell whose source matches {pattern!r}"
        return found[0]

    def tables(self, index: int) -> list[Table]:
        """The HTML tables shown in cell ``index`` (Output widgets included)."""
        return [Table(tuple(t["header"]), tuple(tuple(r) for r in t["rows"]))
                for t in self.page.evaluate(js.TABLES, [self.path, index])]

    def image_sources(self, index: int) -> list[str]:
        """The ``data:image/png`` sources of the images in cell ``index``."""
        return self.page.evaluate(js.IMAGES, [self.path, index])

    def cell_text(self, index: int) -> str:
        """The rendered text of cell ``index`` (markdown, or outputs including widgets)."""
        return self.cells()[index].text

    def section(self, heading: str) -> list[Cell]:
        """The cells of the markdown section whose heading text starts with ``heading``.

        The section runs to the next heading of the same or a higher level.
        """
        cells = self.cells()
        starts = [c for c in cells if c.heading_level and c.text.strip().startswith(heading)]
        assert starts, f"{self.path}: no rendered heading starting with {heading!r}"
        first = starts[0]
        end = next((c.index for c in cells[first.index + 1:]
                    if 0 < c.heading_level <= first.heading_level), len(cells))
        return cells[first.index:end]

    def section_text(self, heading: str) -> str:
        """All rendered text of :meth:`section`, one cell per paragraph."""
        return "\n\n".join(c.text for c in self.section(heading))

    def wait_for_text(self, index: int, pattern: str, timeout: float = 20.0) -> str:
        """Poll until cell ``index`` shows text matching the regex ``pattern``; return the text."""
        return poll(lambda: self.cell_text(index), lambda t: re.search(pattern, t) is not None,
                    timeout=timeout, what=f"{self.path} cell {index} matching {pattern!r}")

    # -- widgets ---------------------------------------------------------------------------
    def widget(self, css_class: str, description: str) -> Locator:
        """The widget with ``css_class`` (e.g. ``widget-slider``) labelled ``description``."""
        label = self.page.locator(".widget-label").filter(
            has_text=re.compile(rf"^\s*{re.escape(description)}\s*$"))
        found = self.node.locator(f".{css_class}").filter(has=label)
        found.first.wait_for(state="visible")
        return found.first

    def slider_value(self, description: str) -> float:
        """The value a slider's handle shows now."""
        handle = self.widget("widget-slider", description).locator(".noUi-handle")
        return float(handle.get_attribute("aria-valuenow"))

    def press_slider(self, description: str, key: str, times: int = 1) -> float:
        """Focus a slider's handle and press ``key`` (ArrowRight, PageUp, Home, End...) ``times``.

        Returns
        -------
        float
            The slider's value afterwards.
        """
        handle = self.widget("widget-slider", description).locator(".noUi-handle")
        handle.focus()
        for _ in range(times):
            handle.press(key)
        return self.slider_value(description)

    def set_slider(self, description: str, value: float, max_presses: int = 500) -> None:
        """Move a slider to ``value`` with the arrow keys, as a keyboard user would."""
        for _ in range(max_presses):
            now = self.slider_value(description)
            if abs(now - value) < 1e-9:
                return
            before = now
            now = self.press_slider(description, "ArrowRight" if now < value else "ArrowLeft")
            if now == before or (before < value < now) or (now < value < before):
                break
        raise AssertionError(f"slider {description!r} cannot be set to {value} with the "
                             f"keyboard (it stopped at {self.slider_value(description)})")

    def click_slider(self, description: str, fraction: float) -> float:
        """Click a slider's track at ``fraction`` (0 = left end, 1 = right end) with the mouse.

        Returns
        -------
        float
            The slider's value afterwards.
        """
        slider = self.widget("widget-slider", description)
        slider.scroll_into_view_if_needed()
        box = slider.locator(".noUi-base").bounding_box()
        assert box, f"slider {description!r} has no track on screen"
        self.page.mouse.click(box["x"] + fraction * box["width"], box["y"] + box["height"] / 2)
        return self.slider_value(description)

    def click_button(self, description: str) -> None:
        """Click the widget button labelled ``description`` with the mouse."""
        button = self.node.locator("button.jupyter-button").filter(
            has_text=re.compile(rf"^\s*{re.escape(description)}\s*$"))
        button.first.click()

    def upload(self, description: str, files: Sequence[Path], timeout: float = 20.0) -> None:
        """Pick ``files`` in the FileUpload labelled ``description`` through the browser's file
        chooser, and wait until the widget holds them."""
        button = self.node.locator(".widget-upload").filter(
            has_text=re.compile(rf"^\s*{re.escape(description)} \(\d+\)"))
        with self.page.expect_file_chooser() as chooser:
            button.first.click()
        chooser.value.set_files([str(f) for f in files])
        expected = f"{description} ({len(files)})"
        poll(lambda: button.first.inner_text().strip(), lambda t: t == expected,
             timeout=timeout, what=f"upload button reading {expected!r}")

    # -- evidence ----------------------------------------------------------------------------
    def screenshot(self, name: str, max_height: int = 12000) -> Path:
        """Save a PNG of the whole notebook under ``test-artifacts/e2e/``; return its path.

        The notebook scrolls inside Lab, so it is scrolled to the top and the page is made as tall
        as the notebook for the shot.
        """
        viewport = self.page.viewport_size
        hidden = self.node.evaluate("""n => {
          const scroller = n.querySelector('.jp-WindowedPanel-outer') || n;
          scroller.scrollTop = 0;
          return scroller.scrollHeight - scroller.clientHeight; }""")
        self.page.set_viewport_size({"width": viewport["width"],
                                     "height": min(max_height, viewport["height"] + hidden)})
        try:
            self.page.wait_for_timeout(300)  # Lab lays out again after a resize
            return screenshot(self.page, name)
        finally:
            self.page.set_viewport_size(viewport)


def screenshot(page: Page, name: str) -> Path:
    """Save a PNG of ``page`` as ``test-artifacts/e2e/<name>.png`` (name made file-safe)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / (re.sub(r"[^\w.-]+", "_", name) + ".png")
    page.screenshot(path=str(path))
    return path


class LabPage:
    """A browser page with JupyterLab loaded, a fresh workspace each time.

    Parameters
    ----------
    page : playwright Page
    url, token : str
        The server's base URL and token.
    """

    def __init__(self, page: Page, url: str, token: str) -> None:
        self.page = page
        self.url = url
        self.token = token

    def load(self, timeout: float = 60.0) -> None:
        """Open Lab with a reset workspace (nothing from earlier tests reopens) and wait for it."""
        self.page.goto(f"{self.url}/lab?reset&token={self.token}", timeout=timeout * 1000)
        self.page.wait_for_function("() => window.jupyterapp !== undefined",
                                    timeout=timeout * 1000)
        self.page.evaluate("() => window.jupyterapp.restored.then(() => true)")

    def open(self, path: str, timeout: float = 60.0) -> Notebook:
        """Open the notebook at ``path`` (relative to the server root); wait for an idle kernel."""
        panel_id = self.page.evaluate(js.OPEN, path)
        notebook = Notebook(self.page, path, panel_id)
        notebook.wait_kernel_idle(timeout)
        return notebook
