"""Linux: ``sysctl`` output, ``/proc/sys`` reads and ``sysctl.conf`` fragments (seconds).

Accepted lines: ``net.ipv4.tcp_keepalive_time = 7200`` (``sysctl``, ``sysctl -a``),
``net.ipv4.tcp_keepalive_time=7200`` and ``net/ipv4/...`` (``sysctl.conf``, ``sysctl.d``; a
leading ``-`` is the ignore-errors flag), ``/proc/sys/net/ipv4/tcp_keepalive_time:7200``
(``grep . /proc/sys/net/ipv4/tcp_keepalive_*``), and a bare number under the command that
printed it (``cat /proc/sys/...``, ``sysctl -n ...``). Commented-out lines are ignored.
"""

from __future__ import annotations

import re

from .model import FileParse, Found
from .text import answers, command_of

OSES = ("linux",)

_SUFFIXES = ("time", "intvl", "probes")
#: matched against the stripped line; the value is taken greedily and stripped after (a lazy
#: value before ``\s*$``, or ``\s*-?\s*``, rescans blank runs: quadratic on long lines)
_SETTING = re.compile(
    r"(?:-[^\S\n]*)?(?:/proc/sys/)?net[./]ipv4[./]tcp_keepalive_(?P<key>time|intvl|probes)"
    r"[^\S\n]*[=:](?P<value>[^#;]*)(?:[#;].*)?"
)
#: other Linux sysctl names: a file of them without keepalive lines leaves the defaults in force
_SYSCTL_NAMES = re.compile(
    r"(?m)^[^\S\n]*(?:-[^\S\n]*)?(?:/proc/sys/)?net[./](?:ipv4|ipv6|core)[./]\w+[^\S\n]*[=:]")
_ASKED = re.compile(r"tcp_keepalive_(?:(time|intvl|probes)\b|\*|\{([\w,]*)\})")


def parse(file: FileParse, os: str | None) -> list[Found]:
    """The Linux keepalive settings in ``file`` (one host)."""
    found = Found(file, "linux")
    for number, line in enumerate(file.lines, start=1):
        if command_of(line) is not None:
            continue
        match = _SETTING.fullmatch(line.strip())
        if match:
            found.add(f"tcp_keepalive_{match['key']}", match["value"].strip(), number)
    for answer in answers(file.lines, _asked):
        found.add(answer.name, answer.text, answer.line)
    found.settings.sort(key=lambda s: s.line)
    if not found.settings and _SYSCTL_NAMES.search("\n".join(file.lines)) is None:
        return []
    return [found]


def _asked(command: str) -> list[str]:
    """The settings a read command prints bare, in order (``cat .../tcp_keepalive_*``)."""
    if command.startswith(("echo", "printf", "tee")) or "=" in command:
        return []
    if command.startswith("sysctl") and not re.search(r"\s-\w*n", command):
        return []  # plain sysctl prints "name = value" lines, not bare numbers
    asked = _ASKED.findall(command)
    if command.startswith("grep") and (len(asked) != 1 or not asked[0][0]):
        return []  # grep over several files prefixes each line with the file name
    names: list[str] = []
    for single, braces in asked:
        if single:
            keys = [single]
        elif braces:
            keys = [k for k in braces.split(",") if k in _SUFFIXES]
        else:
            keys = sorted(_SUFFIXES)  # the shell expands tcp_keepalive_* in sorted order
        names.extend(f"tcp_keepalive_{k}" for k in keys)
    return names
