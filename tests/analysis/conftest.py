"""Fixtures of the analysis tests; charts render with the Agg backend (no display needed)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest


@pytest.fixture
def inventory() -> pd.DataFrame:
    return pd.DataFrame({
        "host": ["master", "media", "media", "client1", "client2"],
        "ip": ["10.0.0.1", "10.0.0.2", "10.0.1.2", "192.168.1.10", "192.168.1.11"],
        "role": ["master", "media", "media", "client", "client"],
        "os": ["linux", "linux", "linux", "linux", "windows"],
    })

