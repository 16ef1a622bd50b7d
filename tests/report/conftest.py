"""Fixtures for the redaction, report and widget tests."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest
from report_cases import make_case

from kit.case import Case

matplotlib.use("Agg")


@pytest.fixture
def case(tmp_path: Path) -> Case:
    return make_case(tmp_path / "case")
