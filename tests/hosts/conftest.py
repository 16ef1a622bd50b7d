"""Shared helpers for the kit.hosts tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

FIXTURES = Path(__file__).parent / "fixtures"


def seconds(value: object) -> float | None:
    """A Timedelta as seconds (None for NaT) so expectations read like the exports."""
    if pd.isna(value):
        return None
    return pd.Timedelta(value).total_seconds()


def check_invariant(report) -> None:
    """read == parsed + ignored + rejected, per file and in total."""
    for file in report.files:
        assert file.read == file.parsed + file.ignored + file.rejected, file
    assert report.read == report.parsed + report.ignored + report.rejected


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES
