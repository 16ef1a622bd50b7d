"""``inventory.csv``: which host owns which IP, with its role and OS (one row per IP).

The analysis maps firewall addresses to host names and roles through this table, so a bad or
ambiguous address is an error naming the file, the line and the fix, never a silent mismatch.
"""

from __future__ import annotations

import csv
import ipaddress
import warnings
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from ..errors import CaseError
from ..firewall.schema import STRING

#: the roles the notebooks know; any other role a site writes is kept as its own category
KNOWN_ROLES = ("master", "media", "client", "other")
COLUMNS = ("host", "ip", "role", "os")
REQUIRED = ("host", "ip")


def empty_inventory() -> pd.DataFrame:
    """A zero-row inventory with the right dtypes."""
    return _frame([])


def read_inventory(path: Path) -> pd.DataFrame:
    """Read ``inventory.csv`` (``host,ip,role,os``); lines starting with ``#`` are comments.

    Returns a frame with host, ip (normalised text, e.g. compressed IPv6), role (category) and
    os (string). Raises CaseError on a missing header column, an invalid IP, or one IP given to
    two hosts.
    """
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaseError(f"{path}: not UTF-8 text ({exc}); save it as UTF-8 CSV") from exc
    numbered = _records(text, path)
    if not numbered:
        return empty_inventory()
    header_line, header = numbered[0][0], [c.lower() for c in numbered[0][1]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CaseError(
            f"{path}:{header_line}: the header lacks {', '.join(missing)}; the first line must "
            "name the columns host,ip,role,os (role and os may stay empty)")
    extra = [c for c in header if c not in COLUMNS]
    if extra:
        warnings.warn(f"{path}: columns {', '.join(extra)} ignored; the kit reads "
                      f"{','.join(COLUMNS)}", stacklevel=3)
    rows, owner = [], {}
    for number, cells in numbered[1:]:
        row = dict(zip(header, cells, strict=False))
        rows.append(_row(row, path, number, owner))
    return _frame(rows)


def _row(row: dict[str, str], path: Path, number: int,
         owner: dict[str, tuple[str, int]]) -> dict[str, str | None]:
    host = (row.get("host") or "").strip()
    raw_ip = (row.get("ip") or "").strip()
    if not host:
        raise CaseError(f"{path}:{number}: the host name is empty; every row needs host and ip")
    try:
        ip = str(ipaddress.ip_address(raw_ip))
    except ValueError:
        raise CaseError(
            f"{path}:{number}: {raw_ip!r} is not an IP address; write one IPv4 or IPv6 address "
            "per row (a host with several addresses gets one row for each)") from None
    if ip in owner and owner[ip][0] != host:
        other_host, other_line = owner[ip]
        raise CaseError(
            f"{path}:{number}: {ip} is given to {host!r} here and to {other_host!r} on line "
            f"{other_line}; an address belongs to one host, so fix or remove one of the rows")
    owner.setdefault(ip, (host, number))
    role = (row.get("role") or "").strip().lower() or None
    system = (row.get("os") or "").strip().lower() or None
    return {"host": host, "ip": ip, "role": role, "os": system}


def _records(text: str, path: Path) -> list[tuple[int, list[str]]]:
    """(first line number, stripped cells) of each CSV record, comments and blank lines left out.

    The whole text goes through one ``csv.reader``, so a quoted field may hold a newline (as
    spreadsheets write them). A ``#`` or blank line is skipped only where a record starts, which
    the reader itself tells (it pulls a line at a time): never inside a quoted field.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    numbers: list[int] = []  # physical line number of each line handed to the reader
    at_start = True

    def feed() -> Iterator[str]:
        nonlocal at_start
        for number, line in enumerate(lines, 1):
            if at_start and (not line.strip() or line.lstrip().startswith("#")):
                continue
            at_start = False
            numbers.append(number)
            yield line + "\n"

    records = []
    reader = csv.reader(feed(), strict=False)
    consumed = 0
    try:
        for cells in reader:
            records.append((numbers[consumed], [c.strip() for c in cells]))
            consumed, at_start = reader.line_num, True
    except csv.Error as exc:  # e.g. a NUL byte: name the line instead of a raw csv error
        raise CaseError(f"{path}:{numbers[-1] if numbers else 1}: not CSV ({exc}); save it "
                        "as plain UTF-8 CSV") from None
    return records


def _frame(rows: list[dict[str, str | None]]) -> pd.DataFrame:
    roles = sorted({r["role"] for r in rows if r["role"]} - set(KNOWN_ROLES))
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.astype({"host": STRING, "ip": STRING, "os": STRING,
                         "role": pd.CategoricalDtype([*KNOWN_ROLES, *roles])})
