"""`kit report` from a plain install of the built wheel, not from a checkout: the notebooks ship
inside the package. The wheel is built offline from a copy of the project, installed into a fresh
venv (its dependencies seen through a path file, the checkout's editable ``kit`` not), and reports
the sample case; the page is checked for what a support case needs and must not see."""

from __future__ import annotations

import html
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def run(*command: object, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    # the dependencies' data files (nbconvert's templates) live under the test environment
    env["JUPYTER_PATH"] = str(Path(sys.prefix) / "share" / "jupyter")
    done = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=900)
    assert done.returncode == 0, f"{command}: {done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """A fresh venv with the built wheel installed; returns its python."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "src"
    shutil.copytree(REPO / "kit", source / "kit",
                    ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
        "-q", "-w", root / "dist", source, cwd=root)
    [wheel] = (root / "dist").glob("idle_timeout_kit-*.whl")
    venv = root / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=root)
    python = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
        "-q", wheel, cwd=root)
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))",
                    cwd=root).strip())
    # the dependencies of the test environment, as plain paths: its editable kit stays out
    (site / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return python


def test_the_wheel_ships_the_notebooks_and_reports_the_sample(installed, tmp_path):
    where = run(installed, "-c", "import kit, kit.notebooks as n; print(kit.__file__); "
                "print(sorted(p.name for p in n.templates_dir().glob('*.ipynb')))", cwd=tmp_path)
    assert str(installed.parents[1]) in where.splitlines()[0]  # the installed kit, not the repo's
    assert "04_case_report.ipynb" in where.splitlines()[1]

    case = tmp_path / "dmz-web01"  # a folder named like one of its hosts: no path, no refusal
    shutil.copytree(REPO / "data" / "sample-incident", case)
    out = tmp_path / "out"
    (out).mkdir()
    (out / "report.html").write_text("<html>a stale report</html>")
    printed = run(installed.parent / "kit", "report", case, "--out", out, cwd=tmp_path)
    assert "redacted (key fingerprint" in printed

    page = (out / "report.html").read_text(encoding="utf-8")
    assert "a stale report" not in page
    assert str(tmp_path) not in page and "sample-incident" not in page
    assert "How to use it" not in page and "Run All" not in page
    assert "…" not in page and "&lt;NA&gt;" not in page and ">True<" not in page
    # whole commands, one per line: the Windows one intact, the ndd value not cut
    text = html.unescape(page)
    assert ('reg add "HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters" '
            "/v KeepAliveTime /t REG_DWORD /d 900000 /f") in text
    assert "ndd -set /dev/tcp tcp_keepalive_interval 900000\n" in text
    assert "client-" in page and "media-" in page and "master-" in page
    for notebook in out.glob("*.ipynb"):
        assert str(tmp_path) not in notebook.read_text(encoding="utf-8")
