"""A sheet the site filled by hand: ``host,os,keepalive_time,keepalive_interval,keepalive_probes``.

Units go in the values (``2h``, ``300s``, ``900000ms``, ``15min``, ``1h30m``) or in the header
(``keepalive_time_s``, ``keepalive_time (ms)``). A bare number with neither is read in the OS's
own unit and the row says so, since that is exactly where units get mixed up. Delimiters ``,``
``;`` and tabs are accepted; ``#`` lines are comments. Each data row is one host.
"""

from __future__ import annotations

import csv
import re
from fractions import Fraction

import pandas as pd

from ..errors import ParseError
from .defaults import MAX_RAW, OS_NAMES, keepalive_of
from .model import FileParse, Found
from .naming import short_name

OSES = OS_NAMES

_UNITS_NS: dict[str, int] = {
    **dict.fromkeys(("ms", "msec", "msecs", "millisecond", "milliseconds"), 10**6),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), 10**9),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 60 * 10**9),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 3600 * 10**9),
    **dict.fromkeys(("d", "day", "days"), 86400 * 10**9),
}
_COLUMNS: dict[str, str] = {
    **dict.fromkeys(("host", "hostname", "host_name", "server", "computer", "computername"),
                    "host"),
    **dict.fromkeys(("os", "platform", "operating_system", "system"), "os"),
    **dict.fromkeys(("keepalive_time", "time", "tcp_keepalive_time", "keepalivetime",
                     "keepidle", "keepalive_idle", "idle"), "time"),
    **dict.fromkeys(("keepalive_interval", "keepalive_intvl", "interval", "intvl",
                     "keepintvl", "keepaliveinterval"), "interval"),
    **dict.fromkeys(("keepalive_probes", "probes", "keepcnt", "count", "keepalive_count"),
                    "probes"),
}
_BRACKETED_UNIT = re.compile(r"[(\[](?P<unit>[a-z]+)[)\]]")
_SUFFIX_UNIT = re.compile(r"_(?P<unit>[a-z]+)$")
#: a blank run is entered only at its start: ``\s*`` at every position of a long run is quadratic
_TERM = re.compile(r"(?:(?<!\s)\s+)?(\d{1,12}(?:\.\d{1,9})?)\s*([a-z]*)")
_OS_WORDS: tuple[tuple[str, str], ...] = (
    ("hp-ux", "hpux"), ("hpux", "hpux"), ("hp ux", "hpux"), ("solaris", "solaris"),
    ("sunos", "solaris"), ("aix", "aix"), ("freebsd", "freebsd"), ("darwin", "macos"),
    ("mac", "macos"), ("os x", "macos"), ("osx", "macos"), ("win", "windows"),
    *((word, "linux") for word in ("linux", "rhel", "red hat", "ubuntu", "debian", "centos",
                                   "suse", "sles", "rocky", "alma", "fedora")),
)


def parse(file: FileParse, os: str | None) -> list[Found]:
    """One Found per data row of a keepalive sheet; [] when ``file`` is not such a sheet."""
    rows = [(n, line) for n, line in enumerate(file.lines, start=1)
            if line.strip() and not line.lstrip().startswith("#")]
    if not rows:
        return []
    header = rows[0][1]
    delimiter = max(",;\t", key=header.count)
    if header.count(delimiter) == 0:
        return []
    columns = [_column(name) for name in _fields(header, delimiter)]
    roles = [role for role, _ in columns]
    if "host" not in roles or not {"time", "interval", "probes"} & set(roles):
        return []
    if len(rows) == 1:
        raise ParseError("a keepalive sheet with a header but no host rows", source=file.source)
    found: list[Found] = []
    for number, line in rows[1:]:
        row = _row(file, number, _fields(line, delimiter), columns, os)
        if row is not None:
            found.append(row)
    return found  # empty when every row was rejected: the load report says why


def _fields(line: str, delimiter: str) -> list[str]:
    try:
        cells = next(csv.reader([line], delimiter=delimiter))
    except csv.Error:  # a stray NUL or an over-long field: split it plainly, values get checked
        cells = line.split(delimiter)
    return [cell.strip() for cell in cells]


