"""Debian's Chromium driven by Python playwright (never a browser playwright downloads itself)."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from .procs import kill_matching

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Playwright

CHROMIUM = Path("/usr/bin/chromium")

CHROMIUM_ARGS = ["--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

VIEWPORT = {"width": 1400, "height": 1000}


def unavailable_reason() -> str | None:
    """Why the browser suite cannot run here, in one line; None when it can."""
    if not sys.platform.startswith("linux"):
        return (f"browser tests need Linux with Debian's Chromium at {CHROMIUM}; "
                f"this is {sys.platform}")
    if importlib.util.find_spec("playwright") is None:
        return "browser tests need Python playwright: pip install -e '.[test]'"
    if not CHROMIUM.exists():
        how = ("`make browser-deps` installs it (apt-get install chromium)" if os.geteuid() == 0
               else "installing it needs root: apt-get install chromium")
        return f"browser tests need Chromium at {CHROMIUM}, which is missing; {how}"
    return None


def require_browser(*, ci: bool) -> None:
    """Skip (the calling test, or a whole conftest) when the browser cannot run here; under CI,
    fail instead.

    Parameters
    ----------
    ci : bool
        True under ``CI=true``, where a suite that silently skips would hide a broken setup.
    """
    reason = unavailable_reason()
    if reason is None:
        return
    if ci:
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


class Chromium:
    """One headless Chromium with a fresh profile, for the whole test session.

    Parameters
    ----------
    profile_dir : Path
        An empty temporary folder; it also marks this browser's processes for the final cleanup.
    """

    def __init__(self, profile_dir: Path) -> None:
        self.profile_dir = profile_dir
        self._playwright: Playwright | None = None
        self.context: BrowserContext | None = None

    def start(self) -> BrowserContext:
        """Launch the browser and return its (persistent) context."""
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        args = [*CHROMIUM_ARGS, *(["--no-sandbox"] if os.geteuid() == 0 else [])]
        self.context = self._playwright.chromium.launch_persistent_context(
            str(self.profile_dir), executable_path=str(CHROMIUM), headless=True, args=args,
            viewport=VIEWPORT)
        return self.context

    def stop(self) -> None:
        """Close the browser and playwright's driver; kill whatever of the browser outlived them."""
        try:
            if self.context is not None:
                self.context.close()
        finally:
            try:
                if self._playwright is not None:
                    self._playwright.stop()
            finally:
                kill_matching(str(self.profile_dir))
