"""``inventory.csv``: which host owns which IP, with its role and OS (one row per IP).

The analysis maps firewall addresses to host names and roles through this table, so a bad or
ambiguous address is an error naming the file, the line and the fix, never a silent mismatch.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import warnings
from pathlib import Path

import pandas as pd

from ..errors import CaseError
from ..firewall.schema import STRING
from ..units import same_host

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
    numbered = [(n, line) for n, line in enumerate(text.splitlines(), 1)
                if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        return empty_inventory()
    header_line, header = numbered[0][0], [c.lower() for c in _cells(numbered[0][1])]
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
    for number, line in numbered[1:]:
        row = dict(zip(header, _cells(line), strict=False))
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
    if ip in owner and not same_host(owner[ip][0], host):
        other_host, other_line = owner[ip]
        raise CaseError(
            f"{path}:{number}: {ip} is given to {host!r} here and to {other_host!r} on line "
            f"{other_line}; an address belongs to one host, so fix or remove one of the rows")
    owner.setdefault(ip, (host, number))
    role = (row.get("role") or "").strip().lower() or None
    system = (row.get("os") or "").strip().lower() or None
    return {"host": host, "ip": ip, "role": role, "os": system}


def _cells(line: str) -> list[str]:
    return [c.strip() for c in next(csv.reader(io.StringIO(line)))]


def _frame(rows: list[dict[str, str | None]]) -> pd.DataFrame:
    roles = sorted({r["role"] for r in rows if r["role"]} - set(KNOWN_ROLES))
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    return frame.astype({"host": STRING, "ip": STRING, "os": STRING,
                         "role": pd.CategoricalDtype([*KNOWN_ROLES, *roles])})
