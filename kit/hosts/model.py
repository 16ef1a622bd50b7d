"""What a format parser hands back: the settings it found, line by line, before units are applied.

Parsers only recognise names and numbers; ``settle`` turns them into durations with the OS table,
so the unit rules live in ``defaults`` and the traps in the parsers that know their format.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..loadreport import FileReport
from .defaults import MAX_RAW, OsKeepalive


@dataclass(frozen=True)
class RawSetting:
    """A setting as written: its OS name, the text of its value and where it stood.

    ``base`` is 16 for registry DWORDs. ``absent`` marks evidence that the setting is NOT set
    (``reg query`` "unable to find", a ``.reg`` deletion), which makes the default apply.
    ``duration`` carries a value whose unit was written next to it (a hand-filled CSV).
    """

    name: str
    text: str
    line: int
    base: int = 10
    absent: bool = False
    duration: pd.Timedelta | None = None


@dataclass(frozen=True)
class Setting:
    """A settled value: a duration (or a probe count) with its provenance."""

    name: str
    value: pd.Timedelta | int
    raw: int
    source: str
    line: int


@dataclass
class FileParse:
    """One file's lines and their fate: used (parsed), rejected (with a reason) or ignored."""

    source: str
    lines: list[str]
    _used: set[int] = field(default_factory=set)
    _rejected: dict[int, str] = field(default_factory=dict)

    def where(self, line: int | None) -> str:
        return self.source if line is None else f"{self.source}:{line}"

    def use(self, line: int) -> None:
        """Count a line as a setting line used for the result."""
        self._rejected.pop(line, None)
        self._used.add(line)

    def reject(self, line: int, reason: str) -> None:
        """A malformed setting line: counted, reported with its reason, never used."""
        self._used.discard(line)
        self._rejected[line] = reason

    @property
    def evidence(self) -> int:
        """How many lines looked like keepalive settings of this format (used or rejected)."""
        return len(self._used) + len(self._rejected)

    def report(self) -> FileReport:
        """The load report of this file: read = parsed + ignored + rejected."""
        report = FileReport(self.source, kind="hosts", read=len(self.lines))
        report.parsed = len(self._used)
        for line, reason in sorted(self._rejected.items()):
            report.reject(line, reason)
        other = report.read - report.parsed - report.rejected
        if other:
            report.ignore("other line", other)
        return report


@dataclass
class Found:
    """One host's export as found in a file (a CSV holds several).

    ``os`` is None when the format does not say which of ``candidates`` wrote it.
    """

    file: FileParse
    os: str | None
    candidates: tuple[str, ...] = ()
    host: str | None = None
    settings: list[RawSetting] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, name: str, text: str, line: int, *, base: int = 10,
            duration: pd.Timedelta | None = None) -> None:
        """Record a setting line (validated later, when the OS is known)."""
        self.settings.append(RawSetting(name, text.strip(), line, base, duration=duration))
        self.file.use(line)

    def add_absent(self, name: str, line: int) -> None:
        """Record that the export says ``name`` is not set (the OS default applies)."""
        self.settings.append(RawSetting(name, "", line, absent=True))
        self.file.use(line)

    def warn(self, line: int | None, message: str) -> None:
        self.warnings.append(f"{self.file.where(line)}: {message}")


def settle(found: Found, table: OsKeepalive) -> dict[str, Setting | None]:
    """Validate and convert the raw settings with the OS's units.

    A name set twice to different values keeps the worst (larger) one, with a warning naming both.

    Returns name -> Setting, or name -> None where the export says the setting is absent.
    Non-numbers, negatives and numbers too wide for any OS are rejected lines; values outside the
    OS's documented range are kept as written and warned about (the OS may clamp or refuse them).
    """
    settled: dict[str, Setting | None] = {}
    for raw in found.settings:
        spec = table.spec(raw.name)
        if spec is None:
            continue
        previous = settled.get(raw.name)
        if raw.absent:
            if previous is not None:
                found.warn(raw.line, f"{raw.name} is reported as not set after line "
                                     f"{previous.line} set it; the {table.label} default applies")
            settled[raw.name] = None
            continue
        number = _number(raw, table, found.file)
        if number is None:
            continue
        value: pd.Timedelta | int = number
        if raw.duration is not None:
            value = raw.duration
        elif spec.duration:
            value = table.unit.to_timedelta(number)
        if not spec.low <= number <= spec.high:
            unit = f" {table.unit.value}" if spec.duration else ""
            found.warn(raw.line, f"{raw.name} = {raw.text} is outside {table.label}'s valid "
                                 f"range {spec.low:,}..{spec.high:,}{unit}; the OS may refuse "
                                 "or clamp it (taken as written)")
        setting = Setting(raw.name, value, number, found.file.source, raw.line)
        if previous is not None and previous.value != value:
            setting = worst(previous, setting)
            found.warn(raw.line, f"{raw.name} is set twice (line {previous.line}: {previous.raw}, "
                                 f"line {raw.line}: {number}); which one is in force is "
                                 f"uncertain, so the worst, {setting.raw}, is used")
        settled[raw.name] = setting
    return settled


def worst(a: Setting, b: Setting) -> Setting:
    """Of two values of one setting, the one that detects a dead peer later (the larger): risk
    is judged on it when an export contradicts itself."""
    return b if b.value > a.value else a  # type: ignore[operator]


def _number(raw: RawSetting, table: OsKeepalive, file: FileParse) -> int | None:
    if raw.duration is not None:
        return table.unit.from_timedelta(raw.duration)
    spec = table.settings[raw.name]
    what = (f"a whole number of {table.unit.value}" if spec.duration
            else "a whole number of probes")
    digits = "0123456789abcdefABCDEF" if raw.base == 16 else "0123456789"
    text = raw.text
    if not text or len(text) > 20 or any(c not in digits for c in text):
        shown = text if len(text) <= 40 else text[:40] + "..."
        file.reject(raw.line, f"{raw.name}: expected {what}"
                              f"{' in hex' if raw.base == 16 else ''}, found {shown!r}")
        return None
    number = int(text, raw.base)
    if number > MAX_RAW:
        file.reject(raw.line, f"{raw.name}: {text} is too large for a keepalive setting "
                              f"(at most {MAX_RAW:,})")
        return None
    return number
