"""Solaris and HP-UX: ``ndd -get /dev/tcp`` transcripts and Solaris 11 ``ipadm`` (ms).

``ndd -get /dev/tcp tcp_keepalive_interval`` prints a bare number, so a transcript must keep the
command above each answer. Solaris 11 ``ipadm show-prop -p _keepalive_interval tcp`` prints a
table (``PROTO PROPERTY PERM CURRENT PERSISTENT DEFAULT POSSIBLE``; the CURRENT column is used,
located by the header when there is one) or, with ``-c -o current``, a bare value.

Both OSes spell the keepalive time the same way, yet decide a peer is dead differently (Solaris
after ``tcp_keepalive_abort_interval``, default 8 min; HP-UX after ``tcp_ip_abort_interval``,
default 10 min). The OS comes from ipadm, an OS-specific setting name, ``uname`` output or the
file name; when none says, the reader asks for ``os=``.
"""

from __future__ import annotations

import re

from .model import FileParse, Found
from .naming import os_hints
from .text import answers, command_of

OSES = ("solaris", "hpux")

_NDD_NAMES = (
    "tcp_keepalive_interval", "tcp_keepalive_abort_interval", "tcp_ip_abort_interval",
    "tcp_ip_notify_interval",
)
_IPADM_NAMES = {
    "_keepalive_interval": "tcp_keepalive_interval",
    "_keepalive_abort_interval": "tcp_keepalive_abort_interval",
    "_ip_abort_interval": "tcp_ip_abort_interval",
}
_NDD_NAME = "|".join(_NDD_NAMES)
_IPADM_NAME = "|".join(_IPADM_NAMES)
#: the lazy ``(.*?)\s*$`` tails of these patterns rescan blank runs (quadratic): they match
#: ``line.rstrip()`` in full instead, the value running to the end
_NAMED = re.compile(rf"\s*(?P<name>{_NDD_NAME})\s*[=:]\s*(?P<value>.*)")
_IPADM_HEADER = re.compile(r"^\s*PROTO\s+PROPERTY\s+.*\bCURRENT\b")
_IPADM_ROW = re.compile(rf"\s*tcp\s+(?P<name>{_IPADM_NAME})\s+(?P<rest>.*)")
_IPADM_PARSABLE = re.compile(rf"^\s*(?P<name>{_IPADM_NAME}):(?P<value>[^:\s]*)\s*$")
#: the documented column order when the header was not pasted
_DEFAULT_CURRENT = 3


def parse(file: FileParse, os: str | None) -> list[Found]:
    """The ndd/ipadm keepalive settings in ``file`` (one host of a yet-unknown OS)."""
    found = Found(file, None, candidates=OSES)
    current = _DEFAULT_CURRENT
    ipadm = False
    for number, line in enumerate(file.lines, start=1):
        if command_of(line) is not None:
            continue
        if _IPADM_HEADER.match(line):
            current = line.split().index("CURRENT")
            continue
        if match := _IPADM_ROW.fullmatch(line.rstrip()):
            ipadm = True
            fields = ["tcp", match["name"], *match["rest"].split()]
            value = fields[current] if current < len(fields) else ""
            if value == "--":  # not set: the default applies
                found.add_absent(_IPADM_NAMES[match["name"]], number)
            else:
                found.add(_IPADM_NAMES[match["name"]], value, number)
        elif match := _IPADM_PARSABLE.match(line):
            ipadm = True
            found.add(_IPADM_NAMES[match["name"]], match["value"], number)
        elif match := _NAMED.fullmatch(line.rstrip()):
            found.add(match["name"], match["value"], number)
    for answer in answers(file.lines, _asked):
        ipadm = ipadm or answer.name.startswith("_")
        found.add(_IPADM_NAMES.get(answer.name, answer.name), answer.text, answer.line)
    if not found.settings:
        return []
    found.settings.sort(key=lambda s: s.line)
    hints = os_hints(file.lines, file.source) & set(OSES)
    if ipadm:
        hints.add("solaris")
    if len(hints) == 1:
        found.os = hints.pop()
    return [found]


def _asked(command: str) -> list[str]:
    if command.startswith("ndd") and "-set" not in command:
        return re.findall(rf"\b({_NDD_NAME})\b", command)[:1]
    if command.startswith("ipadm") and "show-prop" in command:
        return re.findall(rf"\b({_IPADM_NAME})\b", command)[:1]
    return []
