"""NetBackup ``bpdbjobs -report -all_columns`` (and ``-most_columns``) -> one row per job try.

One job a line, comma-separated, no header; a comma inside a value comes as ``\\,``. The column
count varies per row (evidence-sources.md §9.1), so a record is walked in order: 31 fixed fields,
``filelistcount`` and that many files, ``trycount``, then per try ``trypid, trystunit, tryserver,
trystarted, tryelapsed, tryended, trystatus, trystatusdescription, trystatuscount``, that many
status lines, ``trybyteswritten, tryfileswritten``; then ``parentjob`` and the rest.
``-most_columns`` stops before the file list and the tries (``parentjob`` at 33): its one row per
job carries the job's own start, end and status. Epoch stamps are UTC; the status lines' own
``MM/DD/YYYY HH:MM:SS`` stamps are the host's local time (``tz=``).
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import ParseError
from ..firewall.zones import parse_zone
from ..loadreport import FileReport, LoadReport, OnBadLines, whole_file_problems
from ..sources import iter_sources
from .catalogue import status_class
from .schema import (
    JOB_DTYPES,
    JOB_STATES,
    JOB_TYPES,
    frame,
    raise_if_nothing_read,
)

Layout = Literal["auto", "all_columns", "most_columns"]

#: an export is text of at most a few hundred MB; beyond this it is the wrong file
MAX_BYTES = 512 * 1024 * 1024
FIXED = 31  # fields before filelistcount
TRY_FIELDS = 9  # trypid ... trystatuscount
#: records read to decide a file's layout
_VOTERS = 20
MOST_COLUMNS = 34  # a -most_columns record reaches at least parentjob (position 33)
#: a separator, or an escaped pair (``\\,``, ``\\\\``) to step over
_TOKEN = re.compile(r"\\.|,")
_RECORD = re.compile(r"^\s*\d+,\d*,\d*,")
_STAMP = re.compile(r"^(\d\d)/(\d\d)/(\d{4}) (\d\d):(\d\d):(\d\d)")
_HEADER = re.compile(r"^\s*JobID\s+Type\s+State", re.IGNORECASE)
_SYSLOG = re.compile(r"%(?:ASA|PIX|FWSM|FTD)-\d-|^<\d+>|^[A-Z][a-z]{2} [ \d]\d \d\d:")


def read_bpdbjobs(source: Any, *, tz: str | tzinfo | None = None,
                  on_bad_lines: OnBadLines = "warn", layout: Layout = "auto") -> pd.DataFrame:
    """Read ``bpdbjobs -report -all_columns`` or ``-most_columns`` exports.

    Parameters
    ----------
    source
        Path, directory, glob, list, bytes, file-like or FileUpload value; compression (gzip,
        bz2, xz, zip) is detected from the content.
    tz
        Zone of the status lines' own stamps (the media or master server's local time); the
        epoch columns are UTC whatever this says. Default UTC.
    on_bad_lines
        ``"error"``, ``"warn"`` (default) or ``"skip"`` for records that cannot be walked.
    layout
        ``"auto"`` (default: decided per file from its first record), ``"all_columns"`` or
        ``"most_columns"``.

    Returns
    -------
    pandas.DataFrame
        One row per job try (``schema.JOB_DTYPES``): job_id, parent_job, job_type, state,
        status (the try's), job_status, policy, schedule, client, server (media server),
        master, try_number, tries, try_started / try_ended (UTC; NaT while running), try_elapsed,
        kbytes, files, status_description, status_lines (newline-joined), message_time (the
        last status line's own stamp, read in ``tz``), layout, then the
        failure columns every failure source shares: time (= try_ended), host (= the try's
        server), peer (= client), app ``netbackup``, error_code, class (the catalogue's class of
        the status), message (the last status line), source, line. A job without any try yet
        (queued) gives one row without try times. ``attrs["load_report"]`` counts every line.

    Raises
    ------
    ParseError
        When no file is such an export (a ``bpdbjobs`` table, a firewall log, a CSV): the
        message names the file and the command that writes the right output. Among several
        files, one of another kind is a problem in the load report (``on_bad_lines``).
    """
    if layout not in ("auto", "all_columns", "most_columns"):
        raise ValueError(f"layout must be 'auto', 'all_columns' or 'most_columns', not {layout!r}")
    zone = parse_zone(tz)
    report = LoadReport()
    rows: list[dict[str, object]] = []
    errors: list[ParseError] = []
    for src in iter_sources(source):
        file = FileReport(src.name, kind="jobs")
        report.files.append(file)
        with whole_file_problems(file, errors):
            lines = src.read_text(limit=MAX_BYTES, what="a bpdbjobs export").splitlines()
            file.read = len(lines)
            rows.extend(_parse_file(src.name, lines, layout, file))
    raise_if_nothing_read(report, errors, rows)
    result = frame(rows, JOB_DTYPES)
    result["message_time"] = _stamps(result["message"], zone)
    result.attrs["load_report"] = report
    report.enforce(on_bad_lines)
    return result


def split_record(line: str) -> list[str]:
    """The fields of one record, ``\\,`` unescaped (other backslashes, as in Windows paths,
    are kept)."""
    fields, start = [], 0
    for token in _TOKEN.finditer(line):
        if token.group() == ",":
            fields.append(line[start:token.start()])
            start = token.end()
    fields.append(line[start:])
    return [f.replace("\\,", ",") for f in fields]


def _parse_file(name: str, lines: list[str], layout: Layout,
                file: FileReport) -> list[dict[str, object]]:
    first = next((k for k, line in enumerate(lines) if line.strip()), None)
    if first is None:
        file.ignore("blank", len(lines))
        return []
    _check_kind(name, first + 1, lines[first])
    if layout == "auto":
        layout = _guess_layout([line for line in lines[first:] if line.strip()][:_VOTERS])
    rows: list[dict[str, object]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            file.ignore("blank")
            continue
        try:
            fields = split_record(line)
            record = (_all_columns(fields) if layout == "all_columns"
                      else _most_columns(fields))
        except ValueError as exc:
            file.reject(number, f"{exc} ({layout.replace('_', ' ')} record)")
            continue
        for row in record:
            row.update(source=name, line=number, layout=layout)
        rows.extend(record)
        file.parsed += 1
    return rows


def _check_kind(name: str, number: int, line: str) -> None:
    """A clear error for files that are not bpdbjobs -report exports."""
    if _RECORD.match(line):
        return
    if _HEADER.match(line):
        what = ("`bpdbjobs` table output (one job per line in columns); export with "
                "`bpdbjobs -report -all_columns`")
    elif _SYSLOG.search(line):
        what = "a firewall log; put it in the case's firewall/ folder"
    elif "," in line and "message" in line.lower() and "time" in line.lower():
        what = "an application-errors CSV; read it with kit.read_app_errors (case folder apps/)"
    else:
        what = (f"{line[:60]!r}, not a job record (expected 'jobid,jobtype,state,status,...' "
                "as `bpdbjobs -report -all_columns` writes it)")
    raise ParseError(f"not a bpdbjobs -report export: {what}", source=name, line=number)


def _guess_layout(records: list[str]) -> Layout:
    """The layout most of the first records walk in (a damaged record cannot flip a file)."""
    votes = {"all_columns": 0, "most_columns": 0}
    for line in records:
        fields = split_record(line)
        for name, walk in (("all_columns", _all_columns), ("most_columns", _most_columns)):
            try:
                walk(fields)
            except ValueError:
                continue
            votes[name] += 1
            break
    return "most_columns" if votes["most_columns"] > votes["all_columns"] else "all_columns"


def _integer(value: str, what: str) -> int | None:
    """An integer field (None when empty); a non-number is an error naming the field."""
    text = value.strip()
    if not text:
        return None
    if not text.lstrip("-").isdigit():
        raise ValueError(f"{what} {text[:30]!r} is not a number")
    return int(text)


def _epoch(value: str, what: str) -> pd.Timestamp | None:
    seconds = _integer(value, what)
    if not seconds:  # 0: not ended yet
        return None
    if not 0 < seconds < 2**33:
        raise ValueError(f"{what} {seconds} is not an epoch time in seconds")
    return pd.Timestamp(seconds, unit="s", tz="UTC")


def _job(fields: list[str]) -> dict[str, object]:
    """The fixed fields every layout starts with."""
    if len(fields) < FIXED + 1:
        raise ValueError(f"only {len(fields)} fields (expected at least {FIXED + 1})")
    job_id = _integer(fields[0], "job id")
    if job_id is None:
        raise ValueError("empty job id")
    job_type, state = _integer(fields[1], "job type"), _integer(fields[2], "state")
    if state is not None and state not in JOB_STATES:
        raise ValueError(f"state {state} is not a job state (0-5)")
    status = _integer(fields[3], "status")
    return {
        "job_id": job_id, "job_type": JOB_TYPES.get(job_type, None if job_type is None
                                                     else str(job_type)),
        "state": JOB_STATES.get(state) if state is not None else None,
        "job_status": status, "status": status,
        "policy": fields[4] or None, "schedule": fields[5] or None,
        "client": fields[6] or None, "server": fields[7] or None,
        "try_started": _epoch(fields[8], "started"),
        "try_elapsed": _elapsed(fields[9]),
        "try_ended": _epoch(fields[10], "ended"),
        "try_number": _integer(fields[12], "try"),
        "kbytes": _integer(fields[14], "kbytes"), "files": _integer(fields[15], "files"),
        "master": fields[25] or None,
        "host": fields[7] or None, "peer": fields[6] or None, "app": "netbackup",
    }


def _elapsed(value: str) -> pd.Timedelta | None:
    seconds = _integer(value, "elapsed")
    return None if seconds is None else pd.Timedelta(seconds=seconds)


def _finish(row: dict[str, object]) -> dict[str, object]:
    """The failure columns derived from the row's status and status lines."""
    status = row["status"]
    row["error_code"] = None if status is None else str(status)
    row["class"] = status_class(status)
    row["time"] = row["try_ended"]
    return row


def _all_columns(fields: list[str]) -> list[dict[str, object]]:
    job = _job(fields)
    at = FIXED
    file_count = _integer(fields[at], "filelistcount") or 0
    at += 1 + file_count
    tries = _integer(_field(fields, at, "trycount"), "trycount") or 0
    at += 1
    rows = []
    for number in range(1, tries + 1):
        block = fields[at:at + TRY_FIELDS]
        if len(block) < TRY_FIELDS:
            raise ValueError(f"the record ends inside try {number} of {tries}")
        count = _integer(block[8], f"try {number} status line count") or 0
        lines = fields[at + TRY_FIELDS:at + TRY_FIELDS + count]
        at += TRY_FIELDS + count
        if len(lines) < count or at + 2 > len(fields):
            raise ValueError(f"the record ends inside try {number}'s {count} status lines")
        status = _integer(block[6], f"try {number} status")
        rows.append({
            **job, "try_number": number, "tries": tries,
            "server": block[2] or job["server"], "host": block[2] or job["server"],
            "try_started": _epoch(block[3], f"try {number} started"),
            "try_elapsed": _elapsed(block[4]),
            "try_ended": _epoch(block[5], f"try {number} ended"),
            "status": status, "status_description": block[7] or None,
            "status_lines": "\n".join(lines) or None,
            "message": (lines[-1] or None) if lines else None,
            "kbytes": _integer(fields[at], f"try {number} kbytes written"),
            "files": _integer(fields[at + 1], f"try {number} files written"),
        })
        at += 2
    parent = _integer(fields[at], "parentjob") if at < len(fields) else None
    if not rows:  # queued: no try yet
        rows.append({**job, "tries": 0, "try_number": None, "try_started": None,
                     "try_ended": None, "try_elapsed": None})
    return [_finish({**row, "parent_job": parent}) for row in rows]


def _most_columns(fields: list[str]) -> list[dict[str, object]]:
    if len(fields) < MOST_COLUMNS:
        raise ValueError(f"only {len(fields)} fields (a -most_columns record has at least "
                         f"{MOST_COLUMNS})")
    job = _job(fields)
    return [_finish({**job, "tries": None, "parent_job": _integer(fields[33], "parentjob")})]


def _field(fields: list[str], at: int, what: str) -> str:
    if at >= len(fields):
        raise ValueError(f"the record ends before {what} (field {at + 1})")
    return fields[at]


def _stamps(messages: pd.Series, zone) -> pd.Series:
    """UTC time of each status line's ``MM/DD/YYYY HH:MM:SS`` stamp (host-local in ``zone``)."""
    local = []
    for text in messages.fillna("").astype(str):
        match = _STAMP.match(text)
        try:
            month, day, year, hour, minute, second = map(int, match.groups()) if match else ()
            local.append(datetime(year, month, day, hour, minute, second))
        except (TypeError, ValueError):
            local.append(None)
    values = pd.to_datetime(pd.Series(local, dtype=object)).to_numpy("M8[ns]").view(np.int64)
    utc = zone.to_utc(values) if len(values) else values
    return pd.Series(utc.view("M8[ns]"), index=messages.index).dt.tz_localize("UTC")
