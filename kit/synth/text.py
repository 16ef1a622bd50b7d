"""Vectorised text building on Arrow string arrays: the one place lines are glued together.

Every formatter in ``kit.synth`` works on whole columns at once (a scalar ``str`` broadcasts), so
the 5-million-line benchmark log and the 5,000-line sample case share the same templates and the
big one still writes in seconds: Arrow's ``binary_join_element_wise`` and ``cast`` run in C.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: something that can stand for one text column: a scalar broadcasts, arrays are cast to text
Text = str | int | pa.Array | pa.ChunkedArray | np.ndarray | list

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_PAD2 = pa.array([f"{i:02d}" for i in range(100)])


def text(value: Any) -> str | pa.Array:
    """One column as Arrow strings (or a plain ``str`` scalar, which Arrow broadcasts)."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, np.integer)):
        return str(value)
    if isinstance(value, pa.ChunkedArray):
        value = value.combine_chunks()
    arr = value if isinstance(value, pa.Array) else pa.array(value)
    return arr if arr.type == pa.string() else arr.cast(pa.string())


def join(*parts: Text) -> pa.Array | str:
    """Concatenate columns element-wise (all-scalar parts give a plain ``str``)."""
    columns = [text(p) for p in parts]
    if not any(isinstance(c, pa.Array) for c in columns):
        return "".join(columns)
    return pc.binary_join_element_wise(*columns, "")


def optional(mask: Any, value: Text) -> pa.Array | str:
    """``value`` where ``mask`` is true, else the empty string (for optional message parts)."""
    if isinstance(mask, (bool, np.bool_)):
        return text(value) if mask else ""
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), text(value), "")


def where(mask: Any, yes: Text, no: Text) -> pa.Array:
    """Element-wise choice between two columns."""
    return pc.if_else(pa.array(np.asarray(mask, dtype=bool)), text(yes), text(no))


def pad2(values: np.ndarray) -> pa.Array:
    """Integers 0..99 as two-digit, zero-padded strings."""
    return _PAD2.take(pa.array(np.asarray(values, dtype=np.int64)))


def hms(seconds: np.ndarray) -> pa.Array:
    """Durations as Cisco's ``H+:MM:SS`` (hours unbounded, e.g. ``92:24:20``)."""
    secs = np.asarray(seconds, dtype=np.int64)
    return join(secs // 3600, ":", pad2(secs // 60 % 60), ":", pad2(secs % 60))


def stamps(epoch_seconds: np.ndarray, style: str, zone: str = "UTC") -> pa.Array:
    """Format epoch seconds as syslog stamps in ``zone``; each distinct second is formatted once.

    ``style`` is ``"rfc3164"`` (``Jun  2 16:54:07``, space-padded day, no year) or ``"cisco"``
    (``Jun 02 2009 21:54:05``, the ASA ``logging timestamp`` format with the year).
    """
    secs = np.asarray(epoch_seconds, dtype=np.int64)
    unique, inverse = np.unique(secs, return_inverse=True)
    tzinfo = UTC if zone == "UTC" else ZoneInfo(zone)
    formatted = [_stamp(datetime.fromtimestamp(int(s), tz=tzinfo), style) for s in unique]
    return pa.array(formatted, pa.string()).take(pa.array(inverse.reshape(-1)))


def _stamp(moment: datetime, style: str) -> str:
    month = MONTHS[moment.month - 1]
    clock = f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    if style == "rfc3164":
        return f"{month} {moment.day:2d} {clock}"
    if style == "cisco":
        return f"{month} {moment.day:02d} {moment.year} {clock}"
    raise ValueError(f"unknown stamp style {style!r}: expected 'rfc3164' or 'cisco'")


def write_lines(stream: IO[bytes], lines: pa.Array) -> int:
    """Write each string of ``lines`` followed by a newline; returns the bytes written."""
    joined = pc.binary_join_element_wise(lines, "\n", "")
    if joined.null_count:
        raise ValueError("cannot write missing values as log lines")
    if not len(joined):
        return 0
    offsets = np.frombuffer(joined.buffers()[1], dtype=np.int32)
    first, last = offsets[joined.offset], offsets[joined.offset + len(joined)]
    stream.write(memoryview(joined.buffers()[2])[first:last])
    return int(last - first)
