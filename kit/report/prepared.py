"""A case prepared once for all the report's notebooks.

``kit report`` loads the case (through the parse cache), redacts it and derives its facts
(sessions, timeout, keepalive risk) once, in its own process, and hands the result to each
notebook's kernel as a private file named by ``$KIT_PREPARED_CASE``; the notebooks' case picker
reads it instead of loading and redacting the case again. The file lives in a temporary folder
that only this user can read, is removed when the report is done, and never enters the report.
"""

from __future__ import annotations

import os
import pickle
from pathlib import Path
from typing import Any

PREPARED_ENV = "KIT_PREPARED_CASE"
_FILE = "case.pickle"


def write_prepared(case: Any, folder: Path, *, case_dir: Path, redact: bool) -> Path:
    """Derive the case's facts and write it to ``folder`` for the kernels; returns the file."""
    case.sessions, case.timeout, case.risk  # noqa: B018 - computed now, pickled with the case
    path = Path(folder) / _FILE
    with open(path, "wb") as handle:
        pickle.dump({"case_dir": str(Path(case_dir).resolve()), "redact": bool(redact),
                     "case": case}, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def read_prepared(case_dir: str | os.PathLike[str], *, redact: bool) -> Any | None:
    """The case ``kit report`` prepared for this kernel, if it is the one asked for (same folder,
    same redaction); else None (then the caller loads the case itself)."""
    path = os.environ.get(PREPARED_ENV)
    if not path or not Path(path).is_file():
        return None
    with open(path, "rb") as handle:
        data = pickle.load(handle)
    if data.get("case_dir") != str(Path(case_dir).resolve()) or data.get("redact") != redact:
        return None
    return data["case"]
