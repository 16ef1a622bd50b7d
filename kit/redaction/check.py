"""Verify a redaction: list every original identity of a case still present in some output.

The check reads what a person would read: text files as text, notebooks as their JSON strings,
HTML with its escapes undone. Embedded images (base64 data) are left out: their bytes can spell
anything by chance, and their labels were redacted before they were drawn. Addresses are compared
as addresses (``2001:DB8:0::1`` is ``2001:db8::1``); names as whole words, case-insensitively.
"""

from __future__ import annotations

import html
import ipaddress
import json
import os
import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .addresses import FIXED_ADDRESSES, IPAddress, parse_address
from .keys import KEY_FILE
from .redactor import IPV4_TEXT, IPV6_TEXT, NAME_AFTER, NAME_BEFORE, frame_identities

#: base64 payloads of data: URIs (images, fonts) in HTML or CSS
DATA_URI = re.compile(r"data:[\w.+-]+/[\w.+-]+(?:;[\w=.+-]+)*,[A-Za-z0-9+/=%\s]*")
ADDRESS_TOKEN = re.compile(f"{IPV6_TEXT}|{IPV4_TEXT}")
#: an IPv4 address however a person or a tool spelled it, found without the redactor's rules:
#: zero-padded (010.020.001.010), dashed or underscored as in host names (ip-10-20-1-10)
SPELLED_QUAD = re.compile(
    r"(?<![0-9])([0-9]{1,3})([.\-_])([0-9]{1,3})\2([0-9]{1,3})\2([0-9]{1,3})(?![0-9])")
#: ... or as one hexadecimal number (0x0a14010a)
HEX_ADDRESS = re.compile(r"(?<![0-9A-Za-z])0[xX]([0-9A-Fa-f]{8})(?![0-9A-Za-z])")


@dataclass(frozen=True)
class Leak:
    """An original identity found in an output file."""

    file: str
    kind: str  # ip, host, device or user
    value: str
    count: int

    def __str__(self) -> str:
        return f"{self.file}: {self.kind} {self.value!r} appears {self.count} time(s)"


def case_identities(case: Any) -> dict[str, str]:
    """Every identity of a case (value -> kind): addresses, host, device and user names from all
    of its frames. Fixed addresses (0.0.0.0, 127.0.0.1, ::1, ...) identify nobody: left out."""
    found: dict[str, str] = {}
    for frame in _frames(case):
        for value, kind in frame_identities(frame):
            if kind == "ip" and parse_address(value) in FIXED_ADDRESSES:
                continue
            found.setdefault(value, kind)
    return found


#: the Case's frames whose identities are redacted (and checked for leaks)
CASE_FRAMES = ("connections", "hosts", "sockets", "inventory", "jobs", "app_errors")


def _frames(case: Any) -> Iterator[pd.DataFrame]:
    for name in CASE_FRAMES:
        frame = getattr(case, name, None)
        if isinstance(frame, pd.DataFrame):
            yield frame


def check_redaction(path: str | os.PathLike[str], case: Any) -> list[Leak]:
    """List every original identity of ``case`` still present under ``path``.

    Parameters
    ----------
    path
        An output file, or a folder searched recursively (the case's ``.redaction-key`` aside).
    case
        The *unredacted* ``kit.Case`` (or its folder, loaded with ``kit.load_case``).

    Returns
    -------
    list of Leak
        Empty when nothing leaks. Binary files (other than notebooks/HTML) cannot be read as text:
        each is named in a warning rather than silently passed.
    """
    if isinstance(case, (str, os.PathLike)):
        from ..case import load_case

        case = load_case(case)
    identities = case_identities(case)
    addresses = {parse_address(v): v for v, k in identities.items() if k == "ip"}
    names = {_canonical(v): (v, k) for v, k in identities.items() if k != "ip"}
    name_pattern = _name_pattern(list(names))
    root = Path(path)
    leaks: list[Leak] = []
    for file in _files(root):
        label = str(file.relative_to(root)) if root.is_dir() else str(file)
        counts: Counter[tuple[str, str]] = Counter()
        for chunk in _texts(file, label):
            unescaped = html.unescape(chunk)  # and full-width digits and letters as ASCII:
            for variant in {chunk, unescaped, unicodedata.normalize("NFKC", unescaped)}:
                counts.update(_find(variant, addresses, names, name_pattern))
        leaks.extend(Leak(label, kind, value, n) for (kind, value), n in sorted(counts.items()))
    return leaks


def _canonical(name: str) -> str:
    """A name as the check compares it: case-insensitive, ``_`` the same as ``-``."""
    return name.lower().replace("_", "-")


def _name_pattern(names: list[str]) -> re.Pattern[str] | None:
    """Every name, whole-word and case-insensitive, ``-`` and ``_`` spelled either way."""
    if not names:
        return None
    alternatives = "|".join("[-_]".join(re.escape(part) for part in re.split("[-_]", n))
                            for n in sorted(names, key=lambda n: (-len(n), n)))
    return re.compile(f"{NAME_BEFORE}(?:{alternatives}){NAME_AFTER}", re.IGNORECASE)


def _find(text: str, addresses: dict[IPAddress | None, str],
          names: dict[str, tuple[str, str]], pattern: re.Pattern[str] | None
          ) -> Iterator[tuple[str, str]]:
    for token in ADDRESS_TOKEN.findall(text):
        address = parse_address(token.rstrip("."))
        if address is not None and address in addresses:
            yield "ip", addresses[address]
    for address in _spelled_addresses(text):
        if address in addresses:
            yield "ip", addresses[address]
    if pattern is not None:
        for match in pattern.findall(text):
            original, kind = names[_canonical(match)]
            yield kind, original


def _spelled_addresses(text: str) -> Iterator[ipaddress.IPv4Address]:
    """IPv4 addresses written in other spellings than plain dotted quads."""
    for match in SPELLED_QUAD.finditer(text):
        octets = [int(match[i]) for i in (1, 3, 4, 5)]
        spelled = match[0]
        plain = ".".join(map(str, octets))
        if max(octets) <= 255 and spelled != plain:  # plain quads: ADDRESS_TOKEN's
            yield ipaddress.IPv4Address(bytes(octets))
    for match in HEX_ADDRESS.finditer(text):
        yield ipaddress.IPv4Address(int(match[1], 16))


def _files(root: Path) -> Iterator[Path]:
    if root.is_file():
        yield root
    elif root.is_dir():
        # the key and the case's private .kit folder (parse cache) are never part of a report
        yield from sorted(p for p in root.rglob("*") if p.is_file() and p.name != KEY_FILE
                          and ".kit" not in p.relative_to(root).parts)
    else:
        raise FileNotFoundError(f"{root}: no such file or folder to check")


def _texts(file: Path, label: str) -> Iterator[str]:
    """The readable text of one output file, in chunks; its own name first."""
    yield label
    data = file.read_bytes()
    if file.suffix == ".ipynb":
        yield from _json_strings(json.loads(data.decode("utf-8")))
        return
    if b"\0" in data:
        warnings.warn(f"{file}: binary file, not checked for leaks", stacklevel=3)
        return
    yield DATA_URI.sub("data:", data.decode("utf-8", errors="replace"))


def _json_strings(node: Any, mime: str = "") -> Iterator[str]:
    """Every string in a notebook's JSON, except base64 payloads (images, attachments)."""
    if isinstance(node, str):
        if not (mime.startswith("image/") and mime != "image/svg+xml"):
            yield DATA_URI.sub("data:", node)
    elif isinstance(node, list):
        for item in node:
            yield from _json_strings(item, mime)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _json_strings(value, key if "/" in key else mime)
