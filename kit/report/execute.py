"""Run one notebook for a case with papermill, and turn any failure into a message a person can act
on: which notebook, which cell, what went wrong, and where the half-run notebook was saved.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import KitError

#: environment variables that must not reach the kernels: ``MPLBACKEND=Agg`` makes figures vanish
#: from the notebooks' outputs (they would be missing from the report)
DROPPED_ENV = ("MPLBACKEND",)


class ReportError(KitError):
    """The report could not be made: a notebook failed, a check failed, or an output is unsafe."""


def current_env_kernel_manager() -> type:
    """A kernel manager that starts the kernel with this very interpreter, whatever ``python3``
    kernelspec a user has installed elsewhere (the guarantee of nbval's
    ``--nbval-current-env``), quietly. Built on demand: jupyter_client is slow to import."""
    from jupyter_client.manager import AsyncKernelManager

    class CurrentEnvKernelManager(AsyncKernelManager):
        def format_kernel_cmd(self, extra_arguments: list[str] | None = None) -> list[str]:
            cmd = super().format_kernel_cmd(extra_arguments)
            if "ipykernel_launcher" not in cmd:
                return cmd
            launcher = cmd.index("ipykernel_launcher")
            # the kernel's own log is noise in `kit report`: ipykernel's TCP transport warning,
            # and "ERROR | KeyboardInterrupt caught in kernel" when the finished kernel is shut
            # down. Cell errors come back as messages (ReportError), not through this log.
            return [sys.executable, "-m", *cmd[launcher:], "--IPKernelApp.log_level=CRITICAL"]

    return CurrentEnvKernelManager


def run_notebook(source: Path, target: Path, *, parameters: Mapping[str, Any], cwd: Path,
                 timeout: float | None = 600) -> None:
    """Execute ``source`` into ``target`` with ``parameters`` injected after its ``parameters``
    cell, the kernel's working folder being ``cwd``.

    Raises
    ------
    ReportError
        Naming the notebook, the failing cell (its execution count and first line) and the error;
        the partly executed notebook is kept at ``target`` for inspection.
    """
    import papermill as pm
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    try:
        pm.execute_notebook(
            str(source), str(target), parameters=dict(parameters), cwd=str(cwd),
            kernel_name="python3", language="python", progress_bar=False, log_output=False,
            request_save_on_cell_execute=False, execution_timeout=timeout,
            kernel_manager_class=current_env_kernel_manager(),
            store_widget_state=False, record_timing=False,
        )
    except pm.PapermillExecutionError as exc:
        first_line = next((line for line in exc.source.splitlines() if line.strip()), "")
        raise ReportError(
            f"{source.name}: cell [{exc.exec_count}] failed ({first_line.strip()!r}): "
            f"{exc.ename}: {exc.evalue} (the executed notebook with the traceback is {target})"
        ) from None
    except CellTimeoutError as exc:
        raise ReportError(f"{source.name}: a cell ran longer than {timeout} s ({exc}); "
                          f"partial notebook: {target}") from None
    except DeadKernelError as exc:
        raise ReportError(f"{source.name}: the kernel died ({exc}); partial notebook: {target}") \
            from None
    except (ValueError, OSError) as exc:  # unreadable or invalid notebook file, unwritable target
        raise ReportError(f"{source.name}: cannot run it: {exc}") from exc


@contextmanager
def kernel_environment(extra: Mapping[str, str]) -> Iterator[None]:
    """Set ``extra`` (and drop ``DROPPED_ENV``) in the environment the kernels inherit, for the
    duration of the block only."""
    saved = {name: os.environ.get(name) for name in (*extra, *DROPPED_ENV)}
    try:
        for name in DROPPED_ENV:
            os.environ.pop(name, None)
        os.environ.update(extra)
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
