"""The guided notebooks, shipped inside the package.

They are the templates ``kit open`` copies into a case folder and ``kit report`` runs, and, in a
checkout, the worked example on the sample case (committed with its outputs, tested by nbval,
browsed with ``make lab``). Working a case never edits them: ``copy_to_case`` writes
parameterised copies into ``CASE/notebooks/`` (papermill's injected-parameters convention, not
executed, outputs cleared), which are the filled-in notebooks to attach.
"""

from __future__ import annotations

import os
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import Any

from ..errors import CaseError

#: the guided notebooks, in the order a case is worked
NOTEBOOKS = (
    "01_find_idle_teardowns.ipynb",
    "02_connection_durations.ipynb",
    "03_compare_remedies.ipynb",
    "04_case_report.ipynb",
    "05_failed_jobs.ipynb",
)
#: where ``kit open`` puts the copies, inside the case folder
CASE_NOTEBOOKS = "notebooks"

_files = ExitStack()  # keeps an extracted copy alive when the package is imported from a zip


def templates_dir() -> Path:
    """The folder holding the shipped notebooks (inside the installed package)."""
    return Path(_files.enter_context(resources.as_file(resources.files(__name__))))


def copy_to_case(case_dir: str | os.PathLike[str], *, replace: bool = False,
                 parameters: dict[str, Any] | None = None) -> list[Path]:
    """Copy the notebooks into ``CASE/notebooks/``, set to that case.

    Parameters
    ----------
    case_dir
        The case folder (it must hold ``case.toml``).
    replace
        Overwrite copies that exist (the user's filled-in work); default: keep them.
    parameters
        More parameters to inject (``case_dir`` is always ``".."``: the copies find their case
        relative to themselves, so the folder can move and no local path is stored).

    Returns
    -------
    list of Path
        The notebooks in ``CASE/notebooks/``, copied or kept.
    """
    import nbformat
    import papermill as pm

    root = Path(case_dir)
    if not (root / "case.toml").is_file():
        raise CaseError(f"{root}: not a case folder (no case.toml); create one with "
                        f"`kit new-case {root}`")
    target = root / CASE_NOTEBOOKS
    target.mkdir(exist_ok=True)
    source = templates_dir()
    values = {"case_dir": "..", **(parameters or {})}
    written = []
    for name in NOTEBOOKS:
        out = target / name
        written.append(out)
        if out.exists() and not replace:
            continue
        pm.execute_notebook(str(source / name), str(out), parameters=values, prepare_only=True,
                            progress_bar=False, log_output=False)
        notebook = nbformat.read(out, as_version=4)
        for cell in notebook.cells:  # the worked example's outputs belong to the sample case
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        notebook.metadata.get("papermill", {}).update(input_path=name, output_path=name)
        notebook.metadata.pop("widgets", None)
        nbformat.write(notebook, out)
    return written
