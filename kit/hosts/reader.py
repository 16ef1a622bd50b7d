"""``read_keepalive``: every host's keepalive export, whatever the OS, into one row per host."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pandas as pd

from ..errors import ParseError
from ..loadreport import FileReport, LoadReport, OnBadLines
from ..sources import iter_sources
from ..units import host_key, same_host
from . import aix, bsd, csvsheet, linux, ndd, windows
from .defaults import OS_NAMES, ROLE_COLUMNS, SOLARIS_OR_HPUX, OsKeepalive, keepalive_of
from .model import FileParse, Found, Setting, settle, worst
from .naming import host_from_content, host_from_filename
from .schema import KEEPALIVE_DTYPES, frame
from .text import first_lines, split_lines

#: the parsers, in the order that breaks ties (a file that two formats read equally well)
FORMATS: tuple[ModuleType, ...] = (linux, windows, aix, ndd, bsd, csvsheet)

#: a keepalive export is a page of text; anything bigger is the wrong file
MAX_BYTES = 8 * 1024 * 1024


def read_keepalive(source: Any, *, host: str | None = None, os: str = "auto",
                   os_hints: Mapping[str, str] | None = None,
                   on_bad_lines: OnBadLines = "warn") -> pd.DataFrame:
    """Read hosts' TCP keepalive settings exports into one row per host.

    Parameters
    ----------
    source
        A path, directory (recursive), glob, list, bytes, file-like or FileUpload value: one or
        more exports per host, in any supported format (Linux sysctl, Windows reg query/.reg/
        PowerShell, AIX no, Solaris/HP-UX ndd and ipadm, macOS/FreeBSD sysctl, a CSV sheet).
    host
        The host name for exports whose content does not name one (it overrides the file name).
    os
        ``"auto"`` (detect from the content) or one of ``linux, windows, aix, solaris, hpux,
        macos, freebsd`` to force it, for exports that do not say (e.g. an ndd transcript).
    os_hints
        Host name -> OS (the inventory's ``os``), settling exports that several OSes write alike
        (hosts matched by ``kit.units.host_key``). An ndd transcript no hint settles keeps its
        keepalive time with os ``solaris-or-hpux`` and an unknown abort interval, with a warning.
    on_bad_lines
        ``"error"``, ``"warn"`` (default: one summary warning) or ``"skip"`` for malformed
        setting lines and unreadable files; they are always counted in the load report.

    Returns
    -------
    pandas.DataFrame
        Columns host, os, keepalive_time, keepalive_interval, keepalive_probes, time_to_detect,
        defaulted, warnings, source, line (see ``kit.hosts.schema``). Values an export leaves out
        take the OS default and are named in ``defaulted``; ``attrs["load_report"]`` holds
        the per-file counts.

    Raises
    ------
    ParseError
        When no file could be read as a keepalive export (the message shows the first lines
        and asks for ``os=``), or one host has exports of two different OSes.
    """
    if os != "auto":
        keepalive_of(os)
    hints = {host_key(name): value for name, value in (os_hints or {}).items()
             if value in OS_NAMES}
    report = LoadReport()
    hosts: dict[str, _Host] = {}
    failures: list[ParseError] = []
    for src in iter_sources(source):
        lines: list[str] = []
        try:
            lines = split_lines(src.read_text(limit=MAX_BYTES,
                                              what="a keepalive settings export"))
            file, found = _parse_file(src.name, lines, os)
            for entry in _entries(file, found, host, hints):
                _merge(hosts, entry)
        except ParseError as exc:  # SourceError included
            failures.append(exc)
            report.files.append(_failed_report(src.name, len(lines), exc))
            continue
        report.files.append(file.report())
    if failures and not hosts:
        raise failures[0]
    result = frame([h.row() for h in hosts.values()], KEEPALIVE_DTYPES)
    result.attrs["load_report"] = report
    report.enforce(on_bad_lines)
    return result


@dataclass
class _Host:
    """One host's settings, merged over its files."""

    host: str
    table: OsKeepalive
    settled: dict[str, Setting | None]
    sources: list[str]
    warnings: list[str] = field(default_factory=list)

    def row(self) -> dict[str, object]:
        values: dict[str, pd.Timedelta | int | None] = {}
        defaulted: list[str] = []
        time: Setting | None = None
        for role, column in ROLE_COLUMNS.items():
            names = self.table.names_for(role)
            chosen = next((self.settled[n] for n in names if self.settled.get(n)), None)
            if chosen is not None:
                values[role] = chosen.value
                time = chosen if role == "time" else time
            elif self.table.defaults[role] is not None:
                values[role] = self.table.defaults[role]
                defaulted.append(column)
        sources = self.sources
        if time is not None:  # the file that gave keepalive_time comes first
            sources = [time.source, *(s for s in sources if s != time.source)]
        return {
            "host": self.host,
            "os": self.table.os,
            "keepalive_time": values.get("time"),
            "keepalive_interval": values.get("interval"),
            "keepalive_probes": values.get("probes"),
            "time_to_detect": self.table.time_to_detect(values),
            "defaulted": ",".join(defaulted),
            "warnings": "; ".join(self.warnings),
            "source": ", ".join(sources),
            "line": None if time is None else time.line,
        }


def _parse_file(name: str, lines: list[str], os: str) -> tuple[FileParse, list[Found]]:
    """Run every parser that could apply and keep the one that found the most setting lines."""
    best: tuple[int, int, FileParse, list[Found]] | None = None
    forced = None if os == "auto" else os
    for rank, fmt in enumerate(FORMATS):
        if forced is not None and forced not in fmt.OSES:
            continue
        file = FileParse(name, lines)
        found = fmt.parse(file, forced)
        recognised = bool(found) or file.evidence > 0
        if recognised and (best is None or (file.evidence, -rank) > best[:2]):
            best = (file.evidence, -rank, file, found)
    if best is None:
        if forced is None:
            raise ParseError(
                "cannot tell which OS's TCP keepalive export this is; pass os= (one of "
                f"{', '.join(OS_NAMES)}). First lines: {first_lines(lines)}", source=name)
        file = FileParse(name, lines)
        return file, [Found(file, forced)]
    file, found = best[2], best[3]
    for item in found:
        if forced is not None:
            item.os = forced
    return file, found


def _settle_os(item: Found, name: str, hints: Mapping[str | None, str]) -> None:
    """The OS of an export its format leaves open: the inventory's, else Solaris-or-HP-UX for an
    ndd transcript (same keepalive time), else an error asking for ``os=``."""
    hinted = hints.get(host_key(name))
    if hinted in item.candidates:
        item.os = hinted
    elif set(item.candidates) == set(ndd.OSES):
        item.os = SOLARIS_OR_HPUX
        item.warn(None, "nothing in the export or the inventory says Solaris or HP-UX: the "
                        "keepalive time (ms on both) is kept, the abort interval, which differs, "
                        "is unknown; state the os in inventory.csv")
    else:
        labels = " or ".join(keepalive_of(o).label for o in item.candidates)
        choices = ", ".join(f"os={o!r}" for o in item.candidates)
        raise ParseError(
            f"this export could come from {labels} and does not say which; pass {choices} "
            f"(or keep the uname -a output in the file). First lines: "
            f"{first_lines(item.file.lines)}", source=item.file.source)


def _entries(file: FileParse, found: list[Found], host: str | None,
             hints: Mapping[str | None, str]) -> list[_Host]:
    """Give each Found a host name, settle its OS if the format left it open, and convert its
    settings with that OS's units."""
    named = bool(found) and found[0].host is not None  # a sheet names its hosts row by row
    content_host, other_hosts = (None, []) if named else host_from_content(file.lines)
    entries = []
    for item in found:
        name = item.host or content_host
        if name is None:
            name = host or host_from_filename(file.source)
        elif host and not item.host and not same_host(name, host):
            item.warn(None, f"host={host!r} ignored: the export names {name!r}")
        if not name:
            raise ParseError("cannot tell which host this export belongs to; pass host=",
                             source=file.source)
        if item.os is None:
            _settle_os(item, name, hints)
        assert item.os is not None  # settled or raised
        table = keepalive_of(item.os)
        settled = settle(item, table)
        if other_hosts:
            item.warn(None, f"the export also names {', '.join(other_hosts)}; {name} is used")
        if not item.settings and table.os != "windows":  # Windows lists only values it has
            item.warn(None, f"no {table.label} keepalive setting found in the file; the OS "
                            "defaults are assumed")
        entries.append(_Host(name, table, settled, [file.source], list(item.warnings)))
    return entries


def _merge(hosts: dict[str, _Host], entry: _Host) -> None:
    """Fold ``entry`` into the host of the same name; a conflicting value keeps the worst."""
    key = host_key(entry.host) or entry.host
    known = hosts.get(key)
    if known is None:
        hosts[key] = entry
        return
    if known.table.os != entry.table.os:
        raise ParseError(
            f"host {known.host!r} has exports of two OSes: {known.table.label} "
            f"({', '.join(known.sources)}) and {entry.table.label} ({entry.sources[0]}): "
            "rename one file or name the host inside it",
            source=entry.sources[0])
    for name, setting in entry.settled.items():
        if name not in known.settled:
            known.settled[name] = setting
        elif _differs(known.settled[name], setting):
            first, second = known.settled[name], setting
            used = "the first is used"
            if first is not None and second is not None:
                known.settled[name] = chosen = worst(first, second)
                used = (f"which one is in force is uncertain, so the worst, "
                        f"{_describe(chosen, chosen.source, known.table).split(' in ')[0]}, "
                        "is used")
            known.warnings.append(
                f"{name} conflicts: {_describe(first, known.sources[0], known.table)} vs "
                f"{_describe(second, entry.sources[0], known.table)}; {used}")
    known.sources.extend(s for s in entry.sources if s not in known.sources)
    known.warnings.extend(entry.warnings)


def _differs(a: Setting | None, b: Setting | None) -> bool:
    if a is None or b is None:
        return (a is None) != (b is None)
    return a.value != b.value


def _describe(setting: Setting | None, source: str, table: OsKeepalive) -> str:
    if setting is None:
        return f"not set in {source}"
    shown = (table.unit.describe(setting.raw) if isinstance(setting.value, pd.Timedelta)
             else str(setting.value))
    return f"{shown} in {setting.source}:{setting.line}"


def _failed_report(name: str, lines: int, exc: ParseError) -> FileReport:
    """A file that gave no host: its lines count as ignored and the reason as a problem."""
    report = FileReport(name, kind="hosts", read=lines)
    if lines:
        report.ignore("unreadable file", lines)
    reason = str(exc)
    prefix = f"{name}: "
    report.problems.append(reason[len(prefix):] if reason.startswith(prefix) else reason)
    return report

