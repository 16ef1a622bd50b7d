"""macOS and FreeBSD: ``sysctl net.inet.tcp`` output and ``sysctl.conf`` lines (MILLIseconds).

``net.inet.tcp.keepidle: 7200000`` (colon form), ``net.inet.tcp.keepidle=7200000`` (sysctl.conf),
``net.inet.tcp.keepidle: 7200000 -> 600000`` (what ``sysctl name=value`` answers: the new value
applies), and a bare ``sysctl -n`` answer. A ``keepidle`` under 10 s is almost always seconds
typed into this millisecond setting (``keepidle=3600`` is 3.6 s): warned about, taken as written.

Both OSes share names, units and defaults; the ``os`` label comes from ``uname``/``sw_vers``
output, ``kern.ostype`` or the file name, else macOS is assumed and the row says so.
"""

from __future__ import annotations

import re

from .defaults import Unit
from .model import FileParse, Found
from .naming import os_hints
from .text import answers, command_of

OSES = ("macos", "freebsd")

#: matched against the stripped line; the value is stripped after (linear on blank runs)
_SETTING = re.compile(
    r"net\.inet\.tcp\.(?P<name>keepidle|keepintvl|keepcnt)\s*[:=]\s*"
    r"(?:(?P<old>[^\s-]\S*)\s*->)?(?P<value>[^#]*)(?:#.*)?"
)
_OTHER_TCP = re.compile(r"(?m)^\s*net\.inet\.tcp\.\w+\s*[:=]")
_ASKED = re.compile(r"net\.inet\.tcp\.(keepidle|keepintvl|keepcnt)\b(?!\s*=)")
#: below these, a millisecond setting was almost certainly typed in seconds
_SECONDS_TRAP_MS = {"keepidle": 10_000, "keepintvl": 1_000}


def parse(file: FileParse, os: str | None) -> list[Found]:
    """The BSD keepalive sysctls in ``file`` (one host)."""
    found = Found(file, None, candidates=OSES)
    for number, line in enumerate(file.lines, start=1):
        if command_of(line) is not None:
            continue
        if match := _SETTING.fullmatch(line.strip()):
            found.add(match["name"], match["value"].strip(), number)
    for answer in answers(file.lines, _asked):
        found.add(answer.name, answer.text, answer.line)
    if not found.settings and _OTHER_TCP.search("\n".join(file.lines)) is None:
        return []
    found.settings.sort(key=lambda s: s.line)
    _seconds_trap(found)
    hints = os_hints(file.lines, file.source) & set(OSES)
    if len(hints) == 1:
        found.os = hints.pop()
    elif os not in OSES:
        found.os = "macos"
        found.warn(None, "macOS or FreeBSD? the export does not say (no uname, sw_vers or "
                         "kern.ostype line); macOS is assumed: same units and defaults, but pass "
                         "os='freebsd' if it is FreeBSD")
    return [found]


def _seconds_trap(found: Found) -> None:
    for raw in found.settings:
        limit = _SECONDS_TRAP_MS.get(raw.name)
        if limit is None or not raw.text.isascii() or not raw.text.isdigit():
            continue
        value = int(raw.text[:12])
        if 0 < value < limit:
            ms = Unit.MILLISECONDS
            found.warn(raw.line, f"net.inet.tcp.{raw.name} = {value} is {ms.describe(value)}: "
                                 f"milliseconds, not seconds. If {value} s was meant, write "
                                 f"net.inet.tcp.{raw.name}={value * 1000}")


def _asked(command: str) -> list[str]:
    if not command.startswith("sysctl") or not re.search(r"\s-\w*n", command):
        return []
    return _ASKED.findall(command)
