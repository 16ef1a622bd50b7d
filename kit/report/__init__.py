"""The report for a support case: run the five notebooks for a case, export one static page.

``build_report(case_dir, out_dir)`` executes the notebooks with papermill (parameters
``case_dir = "."`` and ``redact`` injected after each notebook's ``parameters`` cell; the kernel's
working folder is the case folder, so no local path reaches an output), writes the executed
``.ipynb`` files and one self-contained ``report.html`` into ``out_dir``, and, when redacting,
refuses to write the page if ``check_redaction`` finds any of the case's addresses or names in the
outputs. A re-run first removes the previous report; the page is written under a hidden name and
renamed only once it passed the check, so an interrupted or failed run leaves no complete-looking
page.

The notebooks' side of the contract: a ``parameters`` cell defining ``case_dir`` and
``redact = False``, and the case loaded with ``kit.open_case(case_dir, redact=redact)``, so the
redaction happens in the kit before anything is shown. The key reaches the kernels through
``$KIT_REDACTION_KEY``, never through a notebook parameter, so it is never saved in an output.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..analysis.format import hms
from ..notebooks import NOTEBOOKS, templates_dir
from ..redaction import (
    KEY_ENV,
    Leak,
    check_redaction,
    fingerprint,
    key_for_case,
    redact_case,
    resolve_key,
)
from ..redaction.keys import KeyLike
from .display import Findings, Table
from .execute import ReportError, run_notebook
from .execute import kernel_environment as _kernel_environment
from .html import export_html
from .prepared import PREPARED_ENV, write_prepared

__all__ = [
    "NOTEBOOKS",
    "Findings",
    "Report",
    "ReportError",
    "Table",
    "build_report",
    "case_metadata",
    "default_notebooks_dir",
    "export_html",
    "metadata_table",
    "run_notebook",
]

REPORT_FILE = "report.html"
#: the page before its redaction check: hidden, never mistaken for a report
UNCHECKED_FILE = ".report.html.unchecked"
NOT_REDACTED = ("NOT REDACTED: this report shows the site's real addresses, host, device and "
                "user names. Do not attach it to a support case; run `kit report --redact`.")


@dataclass
class Report:
    """What ``build_report`` wrote."""

    html: Path
    notebooks: list[Path]
    redacted: bool
    key_fingerprint: str | None = None
    seconds: dict[str, float] = field(default_factory=dict)  # notebook -> run time


def default_notebooks_dir() -> Path:
    """The notebooks shipped in the package (``kit/notebooks``), so a plain install works."""
    return templates_dir()


def build_report(
    case_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str] | None = None,
    *,
    redact: bool = True,
    key: KeyLike | None = None,
    notebooks_dir: str | os.PathLike[str] | None = None,
    notebooks: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
    timeout: float | None = 600,
) -> Report:
    """Execute the notebooks for a case and write ``report.html`` for a support case.

    Parameters
    ----------
    case_dir
        The case folder.
    out_dir
        Where the executed notebooks and ``report.html`` go (created); default
        ``<case_dir>/report``.
    redact
        Redact addresses, host, device and user names (keyed: see ``kit.redaction``), then
        verify that none of the case's originals remains in any output.
    key
        Redaction key (64 hex digits); default ``$KIT_REDACTION_KEY``, else the case's stored
        ``.redaction-key`` (generated on first use).
    notebooks_dir, notebooks
        Where the notebooks are (default: those shipped in the package) and which to run, in order
        (default: ``NOTEBOOKS``).
    progress
        Called with one line per step (``kit report`` prints them).
    timeout
        Seconds any one cell may run.

    Returns
    -------
    Report

    Raises
    ------
    ReportError
        A notebook is missing or fails (the message names the notebook and the cell), an output
        holds active content, or (redacting) an original value remains: then no ``report.html``
        is written and the message lists what leaked, file by file.
    CaseError
        The case folder cannot be loaded.
    """
    from ..case import load_case

    say = progress or (lambda _line: None)
    case_path = Path(case_dir).resolve()
    out = Path(out_dir) if out_dir is not None else case_path / "report"
    source_dir = Path(notebooks_dir) if notebooks_dir is not None else default_notebooks_dir()
    notebooks = NOTEBOOKS if notebooks is None else notebooks
    missing = [name for name in notebooks if not (source_dir / name).is_file()]
    if missing:
        raise ReportError(f"{source_dir}: notebook(s) not found: {', '.join(missing)}")

    say(f"loading the case {case_path}")
    original = load_case(case_path)
    _remove_stale(out, notebooks)
    shown, env, mark = original, {}, None
    if redact:
        secret = resolve_key(case_path, key, generate=lambda: key_for_case(original))
        shown, env, mark = redact_case(original, key=secret), {KEY_ENV: secret.hex()}, \
            fingerprint(secret)
    executed, seconds = [], {}
    # the case folder is the kernels' working folder: "." names it without any local path
    parameters = {"case_dir": ".", "redact": redact}
    target, unchecked = out / REPORT_FILE, out / UNCHECKED_FILE
    private = Path(tempfile.mkdtemp(prefix="kit-report-"))
    try:
        say("preparing the case once for all notebooks")
        env[PREPARED_ENV] = str(write_prepared(shown, private, case_dir=case_path, redact=redact))
        _run_all(notebooks, source_dir, out, parameters, env, case_path, timeout, say, executed,
                 seconds)

        say("exporting report.html")
        page = export_html(executed, title=_title(shown), metadata=case_metadata(shown, mark),
                           warning=None if redact else NOT_REDACTED)
        unchecked.write_text(page, encoding="utf-8")
        if redact:
            say("checking that no original address or name remains")
            leaks = [leak for path in [*executed, unchecked]
                     for leak in check_redaction(path, original)]
            if leaks:
                raise ReportError(_leak_message(leaks, out, case_path.name))
        unchecked.replace(target)
    except BaseException:
        say(f"FAILED: no {REPORT_FILE} was written")
        raise
    finally:
        unchecked.unlink(missing_ok=True)
        shutil.rmtree(private, ignore_errors=True)
    say(f"wrote {target}")
    return Report(target, executed, redact, mark, seconds)


def _run_all(notebooks: Sequence[str], source_dir: Path, out: Path, parameters: dict,
             env: dict[str, str], cwd: Path, timeout: float | None,
             say: Callable[[str], None], executed: list[Path], seconds: dict[str, float]) -> None:
    """Run each notebook in turn in the case folder, with ``env`` in the kernels' environment."""
    with _kernel_environment(env):
        for number, name in enumerate(notebooks, 1):
            say(f"[{number}/{len(notebooks)}] running {name}")
            start = time.perf_counter()
            run_notebook(source_dir / name, out / name, parameters=parameters, cwd=cwd,
                         timeout=timeout)
            _strip_local_paths(out / name)
            seconds[name] = time.perf_counter() - start
            say(f"[{number}/{len(notebooks)}] {name} done in {seconds[name]:.1f} s")
            executed.append(out / name)


