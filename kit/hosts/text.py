"""Reading pasted terminal transcripts: lines, shell prompts, commands and their bare answers.

Admins paste whatever their terminal showed: prompts, the command, its output, comments. The
helpers here tell a command line from an output line, so a parser can attribute a bare number
(``ndd -get``, ``cat /proc/...``, ``sysctl -n``) to the setting the command asked for.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

#: commands whose lines are never settings themselves (their output may follow)
_COMMANDS = (
    r"sysctl|cat|grep|egrep|head|tail|more|less|ndd|no(?=\s+-)|ipadm|echo|printf|tee|ss|netstat"
    r"|hostname|uname|sw_vers|oslevel|showrev"
    r"|(?i:reg(?:\.exe)?\s+(?:query|add|export|delete)|Get-ItemProperty(?:Value)?)"
)
#: matched against the *stripped* line: a leading ``^\s*`` or trailing ``.*?\s*$`` would rescan
#: a long run of blanks from every position (a 10,000-space line took 42 s, 20,000 never ended)
_COMMAND = re.compile(
    rf"(?P<prompt>[^#$%>]{{0,80}}?[#$%>])?\s*(?:sudo\s+(?:-\S+\s+)*)?"
    rf"(?P<command>(?:{_COMMANDS})(?![\w.:=-]).*)"
)
#: the answers a command may print instead of a value
_BARE = re.compile(r"[^\s:=]+")


def split_lines(text: str) -> list[str]:
    """Lines as ``wc -l`` counts them (``\\n``-terminated), without their ``\\r``."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def command_of(line: str) -> str | None:
    """The command typed on ``line`` (after any prompt or ``sudo``), else None."""
    match = _COMMAND.fullmatch(line.strip())
    return None if match is None else match.group("command")


def prompt_of(line: str) -> str | None:
    """The shell prompt in front of a command on ``line`` (``root@web01:~#``), else None."""
    match = _COMMAND.fullmatch(line.strip())
    return match.group("prompt") if match else None


def bare_token(line: str) -> str | None:
    """The single word on ``line`` (a command's bare answer), else None.

    ``name:value`` and ``name=value`` are not bare: ``grep`` over several files prefixes
    each answer with its file name.
    """
    match = _BARE.fullmatch(line.strip())
    return match.group(0) if match else None


@dataclass(frozen=True)
class Answer:
    """A bare value printed by a command that asked for ``name``."""

    name: str
    text: str
    line: int


def answers(lines: list[str], asked: Callable[[str], list[str]]) -> Iterator[Answer]:
    """Bare values printed after commands, attributed to the settings the commands asked for.

    ``asked(command)`` returns the setting names a command reads, in the order it prints them
    (``cat a b`` prints a then b). Blank lines between answers are skipped; any other line ends
    the command's output.
    """
    pending: list[str] = []
    for number, line in enumerate(lines, start=1):
        command = command_of(line)
        if command is not None:
            pending = asked(command)
            continue
        if not line.strip():
            continue
        token = bare_token(line)
        if pending and token is not None:
            yield Answer(pending.pop(0), token, number)
        else:
            pending = []


def first_lines(lines: list[str], count: int = 5, width: int = 100) -> str:
    """The first non-blank lines, quoted, for error messages that show what was seen."""
    shown = [line.strip()[:width] for line in lines if line.strip()][:count]
    if not shown:
        return "(the file is empty)"
    return " | ".join(repr(line) for line in shown)
