"""A case folder -> ``Case``: every input of an incident loaded in one call, with one load report.

::

    <case>/
      case.toml        what is known about the incident ([case] id required)
      firewall/        firewall syslog files, any names, plain or gzip/bz2
      hosts/           keepalive exports, one or more files per host, any OS format
      sockets/         optional ss / netstat captures
      jobs/            optional bpdbjobs -report -all_columns exports
      apps/            optional application-error CSVs
      inventory.csv    host,ip,role,os (one row per IP)
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial
from importlib import import_module
from pathlib import Path
from typing import Any

import pandas as pd

from ..analysis.timeout import CaseTimeout
from ..apps.schema import FAILURE_DTYPES, JOB_DTYPES
from ..apps.schema import frame as failure_frame
from ..errors import CaseError, KitError
from ..hosts.schema import KEEPALIVE_DTYPES, SOCKET_DTYPES, frame
from ..loadreport import LoadReport
from ..services import service_names, service_table
from ..sources import iter_sources
from ..units import canonical_names
from .cache import SessionsCache, read_cached
from .facts import EventFacts, SessionFacts, Whole, register_whole
from .inventory import empty_inventory, read_inventory
from .settings import CaseSettings, read_settings


@dataclass
class Case:
    """Everything loaded from one case folder.

    Attributes
    ----------
    path : Path
        The case folder.
    settings : CaseSettings
        The validated ``case.toml``.
    connections : DataFrame
        The connection-event frame (``kit.firewall.schema``) of every file in ``firewall/``.
    hosts : DataFrame
        One row per host from ``hosts/`` (``kit.read_keepalive``).
    sockets : DataFrame
        Sockets from ``sockets/`` (``kit.read_sockets``); empty when none were collected.
    inventory : DataFrame
        host, ip, role, os from ``inventory.csv``; empty when the file is absent.
    load_report : LoadReport
        The firewall, hosts, sockets, jobs and apps files' counts together.
    jobs : DataFrame
        One row per job try from ``jobs/`` (``kit.read_bpdbjobs``); empty when none.
    app_errors : DataFrame
        Application errors from ``apps/`` (``kit.read_app_errors``); empty when none.
    redacted : bool
        Whether the frames hold pseudonyms (set by ``kit.redaction.redact_case``): the tables
        shown from it then name each host with its inventory OS (``client-28607c (aix)``).

    reduced : kit.scale.analysis.ReducedCase or None
        Set when ``case.toml [compute] engine = "dask"``: the case was computed on a Dask
        cluster, ``connections`` then holds only the idle-timeout teardowns and the refused
        packets, ``sessions`` only the sessions kept by the rule (``kit.scale.analysis``), and
        ``event_facts`` / ``session_facts`` cover every event and session.

    The facts derived from these frames are computed on first use and kept for the life of the
    object, so every notebook cell, Finding, widget and the report read the same values:
    ``sessions``, ``timeout``, ``risk``, ``at_risk_hosts``, ``failures``, ``services``,
    ``event_facts`` and ``session_facts``. Treat the frames as read-only (copy before changing
    one): the derived facts are not recomputed.
    """

    path: Path
    settings: CaseSettings
    connections: pd.DataFrame
    hosts: pd.DataFrame
    sockets: pd.DataFrame
    inventory: pd.DataFrame
    load_report: LoadReport
    jobs: pd.DataFrame = field(default_factory=lambda: failure_frame([], JOB_DTYPES))
    app_errors: pd.DataFrame = field(default_factory=lambda: failure_frame([], FAILURE_DTYPES))
    redacted: bool = False
    reduced: Any = field(default=None, repr=False, compare=False)

    #: where ``sessions`` is cached (set by ``load_case`` with its parse cache; not copied by
    #: ``dataclasses.replace``, so a redacted copy builds its own sessions)
    sessions_cache: SessionsCache | None = field(default=None, init=False, repr=False,
                                                 compare=False)

    @cached_property
    def sessions(self) -> pd.DataFrame:
        """One row per connection (``kit.sessions`` on this case's events, inventory and
        ``[services]``), built once (and read from the case's cache when it is there). A case
        computed on Dask holds the sessions kept by its rule (``kit.scale.analysis``)."""
        if self.reduced is not None:
            frame = self.reduced.sessions
            if self.redacted:  # named from the redacted [services], as the pandas path names
                frame = frame.assign(service=service_names(frame["service_port"], self.services))
            facts = self.session_facts
            register_whole(frame, Whole(facts.concurrency, facts.duration_histogram))
            return frame
        cached = self.sessions_cache.load() if self.sessions_cache is not None else None
        if cached is not None:
            return cached
        builder = import_module("kit.analysis.sessions")  # the module: tests count its calls
        built = builder.build_sessions(self.connections, self.inventory, self.settings.services,
                                       self.timeout.value)
        if self.sessions_cache is not None:
            self.sessions_cache.store(built)
        return built

    @cached_property
    def timeout(self) -> CaseTimeout:
        """The one firewall idle timeout in force: stated in case.toml > inferred > none, with
        where it came from and whether the data disagrees (``kit.analysis.CaseTimeout``)."""
        from ..analysis import infer_idle_timeout, timeout_in_force

        return timeout_in_force(self.settings.idle_timeout, infer_idle_timeout(self.connections))

    @cached_property
    def event_facts(self) -> EventFacts:
        """Counts over every connection event (``kit.case.facts.EventFacts``)."""
        if self.reduced is not None:
            return self.reduced.events
        return EventFacts.of(self.connections)

    @cached_property
    def session_facts(self) -> SessionFacts:
        """Facts over every session: the connection table over time, the duration histogram,
        close counts, medians (``kit.case.facts.SessionFacts``)."""
        if self.reduced is not None:
            return self.reduced.facts
        return SessionFacts.of(self.sessions)

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Unpickled (``kit report`` hands the case to its kernels): the reduced sessions frame
        is a new object, registered again with its facts."""
        self.__dict__.update(state)
        if self.reduced is not None and "sessions" in state:
            facts = self.reduced.facts
            register_whole(state["sessions"], Whole(facts.concurrency, facts.duration_histogram))

    @cached_property
    def risk(self) -> pd.DataFrame:
        """``kit.keepalive_risk`` of the hosts against ``timeout``; no rows when the case has no
        keepalive exports or no timeout is known (``missing`` says which)."""
        from ..hosts.risk import keepalive_risk

        if self.timeout.value is None:  # same columns and dtypes, no rows
            return keepalive_risk(self.hosts.iloc[:0], pd.Timedelta(hours=1))
        return keepalive_risk(self.hosts, self.timeout.value)

    @cached_property
    def at_risk_hosts(self) -> tuple[str, ...]:
        """The hosts whose keepalive comes too late for ``timeout``, sorted."""
        flags = self.risk["at_risk"].fillna(False).to_numpy(dtype=bool)
        return tuple(sorted(self.risk.loc[flags, "host"].astype(str)))

    @cached_property
    def failures(self) -> pd.DataFrame:
        """``kit.explain_failures`` of this case (every failed job try and application error,
        with the idle teardown that explains it or why none does), built once."""
        from ..analysis.explain import explain_failures

        return explain_failures(self)

    @cached_property
    def services(self) -> dict[int, str]:
        """Port -> service name: the built-in table with case.toml's ``[services]`` on top."""
        return service_table(self.settings.services)

    @cached_property
    def memo(self) -> dict[Any, Any]:
        """Values other modules derive from this case and keep, under their own keys (the
        remedy comparison's slider-independent part and rows)."""
        return {}

    @property
    def missing(self) -> list[str]:
        """What the case lacks for a full analysis, as sentences (empty when nothing)."""
        out = []
        if not len(self.hosts):
            out.append("no keepalive exports in hosts/: which hosts are at risk cannot be judged, "
                       "and the keepalive remedy changes no host (collect them as the case "
                       "README shows)")
        if self.timeout.value is None:
            out.append("no firewall idle timeout: neither stated in case.toml nor visible in "
                       "the data")
        return out

    def __repr__(self) -> str:
        timeout = self.settings.idle_timeout
        return (f"Case({self.settings.id!r}, path={str(self.path)!r}, "
                f"{self.event_facts.events:,} connection events, {len(self.hosts)} hosts, "
                f"{len(self.sockets)} sockets, {len(self.inventory)} inventory rows, "
                f"idle_timeout={'infer' if timeout is None else str(timeout)})")


def load_case(path: str | Path, *, cache: bool = True) -> Case:
    """Load a case folder: settings, firewall connections, keepalive exports, sockets, inventory.

    Parameters
    ----------
    path : str or Path
        The case folder (see the module docstring for its layout). ``case.toml`` keys::

            [case]      id (required), title, opened (date), notes
            [firewall]  idle_timeout ("1:00:00" or seconds; absent = infer from the data),
                        tz (device stamps' zone), relay_tz (relay header's zone), year,
                        capacity (max concurrent connections), model
            [services]  ports = { 1556 = "pbx", ... }  (adds to the built-in list)
            [compute]   engine ("pandas" default; "dask": read and reduce the logs on a Dask
                        cluster, ``kit.case.compute``), scheduler ("tcp://HOST:8786")

    cache : bool
        Keep each firewall log's parsed rows in ``CASE/.kit/cache`` and read them back on the
        next load while the file is unchanged (``kit.case.cache``); False parses every file.

    Returns
    -------
    Case
        Malformed firewall lines are skipped and counted in ``case.load_report``.

    Raises
    ------
    CaseError
        The folder or ``case.toml`` is missing, ``case.toml`` is malformed (the TOML error gives
        the line), a value is invalid, ``inventory.csv`` has a bad IP, ``firewall/`` holds no
        log, or a file cannot be read; the message names the file and the fix. Unknown keys in
        ``case.toml`` only warn.
    """
    if not str(path).strip():
        raise CaseError("an empty path names no case folder: pass the folder that holds "
                        "case.toml and firewall/ (\".\" for the current folder)")
    root = Path(path)
    if not root.is_dir():
        what = "is a file, not a folder" if root.exists() else "does not exist"
        raise CaseError(f"{root}: the case folder {what}; pass the folder that holds case.toml "
                        f"and firewall/ (run `kit new-case {root}` to create one)")
    settings = read_settings(root / "case.toml")
    firewall_dir = root / "firewall"
    if not _has_files(firewall_dir):
        raise CaseError(f"{firewall_dir}: no firewall log files; copy the firewall's syslog "
                        "files (plain or gzip) into this folder")
    hosts_dir, sockets_dir = root / "hosts", root / "sockets"
    jobs_dir, apps_dir = root / "jobs", root / "apps"
    if not _has_files(hosts_dir):
        warnings.warn(f"{hosts_dir}: no keepalive exports; the hosts' keepalive risk cannot be "
                      "judged until you add them (see the case README)", stacklevel=2)
    inventory_file = root / "inventory.csv"
    inventory = read_inventory(inventory_file) if inventory_file.is_file() else empty_inventory()
    return assemble_case(
        root, settings, firewall=firewall_dir,
        hosts=hosts_dir if _has_files(hosts_dir) else None,
        sockets=sockets_dir if _has_files(sockets_dir) else None,
        inventory=inventory, cache=cache,
        jobs=jobs_dir if _has_files(jobs_dir) else None,
        apps=apps_dir if _has_files(apps_dir) else None,
    )


def assemble_case(path: Path, settings: CaseSettings, *, firewall: Any, hosts: Any = None,
                  sockets: Any = None, inventory: pd.DataFrame | None = None,
                  jobs: Any = None, apps: Any = None, cache: bool = False) -> Case:
    """Read each input with its reader and bind them into a Case with one load report.

    ``firewall``, ``hosts``, ``sockets``, ``jobs`` and ``apps`` are anything ``kit.sources``
    reads (a folder, files, FileUpload values); ``None`` or empty gives an empty frame.
    Malformed lines are skipped and counted; a reader's KitError becomes a CaseError naming
    the input. ``cache``: read a ``firewall`` folder through the case's parse cache
    (``kit.case.cache``).
    """
    import kit  # the readers are re-exported lazily by the package

    def parse(source: Any) -> pd.DataFrame:
        return kit.read_firewall_log(source, tz=settings.tz, relay_tz=settings.relay_tz,
                                     year=settings.year, on_bad_lines="skip")

    inventory = empty_inventory() if inventory is None else inventory
    os_hints = dict(zip(inventory["host"].astype(str), inventory["os"].fillna(""), strict=True))
    frames = {}
    for name, source, reader, dtypes, empty in (
            ("hosts", hosts, partial(kit.read_keepalive, os_hints=os_hints), KEEPALIVE_DTYPES,
             frame),
            ("sockets", sockets, kit.read_sockets, SOCKET_DTYPES, frame),
            ("jobs", jobs, kit.read_bpdbjobs, JOB_DTYPES, failure_frame),
            ("apps", apps, kit.read_app_errors, FAILURE_DTYPES, failure_frame)):
        frames[name] = (_read(source, lambda r=reader, s=source: r(s, on_bad_lines="skip"))
                        if source else empty([], dtypes))
    for name in ("hosts", "sockets"):  # one spelling per host: the inventory's
        frames[name]["host"] = canonical_names(frames[name]["host"], inventory["host"])
    files = _plain_files(firewall) if cache and settings.engine == "pandas" else None
    part_keys, reduced = None, None
    if settings.engine == "dask":  # which short sessions the failures and remedies read
        from .compute import read_reduced

        connections, reduced = _read(firewall, lambda: read_reduced(
            firewall, settings, inventory, frames["jobs"],
            pd.concat([frames["hosts"]["host"], frames["sockets"]["host"]])))
        for table in (reduced.idle_teardowns, reduced.denies, reduced.sessions):
            names_in_case(table, path)
    elif files:
        parse_settings = {"tz": settings.tz, "relay_tz": settings.relay_tz, "year": settings.year}
        connections, part_keys = _read(
            firewall, lambda: read_cached(files, path, parse_settings, parse))
    else:
        connections = _read(firewall, lambda: parse(firewall))
    report: LoadReport = connections.attrs["load_report"]
    for name, source in (("hosts", hosts), ("sockets", sockets), ("jobs", jobs), ("apps", apps)):
        if source:
            report = report + frames[name].attrs["load_report"]
    frames["connections"] = connections
    for table in frames.values():
        names_in_case(table, path)
    report = _report_in_case(report, path)
    case = Case(path, settings, connections, frames["hosts"], frames["sockets"], inventory,
                report, frames["jobs"], frames["apps"], reduced=reduced)
    if part_keys is not None:
        case.sessions_cache = SessionsCache(path, part_keys, inventory, settings.services,
                                            settings.idle_timeout)
    return case


def _plain_files(source: Any) -> list[Path] | None:
    """The files a folder source holds (what the reader would read), or None when ``source`` is
    not a folder of plain files (uploads, buffers, a ``kit parse`` dataset): then it is read
    without the cache."""
    if not isinstance(source, (str, Path)) or not Path(source).is_dir():
        return None
    from ..scale.dataset import find_dataset

    try:
        if find_dataset(source) is not None:  # a `kit parse` dataset is read as it is
            return None
        return [Path(item.name) for item in iter_sources(source)]
    except KitError:
        return None


def _in_case(name: str, root: str) -> str:
    """A file's name as seen from the case folder (``firewall/fw.log``): a case can move, be
    copied or be reported on without its local path travelling with it."""
    return name[len(root):] if root and name.startswith(root) else name


def names_in_case(table: pd.DataFrame, root: Path) -> None:
    """Rewrite a frame's ``source`` column (where it has one) relative to the case folder."""
    if "source" not in table.columns or table.empty:
        return
    prefix = f"{root}/" if str(root) not in ("", ".") else ""
    column = table["source"]
    if isinstance(column.dtype, pd.CategoricalDtype):
        table["source"] = column.cat.rename_categories(
            lambda name: _in_case(str(name), prefix))
    else:
        names = {name: _in_case(str(name), prefix) for name in pd.unique(column.dropna())}
        table["source"] = column.map(names).astype(column.dtype)


def _report_in_case(report: LoadReport, root: Path) -> LoadReport:
    """The load report with every file name relative to the case folder."""
    prefix = f"{root}/" if str(root) not in ("", ".") else ""
    if not prefix:
        return report
    files = []
    for file in report.files:
        files.append(dataclasses.replace(
            file, source=_in_case(file.source, prefix),
            rejects=[dataclasses.replace(r, source=_in_case(r.source, prefix))
                     for r in file.rejects],
            problems=[problem.replace(prefix, "") for problem in file.problems]))
    return dataclasses.replace(report, files=files)


def _has_files(folder: Path) -> bool:
    """Whether the readers would find any input there (same rules: hidden files skipped)."""
    return folder.is_dir() and next(iter_sources(folder), None) is not None


def _read(source: Any, reader: Callable[[], Any]) -> Any:
    """Run a reader; its KitError becomes a CaseError that says which input it came from."""
    try:
        return reader()
    except CaseError:
        raise
    except KitError as exc:
        raise CaseError(f"{_name(source)}: {exc}") from exc


def _name(source: Any) -> str:
    return str(source) if isinstance(source, (str, Path)) else "uploaded files"
