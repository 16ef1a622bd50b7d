"""A private JupyterLab for the browser suite: the project's venv, 127.0.0.1, random port and token.

Everything the server writes (config, runtime files, Lab settings, workspaces) lives in one
temporary folder, so the user's own Jupyter setup cannot change what the tests see and nothing is
left behind.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from .procs import kill_matching, pids_with_argument, stop_group

#: Lab user settings that keep the page quiet and every cell in the DOM (no windowing).
LAB_SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false",
                                                     "checkForUpdates": False},
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LabServer:
    """One JupyterLab process serving ``root``; use as a context manager or call start/stop.

    Parameters
    ----------
    root : Path
        The folder Lab serves (a temporary copy of the project's notebooks and data).
    state_dir : Path
        An empty temporary folder for Lab's config, runtime files, settings and workspaces.
    log_path : Path
        Where the server's stdout and stderr go (kept as a test artifact).
    """

    def __init__(self, root: Path, state_dir: Path, log_path: Path) -> None:
        self.root = root
        self.state_dir = state_dir
        self.log_path = log_path
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """The command line that starts the server from this interpreter's environment."""
        cmd = [
            sys.executable, "-m", "jupyter", "lab", "--no-browser",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
            "--ServerApp.port_retries=0", f"--ServerApp.root_dir={self.root}",
            f"--IdentityProvider.token={self.token}",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
        ]
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        return cmd

    def environment(self) -> dict[str, str]:
        """The server's environment: private Jupyter folders, no inherited matplotlib backend."""
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)  # Agg here would silence every inline figure
        folders = {"JUPYTER_CONFIG_DIR": "config", "JUPYTER_RUNTIME_DIR": "runtime",
                   "JUPYTERLAB_SETTINGS_DIR": "settings", "JUPYTERLAB_WORKSPACES_DIR": "workspaces",
                   "IPYTHONDIR": "ipython"}
        for variable, name in folders.items():
            env[variable] = str(self.state_dir / name)
        return env

    def _write_settings(self) -> None:
        for plugin, values in LAB_SETTINGS.items():
            package, name = plugin.rsplit("/", 1)
            path = self.state_dir / "settings" / package / f"{name}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and wait until its REST API answers; raise with its log if it cannot."""
        self._write_settings()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command(), cwd=self.root, env=self.environment(), stdin=subprocess.DEVNULL,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}; "
                                   f"its log ({self.log_path}):\n{self._log_tail()}")
            try:
                self.api("GET", "status")
                return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s; "
                           f"its log ({self.log_path}):\n{self._log_tail()}")

    def _log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the server's REST API (``/api/<path>``) with the token; return the decoded JSON."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/api/{path}", data=data, method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = response.read()
        return json.loads(payload) if payload else None

    def shutdown_kernels(self) -> None:
        """End every session and kernel, so the next test starts from one kernel or none."""
        for session in self.api("GET", "sessions"):
            self.api("DELETE", f"sessions/{session['id']}")
        for kernel in self.api("GET", "kernels"):
            self.api("DELETE", f"kernels/{kernel['id']}")

    def kernel_pids(self) -> list[int]:
        """Ids of the kernel processes this server started (their connection files are ours)."""
        return pids_with_argument(str(self.state_dir / "runtime"))

    def stop(self) -> None:
        """Stop the server's process group, then kill any kernel that outlived it."""
        if self.process is not None:
            stop_group(self.process.pid)
            self.process.wait(timeout=10)
        kill_matching(str(self.state_dir / "runtime"))

    def __enter__(self) -> LabServer:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
