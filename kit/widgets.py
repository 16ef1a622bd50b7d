"""Small ipywidgets controls for the notebooks, with plain attributes the next cell reads.

- ``CasePicker``: a case folder typed in a box, or firewall logs and keepalive exports dropped on
  upload buttons (read directly from memory, nothing is written to disk); ``picker.case``.
- ``WhatIf``: keepalive time, new firewall timeout and heartbeat sliders (passive values, one
  callback) that recompute ``kit.compare_remedies`` and redraw the table and chart;
  ``whatif.assumptions``, ``whatif.table``.
- ``ExportButton``: ``kit.report.build_report`` from inside JupyterLab (notebook 04).

An exported report cannot render widgets, so every control also prints the values it holds as
plain text in the cell's output. Only this module and ``kit.report`` import ipywidgets: the parsers
run without it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd
from IPython.display import display

from .errors import CaseError, KitError

__all__ = ["CasePicker", "ExportButton", "WhatIf", "case_from_uploads"]

UPLOAD_CASE_ID = "uploaded files"
#: (parameters' case_dir, redact) -> (picked folder, (firewall uploads, keepalive uploads))
_PICKS: dict[tuple[str, bool], tuple[str, tuple[Any, Any]]] = {}


def case_from_uploads(firewall: Any, hosts: Any = (), sockets: Any = ()) -> Any:
    """A ``kit.Case`` read straight from FileUpload values (or anything ``kit.sources`` reads).

    There is no case.toml: times are read as UTC, the idle timeout is inferred, and there is no
    inventory (tables show addresses instead of host names).
    """
    from kit.case import CaseSettings
    from kit.case.loader import assemble_case

    if not firewall:
        raise KitError("no firewall log uploaded: drop the firewall's syslog file(s) on "
                       "'Firewall logs'")
    return assemble_case(Path(UPLOAD_CASE_ID), CaseSettings(id=UPLOAD_CASE_ID),
                         firewall=firewall, hosts=hosts, sockets=sockets)


def describe_case(case: Any) -> str:
    """One line naming the case (by its id: no local path) and what was loaded (printed, so
    exports show it)."""
    from .findings.text import plural

    report = case.load_report
    return (f"case {case.settings.id}: {plural(case.event_facts.events, 'connection event')}, "
            f"{plural(len(case.hosts), 'host')} with keepalive settings, "
            f"{plural(len(case.sockets), 'socket')}; {plural(report.read, 'line')} read, "
            f"{report.rejected:,} rejected")


class CasePicker:
    """Choose the case: a folder path, or files dropped in.

    The case is loaded at once from ``path`` (so a notebook run top to bottom, e.g. by papermill,
    has ``picker.case``), and again when "Load" is clicked or files are uploaded.

    Parameters
    ----------
    path
        The case folder shown in the box (the notebook's ``case_dir``).
    redact
        Load redacted (``kit.open_case(..., redact=True)``).

    Attributes
    ----------
    case : kit.Case or None
        The loaded case (None after a failed load; ``error`` says why).
    source : str
        ``"folder"`` or ``"upload"``: where ``case`` came from.
    error : str or None
    fingerprint : str or None
        The redaction key's public fingerprint when loaded redacted (shown in the report).
    """

    def __init__(self, path: str | os.PathLike[str], *, redact: bool = False):
        self.redact = redact
        self.case: Any = None
        self.source = "folder"
        self.error: str | None = None
        self.fingerprint: str | None = None
        self._given = str(path)
        # Run All after a pick in this kernel re-creates the picker with the parameters' case:
        # the pick stands until the parameters cell names another case
        picked = _PICKS.get((self._given, redact))
        self._uploads: tuple[Any, Any] = picked[1] if picked else ((), ())
        self.path_box = widgets.Text(value=picked[0] if picked else self._given,
                                     description="Case folder",
                                     layout=widgets.Layout(width="60%"))
        self.firewall_upload = widgets.FileUpload(description="Firewall logs", multiple=True)
        self.hosts_upload = widgets.FileUpload(description="Keepalive exports", multiple=True)
        self.load_button = widgets.Button(description="Load", button_style="primary")
        self.status = widgets.HTML()
        self.load_button.on_click(lambda _button: self.pick())
        self.firewall_upload.observe(lambda _change: self.pick(), names="value")
        self.hosts_upload.observe(lambda _change: self._hosts_changed(), names="value")
        self.widget = widgets.VBox([
            widgets.HBox([self.path_box, self.load_button]),
            widgets.HBox([self.firewall_upload, self.hosts_upload]),
            self.status,
        ])
        self.load()

    @property
    def path(self) -> str:
        return self.path_box.value.strip()

    def pick(self) -> Any:
        """Load what the user chose (Load clicked, files dropped) and remember it in this kernel,
        so a later *Run All* shows this case rather than the parameters cell's."""
        self._uploads = (self.firewall_upload.value, self.hosts_upload.value)
        case = self.load()
        _PICKS[(self._given, self.redact)] = (self.path, self._uploads)
        return case

    def load(self) -> Any:
        """(Re)load from the uploads if any firewall log was dropped, else from the folder."""
        from .redaction import fingerprint, open_case, redact_case, resolve_key
        from .report.prepared import read_prepared

        try:
            if self._uploads[0]:
                case = case_from_uploads(*self._uploads)
                if self.redact:
                    case = redact_case(case, key=resolve_key(self.path))
                self.source = "upload"
            else:
                case = read_prepared(self.path, redact=self.redact) or \
                    open_case(self.path, redact=self.redact)
                self.source = "folder"
            self.fingerprint = fingerprint(resolve_key(self.path)) if self.redact else None
        except KitError as exc:
            self.case, self.error, self.fingerprint = None, str(exc), None
        else:
            self.case, self.error = case, None
        self.status.value = _escaped(self.summary())
        return self.case

    def require(self) -> Any:
        """The loaded case; raises ``kit.CaseError`` saying why when loading failed."""
        if self.case is None:
            raise CaseError(self.error or "no case loaded")
        return self.case

    def _hosts_changed(self) -> None:
        if self.firewall_upload.value:  # keepalive exports alone make no case
            self.pick()

    def summary(self) -> str:
        """What is loaded, as one line of text."""
        if self.case is None:
            return f"no case loaded: {self.error}"
        picked = " (picked in this kernel)" if (self._given, self.redact) in _PICKS else ""
        return f"loaded {describe_case(self.case)}{picked}"

    def _ipython_display_(self) -> None:
        display(self.widget)
        print(self.summary())


class WhatIf:
    """What-if controls for the remedy comparison (notebook 03): passive sliders, one callback.

    The sliders only hold the keepalive, new firewall timeout and heartbeat (whole minutes);
    ``assumptions`` reads them as a ``kit.Assumptions``. One callback runs when any slider moves:
    by default ``update``, which recomputes ``kit.compare_remedies(case, assumptions)`` (only the
    rows that depend on the moved slider: the rest is kept on the case) and redraws the table and
    ``kit.plots.remedy_chart`` below the sliders.

    Parameters
    ----------
    case
        The loaded case.
    assumptions : kit.Assumptions, optional
        The starting assumptions (the notebook's parameters); fields left None are resolved from
        the case (``kit.resolve_assumptions``).
    keepalive, new_firewall_timeout, heartbeat
        Override those fields (the kit's duration grammar: a bare number is seconds).
    on_change
        Called with this object after a slider moved; default ``WhatIf.update``.

    Attributes
    ----------
    given : kit.Assumptions
        The assumptions as given (None fields resolved by the comparison).
    start : kit.Assumptions
        The starting assumptions, every default resolved (exact; the sliders hold whole minutes).
    assumptions : kit.Assumptions
        The chosen values.
    table : DataFrame
        The comparison for the chosen values (after ``update``).
    """

    def __init__(self, case: Any, assumptions: Any = None, *, keepalive: Any = None,
                 new_firewall_timeout: Any = None, heartbeat: Any = None,
                 on_change: Callable[[WhatIf], Any] | None = None):
        from .remedies import resolve_assumptions
        from .remedies.assumptions import as_assumptions

        self.case = case
        given = as_assumptions(assumptions, keepalive=keepalive,
                               new_firewall_timeout=new_firewall_timeout, heartbeat=heartbeat)
        self.given = given
        self.start = resolve_assumptions(case, given)
        top = max(240, 2 * _minutes(self.start.firewall_timeout))
        self.sliders = {
            "keepalive": _slider("keepalive (min)", self.start.keepalive, 1, top),
            "new_firewall_timeout": _slider(
                "new firewall timeout (min)", self.start.new_firewall_timeout, 5,
                max(600, 2 * _minutes(self.start.new_firewall_timeout))),
            "heartbeat": _slider("heartbeat (min)", self.start.heartbeat, 1, top),
        }
        self.output = widgets.Output()
        self.table: pd.DataFrame | None = None
        self.figure: Any = None
        self._on_change = on_change or WhatIf.update
        self.update()
        for slider in self.sliders.values():
            slider.observe(lambda _change: self._on_change(self), names="value")
        self.widget = widgets.VBox([*self.sliders.values(), self.output])

    @property
    def assumptions(self) -> Any:
        """The given assumptions with the sliders' values (whole minutes); the others stay as
        given, so the comparison keeps its slider-independent part (``kit.compare_remedies``)."""
        return self.given.replace(**{name: pd.Timedelta(minutes=slider.value)
                                     for name, slider in self.sliders.items()})

    @property
    def keepalive(self) -> pd.Timedelta:
        return self.assumptions.keepalive

    @property
    def new_firewall_timeout(self) -> pd.Timedelta:
        return self.assumptions.new_firewall_timeout

    @property
    def heartbeat(self) -> pd.Timedelta:
        return self.assumptions.heartbeat

    def describe(self) -> str:
        """The chosen values as text (exported reports cannot show the sliders)."""
        a = self.assumptions
        return (f"what-if: keepalive {_hms(a.keepalive)}, new firewall timeout "
                f"{_hms(a.new_firewall_timeout)}, heartbeat {_hms(a.heartbeat)} (firewall "
                f"timeout {_hms(self.start.firewall_timeout)})")

    def update(self) -> pd.DataFrame:
        """Recompute the comparison for the sliders' values and redraw it."""
        from .plots import remedy_chart
        from .remedies import compare_remedies

        table = compare_remedies(self.case, self.assumptions)
        self.table = table
        self.figure = remedy_chart(table)
        # shown by setting the Output's state, not by capturing cell output: nbval would see
        # those outputs twice
        self.output.outputs = ()
        self.output.append_stdout(self.describe() + "\n")
        self.output.append_display_data(table)
        self.output.append_display_data(self.figure)
        return table

    def _ipython_display_(self) -> None:
        display(self.widget)
        print(self.describe())


class ExportButton:
    """A button that writes the support-case report (``kit.report.build_report``) for a case.

    Parameters
    ----------
    case_dir
        The case folder.
    out_dir
        Output folder (default ``<case_dir>/report``).
    redact
        Initial state of the "redact" checkbox (default on, as for ``kit report``).
    """

    def __init__(self, case_dir: str | os.PathLike[str], out_dir: str | None = None, *,
                 redact: bool = True, builder: Callable[..., Any] | None = None):
        self.case_dir = str(case_dir)
        self.out_box = widgets.Text(value=out_dir or str(Path(case_dir) / "report"),
                                    description="Output folder",
                                    layout=widgets.Layout(width="60%"))
        self.redact_box = widgets.Checkbox(value=redact, description="redact")
        self.button = widgets.Button(description="Write report.html", button_style="primary")
        self.log = widgets.Output()
        self.report: Any = None
        self.error: str | None = None
        self._builder = builder
        self.button.on_click(lambda _button: self.export())
        self.widget = widgets.VBox([widgets.HBox([self.out_box, self.redact_box, self.button]),
                                    self.log])

    def export(self) -> Any:
        """Write the report now; progress and the outcome go to the log below the button."""
        from .report import build_report

        builder = self._builder or build_report
        self.button.disabled = True
        self.log.outputs = ()
        say = self.log.append_stdout
        try:
            self.report = builder(self.case_dir, self.out_box.value.strip(),
                                  redact=self.redact_box.value,
                                  progress=lambda line: say(line + "\n"))
            self.error = None
            say(f"done: {self.report.html}\n")
        except KitError as exc:
            self.report, self.error = None, str(exc)
            say(f"failed: {exc}\n")
        finally:
            self.button.disabled = False
        return self.report

    def _ipython_display_(self) -> None:
        display(self.widget)
        print(f"report for {self.case_dir} -> {self.out_box.value} "
              f"({'redacted' if self.redact_box.value else 'NOT redacted'}); press the button "
              "to write it")


def _minutes(value: Any) -> int:
    return max(1, round(pd.Timedelta(value).total_seconds() / 60))


def _slider(label: str, value: pd.Timedelta, low: int, high: int) -> widgets.IntSlider:
    minutes = _minutes(value)
    return widgets.IntSlider(value=minutes, min=min(low, minutes), max=max(high, minutes), step=1,
                             description=label, continuous_update=False,
                             style={"description_width": "initial"},
                             layout=widgets.Layout(width="60%"))


def _hms(value: pd.Timedelta) -> str:
    from .analysis.format import hms

    return hms(value)


def _escaped(text: str) -> str:
    import html

    return f"<pre>{html.escape(text)}</pre>"
