"""Generated cases with known ground truth, shared by the findings and papermill tests."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import matplotlib
import pytest

matplotlib.use("Agg")

#: small cases (two days: the failures happen on the incremental night), fast to generate and run
CASES: dict[str, dict[str, Any]] = {
    "timeout-30min": {"timeout_s": 1800, "clients": 3, "days": 2, "background_rate": 20,
                      "seed": 7},
    "all-tuned": {"keepalive": "all-tuned", "clients": 3, "days": 2, "background_rate": 20,
                  "seed": 8},
}


#: shipped samples run like the generated cases (copied: a run must not write into data/)
SHIPPED = {"sample-paloalto": Path(__file__).parents[2] / "data" / "sample-paloalto"}


@pytest.fixture(scope="session")
def generated_cases(tmp_path_factory) -> dict[str, tuple[Path, dict[str, Any]]]:
    """name -> (case folder, ground truth) for every entry of ``CASES`` and ``SHIPPED``."""
    from kit.synth import generate_case

    root = tmp_path_factory.mktemp("cases")
    out = {}
    for name, params in CASES.items():
        folder = root / name
        generate_case(folder, **params)
        out[name] = (folder, json.loads((folder / "truth.json").read_text()))
    for name, source in SHIPPED.items():
        folder = root / name
        shutil.copytree(source, folder)
        out[name] = (folder, json.loads((folder / "truth.json").read_text()))
    return out
