"""Windows: ``reg query``, ``.reg`` exports and PowerShell, all for ``Tcpip\\Parameters`` (ms).

- ``reg query ...\\Tcpip\\Parameters [/v KeepAliveTime]``: ``    KeepAliveTime    REG_DWORD
  0x493e0`` (always hex), or ``ERROR: The system was unable to find the specified registry key
  or value.`` when the value is absent (the default applies).
- ``.reg`` (``reg export`` writes UTF-16LE with a BOM, hand-written ones are often UTF-8):
  ``"KeepAliveTime"=dword:000493e0``; ``dword:`` is ALWAYS hex, which hand-written files get
  wrong (``dword:00030000`` is 196,608 ms, not 30 s): such values are taken as written and warned
  about. ``"KeepAliveTime"=-`` deletes the value.
- PowerShell ``Get-ItemProperty`` (``KeepAliveTime : 300000``, decimal), its table form, a bare
  ``Get-ItemPropertyValue`` answer, and its "Property ... does not exist" error.

Only values of the ``Services\\Tcpip\\Parameters`` key count (a whole ``/s`` dump lists other keys).
A value stored with another type than REG_DWORD is ignored by Windows: the default applies.
"""

from __future__ import annotations

import re

from .defaults import Unit
from .model import FileParse, Found
from .text import answers, command_of

OSES = ("windows",)

_NAMES = {"keepalivetime": "KeepAliveTime", "keepaliveinterval": "KeepAliveInterval"}
_NAME = r"(?i:KeepAliveTime|KeepAliveInterval)"
#: the lazy ``(.*?)\s*$`` tails of these patterns rescan blank runs (quadratic): they match
#: ``line.rstrip()`` in full instead, the value running to the end
_KEY_LINE = re.compile(
    r"\s*\[?(?P<delete>-)?(?P<key>(?:\\\\[^\\]+\\)?(?i:HKEY_|HKLM)[^\]]*)\]?"
)
_PARAMETERS_KEY = re.compile(r"(?i)\\Services\\Tcpip\\Parameters\\?$")
_REG_QUERY_VALUE = re.compile(
    rf"\s+(?P<name>{_NAME})\s+(?P<type>REG_[A-Z_]+)(?:\s+(?P<data>.*))?"
)
_REG_FILE_VALUE = re.compile(rf'\s*"(?P<name>{_NAME})"\s*=\s*(?P<data>.*)')
_POWERSHELL_VALUE = re.compile(rf"\s*(?P<name>{_NAME})\s*:\s*(?P<data>.*)")
_POWERSHELL_TABLE = re.compile(rf"^\s*{_NAME}(?:\s+{_NAME})*\s*$")
_NOT_FOUND = re.compile(r"(?i)^\s*ERROR:\s.*unable to find the specified registry key or value")
_NO_PROPERTY = re.compile(rf"Property (?P<name>{_NAME}) does not exist")
_REGISTRY_WORDS = re.compile(
    r"(?i)Windows Registry Editor|REGEDIT4|HKEY_LOCAL_MACHINE|HKLM[:\\]|REG_DWORD"
)


def parse(file: FileParse, os: str | None) -> list[Found]:
    """The Windows keepalive values in ``file`` (one host)."""
    found = Found(file, "windows")
    in_parameters = True  # until a key line says otherwise (a paste may start at the values)
    asked: list[str] = []
    lines = file.lines
    for number, line in enumerate(lines, start=1):
        command = command_of(line)
        if command is not None:
            asked = _asked(command)
            continue
        key = _KEY_LINE.fullmatch(line.rstrip())
        if key and "\\" in key["key"]:
            in_parameters = bool(_PARAMETERS_KEY.search(key["key"]))
            if in_parameters and key["delete"]:
                for name in _NAMES.values():
                    found.add_absent(name, number)
            continue
        if _NOT_FOUND.match(line):
            for name in asked or []:
                found.add_absent(name, number)
            file.use(number)
            continue
        missing = _NO_PROPERTY.search(line)
        if missing:
            found.add_absent(_NAMES[missing["name"].lower()], number)
            continue
        if in_parameters:
            _value_line(found, line, number)
        if _POWERSHELL_TABLE.match(line) and number + 2 <= len(lines):
            _table(found, line, number, lines)
    for answer in answers(lines, _asked_bare):
        found.add(answer.name, answer.text, answer.line)
    found.settings.sort(key=lambda s: s.line)
    return [found] if (found.settings or file.evidence or _REGISTRY_WORDS.search(
        "\n".join(lines[:50]))) else []


