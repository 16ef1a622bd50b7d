"""A block of log bytes -> Arrow string arrays over the same memory, ready for RE2 kernels.

No line ever becomes a Python string here: newline positions come from numpy, and the arrays are
offsets laid over the block's own buffer. Two views are made of each line:

* ``heads(rows)``: the text before the first ``%`` (the syslog header; a copy, as headers are
  short and get dictionary-encoded);
* ``bodies``: from the first ``%`` on, **without copying**: element ``i`` runs from line ``i``'s
  ``%`` to line ``i+1``'s ``%``, so it also holds the next line's header. The message patterns
  never cross a newline, so that tail is never read; a body is only looked at where ``has_tag``.

Invalid UTF-8 is rare, so a block is validated in one Arrow call and only a block that fails is
decoded line by line with replacement characters (and its bad lines counted).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

_NEWLINE, _PERCENT, _TAB, _CR = 10, 37, 9, 13


@dataclass(frozen=True)
class Lines:
    """One block's lines as Arrow arrays (see the module docstring)."""

    text: pa.LargeStringArray
    bodies: pa.LargeStringArray
    #: the block's bytes (as bytes and as the Arrow buffer over them), each line's start, and
    #: its first ``%`` (its end where it has none)
    raw: bytes
    buffer: pa.Buffer
    starts: np.ndarray
    cut: np.ndarray
    #: the line has a ``%`` (so ``bodies`` holds its message)
    has_tag: np.ndarray
    #: the line has control characters other than tab and a CR before its newline
    control: np.ndarray
    #: lines whose invalid UTF-8 was replaced
    decode_errors: int

    def __len__(self) -> int:
        return len(self.text)

    def ends_without_newline(self) -> np.ndarray:
        """Each line's end, its newline excluded."""
        ends = np.append(self.starts[1:], len(self.raw))
        ends -= (ends > self.starts) & (np.frombuffer(self.raw, np.uint8)[ends - 1] == _NEWLINE)
        return ends


def split_lines(block: bytes) -> Lines:
    """Cut a newline-aligned block into lines (the last one may lack its newline)."""
    block, decode_errors = _valid_utf8(block)
    data = np.frombuffer(block, dtype=np.uint8)
    scratch = _scratch(len(data))
    low = np.flatnonzero(np.less(data, 32, out=scratch))  # newlines, tabs, CRs, other controls
    low_values = data[low]
    newlines = low[low_values == _NEWLINE]
    ends = newlines + 1
    if len(data) and data[-1] != _NEWLINE:
        ends = np.append(ends, len(data))
    ends = ends.astype(np.int64)
    n = len(ends)
    starts = np.concatenate(([0], ends[:-1])).astype(np.int64) if n else ends

    percents = np.flatnonzero(np.equal(data, _PERCENT, out=scratch))
    first = np.minimum(np.searchsorted(percents, starts), max(len(percents) - 1, 0))
    cut = percents[first] if len(percents) else ends
    has_tag = (cut >= starts) & (cut < ends)
    cut = np.where(has_tag, cut, ends)

    control = _control_lines(low, low_values, data, starts, n)
    buffer = pa.py_buffer(block)
    text = _strings(np.append(starts, len(data)), buffer)
    return Lines(text, views(buffer, cut), block, buffer, starts, cut, has_tag, control,
                 decode_errors)


_LOCAL = threading.local()


def _scratch(size: int) -> np.ndarray:
    """A per-thread boolean buffer reused across blocks (fresh ones cost page faults)."""
    buffer = getattr(_LOCAL, "scratch", None)
    if buffer is None or len(buffer) < size:
        buffer = _LOCAL.scratch = np.empty(size, dtype=bool)
    return buffer[:size]


def views(buffer: pa.Buffer, starts: np.ndarray) -> pa.LargeStringArray:
    """Zero-copy strings starting at the increasing byte positions ``starts``; each runs on to
    the next one's start (or the end of the block), so readers must stop at a newline."""
    return _strings(np.append(starts, buffer.size).astype(np.int64), buffer)


def _strings(offsets: np.ndarray, buffer: pa.Buffer) -> pa.LargeStringArray:
    return pa.LargeStringArray.from_buffers(len(offsets) - 1, pa.py_buffer(offsets), buffer)


def _control_lines(low: np.ndarray, values: np.ndarray, data: np.ndarray, starts: np.ndarray,
                   n: int) -> np.ndarray:
    bad = (values != _NEWLINE) & (values != _TAB)
    # a CR right before the newline (or at the very end) is a CRLF line ending, not data
    is_cr = values == _CR
    cr_pos = low[is_cr]
    line_end_cr = (cr_pos + 1 == len(data)) | (data[np.minimum(cr_pos + 1, len(data) - 1)]
                                                  == _NEWLINE)
    bad[np.flatnonzero(is_cr)[line_end_cr]] = False
    mask = np.zeros(n, dtype=bool)
    mask[np.searchsorted(starts, low[bad], side="right") - 1] = True
    return mask


def _valid_utf8(block: bytes) -> tuple[bytes, int]:
    whole = pa.LargeStringArray.from_buffers(
        1, pa.py_buffer(np.array([0, len(block)], dtype=np.int64)), pa.py_buffer(block))
    try:
        whole.validate(full=True)
    except pa.ArrowInvalid:
        pass
    else:
        return block, 0
    bad = 0
    lines = block.split(b"\n")
    for i, line in enumerate(lines):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
            lines[i] = line.decode("utf-8", errors="replace").encode("utf-8")
    return b"\n".join(lines), bad
