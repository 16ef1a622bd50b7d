"""Where the browser cannot run, the suite says why in one line: a skip, or under CI a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import browser

pytestmark = pytest.mark.browser


@pytest.fixture
def no_chromium(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    missing = tmp_path / "chromium"
    monkeypatch.setattr(browser, "CHROMIUM", missing)
    return missing


def test_missing_chromium_is_named_in_one_line(no_chromium: Path) -> None:
    reason = browser.unavailable_reason()
    assert reason is not None
    assert str(no_chromium) in reason
    assert "\n" not in reason


def test_missing_chromium_skips_locally(no_chromium: Path) -> None:
    with pytest.raises(pytest.skip.Exception, match=r"Chromium at .* is missing"):
        browser.require_browser(ci=False)


def test_missing_chromium_fails_under_ci(no_chromium: Path) -> None:
    with pytest.raises(pytest.fail.Exception, match=r"CI=true and .*Chromium"):
        browser.require_browser(ci=True)


def test_present_chromium_neither_skips_nor_fails() -> None:
    assert browser.unavailable_reason() is None
    browser.require_browser(ci=True)
