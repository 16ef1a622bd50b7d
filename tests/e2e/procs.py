"""Stopping the processes the browser suite starts, by process id, even after a failure.

JupyterLab starts kernels and Chromium starts renderers in process groups of their own, so a plain
``terminate()`` of the parent can leave them running. Each one is found by a marker that only this
test session put on its command line (its private runtime or profile folder), never by a name.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def pids_with_argument(fragment: str) -> list[int]:
    """Ids of the live processes whose command line contains ``fragment``.

    Parameters
    ----------
    fragment : str
        A string unique to this test session, e.g. a temporary folder's path.

    Returns
    -------
    list of int
        Matching process ids, the caller's own process excluded.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # the process ended while we looked, or is not ours to read
            continue
        if fragment in cmdline:
            found.append(int(entry.name))
    return found


def is_alive(pid: int) -> bool:
    """Whether ``pid`` still runs (a zombie counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def wait_ended(pids: list[int], timeout: float) -> list[int]:
    """Wait up to ``timeout`` seconds for ``pids`` to end; return those still alive."""
    deadline = time.monotonic() + timeout
    alive = [pid for pid in pids if is_alive(pid)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [pid for pid in alive if is_alive(pid)]
    return alive


def stop_group(pid: int, *, grace: float = 10.0) -> None:
    """Stop the process group led by ``pid``: SIGTERM, then SIGKILL after ``grace`` seconds.

    Parameters
    ----------
    pid : int
        Leader of a process group (started with ``start_new_session=True`` or detached).
    grace : float
        Seconds the group gets to shut down cleanly (a Jupyter server stops its kernels then).
    """
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        if not wait_ended([pid], wait):
            return


def kill_matching(fragment: str) -> list[int]:
    """SIGKILL every process (and its group) whose command line contains ``fragment``.

    The safety net after a clean shutdown: kernels or browser helpers that outlived their parent.

    Returns
    -------
    list of int
        The ids that were still alive and got killed.
    """
    killed = pids_with_argument(fragment)
    own_group = os.getpgid(0)
    for pid in killed:
        try:
            if os.getpgid(pid) == pid != own_group:  # a group leader: take its helpers too
                os.killpg(pid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            continue
    wait_ended(killed, 5.0)
    return killed
