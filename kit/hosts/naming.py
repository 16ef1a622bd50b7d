"""Which host (and which OS) an export belongs to, from what the export itself says.

Order of trust: the content (a shell prompt, ``hostname`` output, ``uname -a``, a ``hostname``
sysctl, a registry host name), then an explicit ``host=``, then the file name up to its first
dot (``dmz-web01.sysctl.txt`` -> ``dmz-web01``). Names are shortened to the first label, as the
file-name rule does, so ``dmz-web01.corp.example`` and ``dmz-web01.reg`` meet as one host.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import PurePath

from ..units import same_host
from .text import command_of, prompt_of

_NAME = r"[A-Za-z0-9][\w.-]*"
#: (pattern, group holding the host name); first match in the file wins
_CONTENT_NAMES: tuple[re.Pattern[str], ...] = tuple(
    re.compile(p) for p in (
        # shell prompts: root@dmz-web01:~#  [root@dmz-web01 ~]#  admin@mac01 ~ %
        rf"^\s*\[?[\w.-]+@(?P<host>{_NAME})[\s:\]][^#$%>]{{0,60}}[#$%>]",
        # uname -a: "Linux dmz-web01 5.15.0 ..." (also AIX, SunOS, HP-UX, Darwin, FreeBSD)
        rf"^\s*(?:Linux|AIX|SunOS|HP-UX|Darwin|FreeBSD)\s+(?P<host>{_NAME})\s+\S",
        # sysctl hostnames
        rf"^\s*(?:kernel\.hostname|kern\.hostname)\s*[=:]\s*(?P<host>{_NAME})\s*$",
        # registry: reg query value line, .reg line, PowerShell property, systeminfo
        rf"^\s+(?:NV )?Hostname\s+REG_SZ\s+(?P<host>{_NAME})\s*$",
        rf'^\s*"(?:NV )?Hostname"\s*=\s*"(?P<host>{_NAME})"\s*$',
        rf'^\s*"ComputerName"\s*=\s*"(?P<host>{_NAME})"\s*$',
        rf"^\s*(?:NV )?Hostname\s*:\s+(?P<host>{_NAME})\s*$",
        rf"^\s*(?:PSComputerName|Host Name)\s*:\s+(?P<host>{_NAME})\s*$",
        # a remote registry query names the machine: reg query \\WIN01\HKLM\...
        rf"(?i:reg(?:\.exe)?\s+query)\s+\\\\(?P<host>{_NAME})\\",
        # a label a collection script wrote: "hostname: dmz-web01", "host = dmz-web01"
        rf"^\s*(?i:host(?:\s*name)?)\s*[:=]\s*(?P<host>{_NAME})\s*$",
    )
)
#: host names in the prompt before a command: user@host..., host:/path#, host#
_PROMPT_HOSTS: tuple[re.Pattern[str], ...] = (
    re.compile(rf"^\s*\[?[\w.-]+@(?P<host>{_NAME})"),
    re.compile(r"^\s*(?P<host>[A-Za-z][\w.-]*):[/~]\S*\s*[#$%>]$"),
    re.compile(r"^\s*(?P<host>[A-Za-z][\w.-]*)\s*[#%>]$"),
)
_STDIN_NAMES = ("<bytes>", "<stream>", "<upload>")

#: words in the content that name an OS, for formats several OSes share (ndd, BSD sysctl)
_OS_WORDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), os) for p, os in (
        (r"\bSunOS\b|\bSolaris\b|\bipadm\b|\btcp_keepalive_abort_interval\b", "solaris"),
        (r"\bHP-UX\b|\bhpux\b|\btcp_keepalive_detached_interval\b|\bnddconf\b", "hpux"),
        (r"\bDarwin\b|\bmacOS\b|\bMac OS X\b|\bProductName:\s*(?:macOS|Mac OS X)", "macos"),
        (r"\bFreeBSD\b", "freebsd"),
    )
)
_FILE_WORDS: tuple[tuple[str, str], ...] = (
    ("hpux", "hpux"), ("hp-ux", "hpux"), ("solaris", "solaris"), ("sunos", "solaris"),
    ("macos", "macos"), ("darwin", "macos"), ("osx", "macos"), ("freebsd", "freebsd"),
)


def host_from_content(lines: list[str]) -> tuple[str | None, list[str]]:
    """The host the export names, and the other names it also mentions (for a warning)."""
    names: list[str] = []
    expect_hostname = False
    for line in lines:
        if expect_hostname and line.strip():
            expect_hostname = False
            token = line.strip()
            if re.fullmatch(_NAME, token):
                names.append(short_name(token))
                continue
        command = command_of(line)
        if command is not None and command.strip() == "hostname":
            expect_hostname = True
        prompt = prompt_of(line)
        if prompt and (match := _first_match(_PROMPT_HOSTS, prompt)):
            names.append(short_name(match.group("host")))
            continue
        for pattern in _CONTENT_NAMES:
            match = pattern.search(line)
            if match:
                names.append(short_name(match.group("host")))
                break
    if not names:
        return None, []
    first = names[0]
    others = sorted({n for n in names if not same_host(n, first)})
    return first, others


def _first_match(patterns: tuple[re.Pattern[str], ...], text: str) -> re.Match[str] | None:
    return next((m for p in patterns if (m := p.search(text))), None)


def host_from_filename(source: str) -> str | None:
    """``dmz-web01`` from ``.../dmz-web01.sysctl.txt``; None for unnamed buffers."""
    if source in _STDIN_NAMES:
        return None
    name = PurePath(source.replace("\\", "/")).name
    stem = name.split(".", 1)[0].strip()
    return stem or None


def short_name(name: str) -> str:
    """The first label of a host name (``dmz-web01.corp`` -> ``dmz-web01``); IPs stay whole."""
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return name.split(".", 1)[0]
    return name


def os_hints(lines: list[str], source: str) -> set[str]:
    """Every OS the content or the file name mentions (empty when they say nothing)."""
    text = "\n".join(lines)
    hints = {os for pattern, os in _OS_WORDS if pattern.search(text)}
    name = PurePath(source.replace("\\", "/")).name.lower()
    hints |= {os for word, os in _FILE_WORDS if word in name}
    return hints
