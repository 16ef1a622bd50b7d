"""AIX: ``no -a`` / ``no -o`` output and ``no -L`` tables (durations in HALF-seconds).

``no -a`` right-aligns the names: ``             tcp_keepidle = 14400`` (14400 half-seconds =
2 h). ``no -L`` prints a table whose CUR column holds the value in force. ``no -p -o`` answers
``Setting tcp_keepidle to 1800``.
"""

from __future__ import annotations

import re

from .model import FileParse, Found
from .text import command_of

OSES = ("aix",)

_NAME = r"tcp_keep(?:idle|intvl|cnt)"
#: the lazy ``(.*?)\s*$`` tails of these patterns rescan blank runs (quadratic): they match
#: ``line.rstrip()`` in full instead, the value running to the end
_SETTING = re.compile(rf"\s*(?P<name>{_NAME})\s*=\s*(?P<value>.*)")
_SET_ANSWER = re.compile(
    rf"^\s*Setting (?P<name>{_NAME}) to (?P<value>\S+)(?: in nextboot file)?\s*$"
)
_L_HEADER = re.compile(r"^\s*NAME\s+CUR\s+DEF\b")
_L_ROW = re.compile(rf"^\s*(?P<name>{_NAME})\s+(?P<value>\S+)\s+\S+")


def parse(file: FileParse, os: str | None) -> list[Found]:
    """The AIX ``no`` tunables in ``file`` (one host)."""
    found = Found(file, "aix")
    table = False
    for number, line in enumerate(file.lines, start=1):
        if command_of(line) is not None:
            continue
        if _L_HEADER.match(line):
            table = True
            continue
        match = _SETTING.fullmatch(line.rstrip()) or _SET_ANSWER.match(line)
        if match is None and table:
            match = _L_ROW.match(line)
        if match:
            found.add(match["name"], match["value"], number)
    return [found] if found.settings else []
