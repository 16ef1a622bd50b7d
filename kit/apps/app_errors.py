"""The application-errors CSV (evidence-sources.md §11): failures of any application, one a row.

Header row required; only ``time`` and ``message`` are mandatory::

    time,tz,host,app,peer_ip,peer_port,local_port,error_code,message,job_id

``time`` is ISO 8601 (offset optional), ``YYYY-MM-DD HH:MM:SS`` or epoch seconds; ``tz`` applies
to a time without an offset (default: the reader's ``tz=``). A known signature in ``message``
(``ORA-03113``, ``Broken pipe``, ...) fills an empty ``error_code``; the class comes from the
one catalogue (``kit.apps.catalogue``).
"""

from __future__ import annotations

import csv
import io
import ipaddress
import re
from datetime import tzinfo
from typing import Any

import pandas as pd

from ..errors import ParseError
from ..firewall.zones import Zone, parse_zone
from ..loadreport import FileReport, LoadReport, OnBadLines, whole_file_problems
from ..sources import iter_sources
from .catalogue import classify_error
from .schema import (
    FAILURE_DTYPES,
    frame,
    raise_if_nothing_read,
)

COLUMNS = ("time", "tz", "host", "app", "peer_ip", "peer_port", "local_port", "error_code",
           "message", "job_id")
REQUIRED = ("time", "message")
MAX_BYTES = 256 * 1024 * 1024
_EPOCH = re.compile(r"^\d{9,11}(?:\.\d+)?$")
_HAS_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$", re.IGNORECASE)


def read_app_errors(source: Any, *, tz: str | tzinfo | None = None,
                    on_bad_lines: OnBadLines = "warn") -> pd.DataFrame:
    """Read application-error CSVs (Oracle, PostgreSQL, SSH, JDBC pools, anything).

    Parameters
    ----------
    source
        Path, directory, glob, list, bytes, file-like or FileUpload value (compression detected
        from the content).
    tz
        Zone of times without an offset in rows whose ``tz`` cell is empty (default UTC).
    on_bad_lines
        ``"error"``, ``"warn"`` (default) or ``"skip"`` for rows that cannot be read.

    Returns
    -------
    pandas.DataFrame
        ``schema.FAILURE_DTYPES``: time (UTC), host, peer (the inventory names it later), peer_ip,
        peer_port, local_port, app, error_code, class, message, job_id, source, line.

    Raises
    ------
    ParseError
        When no file has a header naming ``time`` and ``message`` (the message lists the
        columns it expects); among several files, such a file is a problem in the load report.
    """
    default_zone = parse_zone(tz)
    report = LoadReport()
    rows: list[dict[str, object]] = []
    errors: list[ParseError] = []
    for src in iter_sources(source):
        file = FileReport(src.name, kind="apps")
        report.files.append(file)
        with whole_file_problems(file, errors):
            text = src.read_text(limit=MAX_BYTES, what="an errors CSV")
            rows.extend(_parse(src.name, text, default_zone, file))
    raise_if_nothing_read(report, errors, rows)
    result = frame(rows, FAILURE_DTYPES)
    result.attrs["load_report"] = report
    report.enforce(on_bad_lines)
    return result


def _parse(name: str, text: str, default_zone: Zone,
           file: FileReport) -> list[dict[str, object]]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # lines end at \n only, as csv sees
    file.read = text.count("\n") + (not text.endswith("\n") and bool(text))
    try:
        return _rows(name, text, default_zone, file)
    except csv.Error as exc:
        raise ParseError(f"not a CSV: {exc}", source=name) from exc


def _rows(name: str, text: str, default_zone: Zone,
          file: FileReport) -> list[dict[str, object]]:
    reader = csv.reader(io.StringIO(text, newline="\n"))
    header: list[str] | None = None
    rows = []
    zones: dict[str, Zone] = {}
    consumed = 0
    for cells in reader:
        number = reader.line_num
        spanned = number - consumed  # a quoted cell may hold newlines
        consumed = number
        if not any(c.strip() for c in cells):
            file.ignore("blank", spanned)
            continue
        if header is None:
            header = [c.strip().lower() for c in cells]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                raise ParseError(
                    f"the first line is not an errors-CSV header (missing {missing}); expected "
                    f"columns {', '.join(COLUMNS)} (only time and message are required)",
                    source=name, line=number)
            file.ignore("header", spanned)
            continue
        if len(cells) > len(header):
            file.reject(number, f"{len(cells)} cells for {len(header)} header columns "
                                "(quote messages that contain commas)", spanned)
            continue
        record = dict(zip(header, [c.strip() for c in cells], strict=False))
        try:
            rows.append(_row(record, default_zone, zones) | {"source": name, "line": number})
        except ValueError as exc:
            file.reject(number, str(exc), spanned)
            continue
        file.parsed += spanned
    return rows


def _row(record: dict[str, str], default_zone: Zone, zones: dict[str, Zone]) -> dict[str, object]:
    get = lambda key: record.get(key) or None  # noqa: E731
    zone_name = get("tz")
    if zone_name and zone_name not in zones:
        zones[zone_name] = parse_zone(zone_name, parameter="tz cell")
    zone = zones[zone_name] if zone_name else default_zone
    error_code, cls = classify_error(get("app"), get("error_code"), get("message"))
    return {
        "time": _time(get("time"), zone),
        "host": get("host"), "peer": None, "peer_ip": _ip(get("peer_ip")),
        "peer_port": _port(get("peer_port"), "peer_port"),
        "local_port": _port(get("local_port"), "local_port"),
        "app": (get("app") or "").lower() or None, "error_code": error_code, "class": cls,
        "message": get("message"), "job_id": _job_id(get("job_id")),
    }


def _time(text: str | None, zone: Zone) -> pd.Timestamp:
    if not text:
        raise ValueError("empty time")
    if _EPOCH.match(text):
        return pd.Timestamp(float(text), unit="s", tz="UTC")
    try:
        stamp = pd.Timestamp(text)
    except ValueError as exc:
        raise ValueError(f"time {text!r} is not ISO 8601, 'YYYY-MM-DD HH:MM:SS' or epoch "
                         "seconds") from exc
    if stamp.tzinfo is not None or _HAS_OFFSET.search(text):
        return stamp.tz_convert("UTC")
    local = pd.DatetimeIndex([stamp]).as_unit("ns").asi8
    return pd.Timestamp(int(zone.to_utc(local)[0]), unit="ns", tz="UTC")


def _ip(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError as exc:
        raise ValueError(f"peer_ip {text!r} is not an IP address") from exc


def _port(text: str | None, what: str) -> int | None:
    if text is None:
        return None
    if not text.isdigit() or int(text) > 65535:
        raise ValueError(f"{what} {text!r} is not a port (0-65535)")
    return int(text)


def _job_id(text: str | None) -> int | None:
    if text is None:
        return None
    if not text.isdigit():
        raise ValueError(f"job_id {text!r} is not a number")
    return int(text)
