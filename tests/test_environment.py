"""environment.yml must stay in step with pyproject.toml (the one source of truth)."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def _environment() -> dict:
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def _pip_section(env: dict) -> list[str]:
    return next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)


def test_python_matches_requires_python():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floor = re.fullmatch(r">=\s*(\d+\.\d+)", project["requires-python"]).group(1)
    pythons = [d for d in _environment()["dependencies"] if isinstance(d, str) and
               d.startswith("python")]
    assert pythons == [f"python={floor}"]
    assert "pip" in _environment()["dependencies"]


def test_pip_section_installs_this_project_with_its_test_extra():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "test" in project["optional-dependencies"]
    assert _pip_section(_environment()) == ["-e .[test]"]


def test_pip_section_replays_like_conda(tmp_path):
    """conda writes the pip list to a requirements file beside the yml and runs pip there."""
    requirements = ROOT / "condaenv.test-replay.requirements.txt"
    requirements.write_text("\n".join(_pip_section(_environment())) + "\n")
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--quiet",
             "--report", str(tmp_path / "report.json"), "-r", requirements.name],
            cwd=ROOT, capture_output=True, text=True, timeout=300,
        )
    finally:
        requirements.unlink()
    assert result.returncode == 0, result.stderr
    report = yaml.safe_load((tmp_path / "report.json").read_text())
    names = {item["metadata"]["name"] for item in report["install"]}
    assert names == {"idle-timeout-kit"}