def _value_line(found: Found, line: str, number: int) -> None:
    if match := _REG_QUERY_VALUE.fullmatch(line.rstrip()):
        name = _NAMES[match["name"].lower()]
        data = match["data"] or ""
        if match["type"] != "REG_DWORD":
            _wrong_type(found, name, match["type"], number)
        elif not data.lower().startswith("0x"):
            found.file.reject(number, f"{name}: expected a REG_DWORD written 0x<hex>, "
                                      f"found {data!r}")
        else:
            found.add(name, data[2:], number, base=16)
            _decimal_looking(found, name, data[2:], number, f"0x{data[2:]}")
    elif match := _REG_FILE_VALUE.fullmatch(line.rstrip()):
        _reg_file_value(found, _NAMES[match["name"].lower()], match["data"], number)
    elif match := _POWERSHELL_VALUE.fullmatch(line.rstrip()):
        found.add(_NAMES[match["name"].lower()], match["data"], number)


def _reg_file_value(found: Found, name: str, data: str, number: int) -> None:
    lowered = data.lower()
    if data == "-":
        found.add_absent(name, number)
    elif lowered.startswith("dword:"):
        digits = data[6:].strip()
        if len(digits) > 8:
            found.file.reject(number, f"{name}: dword: takes at most 8 hex digits, found "
                                      f"{digits[:20]!r}")
            return
        found.add(name, digits, number, base=16)
        _decimal_looking(found, name, digits, number, f"dword:{digits}")
    elif lowered.startswith("hex(4):"):
        little_endian = data[7:].replace(" ", "").split(",")
        if len(little_endian) != 4 or not all(re.fullmatch(r"[0-9a-fA-F]{2}", b)
                                              for b in little_endian):
            found.file.reject(number, f"{name}: hex(4): takes 4 comma-separated bytes, found "
                                      f"{data[7:40]!r}")
            return
        found.add(name, "".join(reversed(little_endian)), number, base=16)
    else:
        kind = "REG_SZ" if data.startswith('"') else data.split(":", 1)[0]
        _wrong_type(found, name, kind, number)


def _wrong_type(found: Found, name: str, kind: str, number: int) -> None:
    found.add_absent(name, number)
    found.warn(number, f"{name} is stored as {kind}; Windows reads it only as a REG_DWORD, so "
                       "the default applies (write it with reg add ... /t REG_DWORD /d <ms>)")


def _decimal_looking(found: Found, name: str, digits: str, number: int, written: str) -> None:
    """Warn when a hex DWORD reads like the decimal milliseconds its author probably meant."""
    stripped = digits.lstrip("0")
    if not stripped or len(stripped) > 10 or not (stripped.isascii() and stripped.isdigit()):
        return
    meant, actual = int(stripped), int(stripped, 16)
    if meant < 100 or meant % 100:
        return
    ms = Unit.MILLISECONDS
    found.warn(number, f"{name}={written} is hexadecimal: {ms.describe(actual)}. If "
                       f"{ms.describe(meant)} was meant, write dword:{meant:08x} in a .reg file "
                       f"or reg add ... /v {name} /t REG_DWORD /d {meant}")


def _table(found: Found, header: str, number: int, lines: list[str]) -> None:
    """PowerShell's table form: a header of names, a dashes line, a values line."""
    dashes, values = lines[number], lines[number + 1]
    if not re.fullmatch(r"\s*-+(?:\s+-+)*\s*", dashes):
        return
    names, data = header.split(), values.split()
    if len(names) != len(data):
        found.file.reject(number + 2, f"expected {len(names)} values under {header.strip()!r}, "
                                      f"found {values.strip()[:60]!r}")
        return
    for name, text in zip(names, data, strict=True):
        found.add(_NAMES[name.lower()], text, number + 2)


def _asked(command: str) -> list[str]:
    """The values a ``reg query`` asked for (None of them found means all are absent)."""
    if not re.match(r"(?i)reg(?:\.exe)?\s+query", command):
        return []
    named = re.findall(rf"/v\s+\"?({_NAME})\"?", command)
    return [_NAMES[n.lower()] for n in named]


def _asked_bare(command: str) -> list[str]:
    if not command.lower().startswith("get-itempropertyvalue"):
        return []
    return [_NAMES[n.lower()] for n in re.findall(_NAME, command)]