def _remove_stale(out: Path, notebooks: Sequence[str]) -> None:
    """Remove a previous run's page and notebooks before a re-run starts, so a run that stops
    half-way never leaves an old complete report beside newer notebooks."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name in (REPORT_FILE, REPORT_FILE + ".partial", UNCHECKED_FILE, *notebooks):
            (out / name).unlink(missing_ok=True)
    except OSError as exc:
        raise ReportError(f"{out}: cannot write the report there ({exc.strerror or exc}); "
                          "choose another --out folder") from None


def _strip_local_paths(path: Path) -> None:
    """Papermill records the notebooks' full paths in their metadata: keep only the names."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    record = notebook.metadata.get("papermill", {})
    for key in ("input_path", "output_path"):
        if record.get(key):
            record[key] = Path(str(record[key])).name
    nbformat.write(notebook, path)


def case_metadata(case, key_fingerprint: str | None = None) -> list[tuple[str, str]]:
    """The report header's rows (label, plain text) from a (redacted) case; ``key_fingerprint``
    None means the report is not redacted."""
    from ..findings.text import plural

    settings, report = case.settings, case.load_report
    kinds = Counter(f.kind for f in report.files)
    events = case.event_facts  # every event, whichever engine computed the case
    rows: list[tuple[str, str | None]] = [
        ("Case", settings.id),
        ("Title", settings.title),
        ("Opened", settings.opened and settings.opened.isoformat()),
        ("Notes", settings.notes),
        ("Firewall idle timeout", _timeout_text(case.timeout)),
        ("Firewall model", settings.model),
        ("Connection table capacity", settings.capacity and f"{settings.capacity:,}"),
        ("Data", f"{plural(events.events, 'connection event')} from "
                 f"{plural(kinds['firewall'], 'firewall file')}; keepalive settings of "
                 f"{plural(len(case.hosts), 'host')}; {plural(len(case.sockets), 'socket')}; "
                 f"{plural(report.read, 'line')} read, {report.rejected:,} rejected"),
        ("Time range", f"{events.first:%Y-%m-%d %H:%M:%S} to {events.last:%Y-%m-%d %H:%M:%S} UTC"
         if events.first is not None else None),
        ("Redaction", "on: addresses (prefix-preserving), host, device and user names replaced "
                      f"by keyed pseudonyms; key fingerprint {key_fingerprint}"
         if key_fingerprint else "OFF"),
        ("Generated", f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by idle-timeout kit "
                      f"{_version()}"),
    ]
    return [(label, value) for label, value in rows if value]


