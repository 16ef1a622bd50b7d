"""One notebook run in Lab shared by the tests on that notebook, one kernel at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lab import LabPage, Notebook, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

    from .server import LabServer


class NotebookRuns:
    """Runs notebooks in Lab and keeps the last one open for the next tests on it.

    Running a notebook costs a Lab page, a kernel and the run itself (~10 s here), so tests on
    the same notebook share one run; asking for another notebook first closes the page and
    shuts the kernel down, so one kernel runs at a time.
    """

    def __init__(self, context: BrowserContext, server: LabServer) -> None:
        self.context = context
        self.server = server
        self.page: Page | None = None
        self.notebook: Notebook | None = None

    def run(self, path: str) -> Notebook:
        """The notebook at ``path`` (relative to Lab's root), outputs cleared and run all."""
        if self.notebook is not None and self.notebook.path == path:
            return self.notebook
        self.close()
        self.page = self.context.new_page()
        lab = LabPage(self.page, self.server.url, self.server.token)
        lab.load()
        notebook = lab.open(path)
        notebook.clear_outputs()
        notebook.run_all()
        self.notebook = notebook
        return notebook

    def screenshot(self, name: str) -> None:
        """Save the open page (if any) as ``test-artifacts/e2e/<name>.png``."""
        if self.page is not None:
            screenshot(self.page, name)

    def close(self) -> None:
        """Close the open page and shut its kernel down."""
        page, self.page, self.notebook = self.page, None, None
        if page is None:
            return
        try:
            page.close()
        finally:
            self.server.shutdown_kernels()
