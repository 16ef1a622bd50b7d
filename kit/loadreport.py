"""The load report: what every loader read, kept, ignored and rejected, file by file.

Invariant (tested everywhere): ``read == parsed + ignored + rejected``, per file and in total.
Nothing is dropped silently: each line lands in exactly one of the three counts.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from .errors import ParseError

OnBadLines = Literal["error", "warn", "skip"]
ON_BAD_LINES = ("error", "warn", "skip")

#: how many rejects (and problems) a report keeps verbatim; the counts stay exact beyond that.
KEEP_REJECTS = 20


@dataclass(frozen=True)
class Reject:
    """One line that could not be read: where, and why."""

    source: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


@dataclass
class FileReport:
    """Counts for one source file. ``problems`` are whole-file issues (corrupt gzip, wrong kind)."""

    source: str
    kind: str = "firewall"
    read: int = 0
    parsed: int = 0
    ignored: int = 0
    rejected: int = 0
    decode_errors: int = 0
    ignored_by_key: Counter[str] = field(default_factory=Counter)
    rejects: list[Reject] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def reject(self, line: int, reason: str, count: int = 1) -> None:
        """Count ``count`` rejected lines; keep the first few with their reason."""
        self.rejected += count
        if len(self.rejects) < KEEP_REJECTS:
            self.rejects.append(Reject(self.source, line, reason))

    def ignore(self, key: str, count: int = 1) -> None:
        self.ignored += count
        self.ignored_by_key[key] += count


@dataclass
class LoadReport:
    """Every file's counts, plus the clock offsets measured between relay and device stamps."""

    files: list[FileReport] = field(default_factory=list)
    #: device -> median (relay stamp - device stamp), where both clocks were on the lines.
    clock_offsets: dict[str, pd.Timedelta] = field(default_factory=dict)

    @property
    def read(self) -> int:
        return sum(f.read for f in self.files)

    @property
    def parsed(self) -> int:
        return sum(f.parsed for f in self.files)

    @property
    def ignored(self) -> int:
        return sum(f.ignored for f in self.files)

    @property
    def rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    @property
    def decode_errors(self) -> int:
        return sum(f.decode_errors for f in self.files)

    @property
    def ignored_by_key(self) -> Counter[str]:
        return sum((f.ignored_by_key for f in self.files), Counter())

    @property
    def rejects(self) -> list[Reject]:
        return [r for f in self.files for r in f.rejects][:KEEP_REJECTS]

    @property
    def problems(self) -> list[str]:
        return [f"{f.source}: {p}" for f in self.files for p in f.problems]

    def __add__(self, other: LoadReport) -> LoadReport:
        return LoadReport(self.files + other.files, {**self.clock_offsets, **other.clock_offsets})

    def to_frame(self) -> pd.DataFrame:
        """One row per file with its counts: the table the notebooks show."""
        rows = [
            {"source": f.source, "kind": f.kind, "read": f.read, "parsed": f.parsed,
             "ignored": f.ignored, "rejected": f.rejected, "problems": "; ".join(f.problems)}
            for f in self.files
        ]
        columns = ["source", "kind", "read", "parsed", "ignored", "rejected", "problems"]
        return pd.DataFrame(rows, columns=columns)

    def enforce(self, on_bad_lines: OnBadLines) -> None:
        """Apply the caller's ``on_bad_lines`` policy: raise, warn once, or stay silent."""
        if on_bad_lines not in ON_BAD_LINES:
            raise ValueError(f"on_bad_lines must be one of {ON_BAD_LINES}, not {on_bad_lines!r}")
        if not (self.rejected or self.problems) or on_bad_lines == "skip":
            return
        if on_bad_lines == "error":
            if self.rejects:
                first = self.rejects[0]
                raise ParseError(first.reason, source=first.source, line=first.line)
            raise ParseError(self.problems[0])
        first = str(self.rejects[0]) if self.rejects else self.problems[0]
        warnings.warn(
            f"{self.rejected} line(s) rejected and {len(self.problems)} file problem(s) while "
            f"loading {len(self.files)} file(s); first: {first} "
            "(see df.attrs['load_report'] for all counts)",
            stacklevel=3,
        )

    def __str__(self) -> str:
        lines = [
            f"Load report: {len(self.files)} file(s), {self.read:,} lines read = "
            f"{self.parsed:,} parsed + {self.ignored:,} ignored + {self.rejected:,} rejected"
        ]
        for f in self.files:
            lines.append(
                f"  {f.source} [{f.kind}]: read {f.read:,}, parsed {f.parsed:,}, "
                f"ignored {f.ignored:,}, rejected {f.rejected:,}"
            )
        if self.decode_errors:
            lines.append(f"  {self.decode_errors:,} line(s) had invalid UTF-8 (replaced)")
        if self.ignored_by_key:
            top = ", ".join(f"{k} {n:,}" for k, n in self.ignored_by_key.most_common(10))
            lines.append(f"  ignored by message: {top}")
        for key, offset in sorted(self.clock_offsets.items()):
            device, what = offset_label(key)
            lines.append(f"  clock offset {what} [{device}]: {signed(offset)}")
        if self.problems:
            lines.append("  problems:")
            lines.extend(f"    {p}" for p in self.problems)
        if self.rejects:
            lines.append(f"  first rejects ({len(self.rejects)} of {self.rejected:,}):")
            lines.extend(f"    {r}" for r in self.rejects)
        return "\n".join(lines)

    def _repr_pretty_(self, printer, cycle: bool) -> None:  # IPython shows the text form
        printer.text(str(self))


def offset_label(key: str) -> tuple[str, str]:
    """A ``clock_offsets`` key as (device, what was measured): a plain device name is a relay
    header minus the device's stamp; a vendor may name its own pair of clocks after the device,
    ``fgt-dmz-01 (date/time minus eventtime)``."""
    device, paren, what = key.partition(" (")
    if paren and what.endswith(")"):
        return device, what[:-1]
    return key, "relay - device"


def signed(offset: pd.Timedelta) -> str:
    """``+1:00:00`` / ``-0:05:00``: an offset with its sign."""
    sign = "-" if offset < pd.Timedelta(0) else "+"
    total = abs(offset)
    hours, rest = divmod(int(total.total_seconds()), 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{seconds:02d}"


@contextmanager
def whole_file_problems(file: FileReport, errors: list[ParseError]) -> Iterator[None]:
    """A file that is not what the reader reads becomes a problem of its report (its lines
    counted as ignored) and joins ``errors``, so one stray file in a folder does not hide the
    others."""
    try:
        yield
    except ParseError as exc:
        errors.append(exc)
        file.problems.append(str(exc))
        uncounted = file.read - file.parsed - file.ignored - file.rejected
        if uncounted:
            file.ignore("unreadable file", uncounted)
