"""The suite's processes end by process id, even when the server died first and left a kernel."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from .browser import Chromium
from .lab import poll
from .procs import is_alive, pids_with_argument
from .server import LabServer

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("server_dies_first", [False, True], ids=["clean-stop", "server-killed"])
def test_lab_server_stop_ends_the_server_and_its_kernels(
        tmp_path: Path, server_dies_first: bool) -> None:
    root = tmp_path / "root"
    root.mkdir()
    server = LabServer(root, tmp_path / "state", tmp_path / "lab.log")
    with server:
        server_pid = server.process.pid
        server.api("POST", "kernels", {"name": "python3"})
        kernels = poll(server.kernel_pids, bool, timeout=30, what="a kernel process")
        if server_dies_first:  # a crash: the kernel, in its own session, outlives the server
            os.kill(server_pid, signal.SIGKILL)
            server.process.wait(timeout=10)
            assert all(is_alive(pid) for pid in kernels)
    assert not is_alive(server_pid)
    assert [pid for pid in kernels if is_alive(pid)] == []
    assert server.kernel_pids() == []


def test_chromium_stop_ends_every_browser_process(tmp_path: Path) -> None:
    browser = Chromium(tmp_path / "profile")
    try:
        browser.start().new_page().goto("about:blank")
        started = pids_with_argument(str(tmp_path / "profile"))
        assert started, "no Chromium process carries the profile folder"
    finally:
        browser.stop()
    assert [pid for pid in started if is_alive(pid)] == []
    assert pids_with_argument(str(tmp_path / "profile")) == []