def _timeout_text(timeout) -> str:
    """The timeout in force, where it came from, and whether the data disagrees."""

    if timeout.value is None:
        return "unknown: not stated in case.toml and no idle-timeout teardowns in the data"
    text = {"case.toml": f"{hms(timeout.value)} (stated in case.toml)",
            "inferred": f"{hms(timeout.value)} (inferred from the data: not stated in "
                        "case.toml)"}[timeout.source]
    if timeout.disagrees:
        text += f"; the data disagrees: it suggests {hms(timeout.estimate.value)}"
    if timeout.estimate.by_port:
        from ..remedies.commands import per_family

        scope = per_family(timeout.estimate.vendors, lambda f: f.scoped, joiner=" or ")
        ports = ", ".join(f"its own on port {port}: {hms(value)}"
                          for port, value in sorted(timeout.estimate.by_port.items()))
        text += f"; {ports} (seen in the data: {scope})"
    return text


def metadata_table(case, key_fingerprint: str | None = None) -> pd.DataFrame:
    """``case_metadata`` as the one-column table notebook 04 shows."""
    rows = case_metadata(case, key_fingerprint)
    return pd.DataFrame({"value": [v for _, v in rows]},
                        index=pd.Index([label for label, _ in rows], name="case"))


def _title(case) -> str:
    title = f"Idle-timeout case report: {case.settings.id}"
    return f"{title} ({case.settings.title})" if case.settings.title else title


def _version() -> str:
    from .. import __version__

    return __version__


def _leak_message(leaks: list[Leak], out: Path, folder: str) -> str:
    shown = "\n".join(f"  {leak}" for leak in leaks[:20])
    more = f"\n  ... and {len(leaks) - 20} more" if len(leaks) > 20 else ""
    hint = ""
    if any(leak.value.casefold() == folder.casefold() for leak in leaks):
        hint = (f"\n(the case folder is named {folder!r} like one of the case's hosts: that "
                "name may reach the outputs through a path; give the case its own folder name "
                "and [case] id)")
    return (f"redaction check failed: {len(leaks)} original value(s) remain in the outputs in "
            f"{out}; report.html was NOT written (do not attach these files):\n{shown}{more}"
            f"{hint}")