def _split_unit(header: str) -> tuple[str, str | None]:
    """``"keepalive time (s)"`` -> ("keepalive time", "s"); ``"idle_ms"`` -> ("idle", "ms").

    String scanning, not one regex: a lazy ``^(.*?)[\\s_]*(unit)?$`` rescans blank runs.
    """
    unit, end = None, len(header)
    opening = max(header.rfind("("), header.rfind("["))
    if header.endswith((")", "]")) and opening >= 0 and _BRACKETED_UNIT.fullmatch(
            header[opening:]):
        unit, end = header[opening + 1:-1], opening
    elif match := _SUFFIX_UNIT.search(header):
        unit, end = match["unit"], match.start()
    while end and (header[end - 1].isspace() or header[end - 1] == "_"):
        end -= 1
    return header[:end], unit


def _column(name: str) -> tuple[str | None, int | None]:
    """(role, unit in ns from the header) of one header cell."""
    base, unit = _split_unit(name.strip().lower())
    base = re.sub(r"[\s-]+", "_", base)
    if unit is not None and unit not in _UNITS_NS:  # "keepalive_time" itself ends in "_time"
        base, unit = re.sub(r"[\s-]+", "_", name.strip().lower()), None
    return _COLUMNS.get(base), (_UNITS_NS[unit] if unit else None)


def _row(file: FileParse, number: int, fields: list[str],
         columns: list[tuple[str | None, int | None]], forced: str | None) -> Found | None:
    if len(fields) > len(columns) and any(fields[len(columns):]):
        file.reject(number, f"expected {len(columns)} fields as in the header, "
                            f"found {len(fields)}")
        return None
    cells = dict.fromkeys(("host", "os", "time", "interval", "probes"), "")
    units: dict[str, int | None] = {}
    for (role, unit), text in zip(columns, fields, strict=False):
        if role is not None:
            cells[role], units[role] = text, unit
    if not cells["host"]:
        file.reject(number, "the host column is empty")
        return None
    os = forced
    if cells["os"] and forced is None:
        os = _os_of(cells["os"])
        if os is None:
            file.reject(number, f"unknown os {cells['os']!r}: expected one of "
                                f"{', '.join(OS_NAMES)}")
            return None
    found = Found(file, os, candidates=() if os else OS_NAMES, host=short_name(cells["host"]))
    file.use(number)
    if os is None:
        return found  # the reader asks for os=
    table = keepalive_of(os)
    for role in ("time", "interval", "probes"):
        text = cells[role]
        if not text:
            continue
        if not table.names_for(role):
            found.warn(number, f"{table.label} has no {role} setting; the sheet's {text!r} is "
                               "ignored")
            continue
        name = table.name_of(role)
        if role == "probes":
            found.add(name, text, number)
            continue
        duration = _duration(text, units.get(role))
        if duration is None:
            if re.fullmatch(r"\d{1,12}", text):
                found.warn(number, f"{role} {text} has no unit (in the value or the header); "
                                   f"read as {table.unit.describe(int(text))}, {table.label}'s "
                                   "own unit")
                found.add(name, text, number)
            else:
                file.reject(number, f"{role}: expected a duration such as 2h, 300s or 900000ms, "
                                    f"found {text[:40]!r}")
                return None
            continue
        if duration > table.unit.to_timedelta(MAX_RAW):
            file.reject(number, f"{role}: {text} is too long for a keepalive setting")
            return None
        if duration.value % table.unit.nanoseconds:
            found.warn(number, f"{role} {text} is not a whole number of {table.unit.value}, "
                               f"which {table.label} cannot hold (taken as written)")
        found.add(name, str(table.unit.from_timedelta(duration)), number, duration=duration)
    return found


def _duration(text: str, header_unit: int | None) -> pd.Timedelta | None:
    """``2h``, ``1h30m``, ``900000ms``, or a bare number in the header's unit; else None."""
    lowered = text.strip().lower()
    terms = _TERM.findall(lowered)
    if not terms or "".join(f"{n}{u}" for n, u in terms) != re.sub(r"\s+", "", lowered):
        return None
    total = Fraction(0)
    for amount, unit in terms:
        scale = _UNITS_NS.get(unit) if unit else header_unit
        if scale is None or (not unit and len(terms) > 1):
            return None
        total += Fraction(amount) * scale
    return pd.Timedelta(round(total), unit="ns")


def _os_of(text: str) -> str | None:
    lowered = text.strip().lower()
    if lowered in OS_NAMES:
        return lowered
    return next((os for word, os in _OS_WORDS if word in lowered), None)
