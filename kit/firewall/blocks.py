"""A block of log bytes -> its lines: where each starts and ends, where its message begins.

The block splitter every vendor's field finder starts from. No line ever becomes a Python string:
one compiled pass (:func:`_split`) finds each line's start, its first ``%`` (where a Cisco
message tag begins; a vendor without one ignores it) and whether it holds control characters
other than tab and a CRLF ending; ``text`` lays Arrow strings over the block's own buffer
(without copying) for the rare lines that are looked at as text (rejects, other programs).

Invalid UTF-8 is rare, so a block is validated in one Arrow call and only a block that fails is
decoded line by line with replacement characters (and its bad lines counted).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numba import njit

_NEWLINE, _PERCENT, _TAB, _CR = 10, 37, 9, 13


@dataclass(frozen=True)
class Lines:
    """One block's lines (see the module docstring)."""

    text: pa.LargeStringArray
    #: the block's bytes (as bytes, as the Arrow buffer over them and as a uint8 array)
    raw: bytes
    buffer: pa.Buffer
    data: np.ndarray
    #: each line's start, its end (newline excluded), and its first ``%`` (its end if none)
    starts: np.ndarray
    ends: np.ndarray
    cut: np.ndarray
    #: the line has a ``%``
    has_tag: np.ndarray
    #: the line has control characters other than tab and a CR before its newline
    control: np.ndarray
    #: lines whose invalid UTF-8 was replaced
    decode_errors: int

    def __len__(self) -> int:
        return len(self.starts)


def split_lines(block: bytes) -> Lines:
    """Cut a newline-aligned block into lines (the last one may lack its newline)."""
    block, decode_errors = _valid_utf8(block)
    data = np.frombuffer(block, dtype=np.uint8)
    starts, ends, cut, has_tag, control = _split(data)
    buffer = pa.py_buffer(block)
    text = pa.LargeStringArray.from_buffers(
        len(starts), pa.py_buffer(np.append(starts, len(data))), buffer)
    return Lines(text, block, buffer, data, starts, ends, cut, has_tag, control, decode_errors)


@njit(nogil=True, cache=True)
def _split(data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                      np.ndarray]:
    size = len(data)
    n = 0
    for k in range(size):
        if data[k] == _NEWLINE:
            n += 1
    if size and data[size - 1] != _NEWLINE:
        n += 1
    starts = np.empty(n, np.int64)
    ends = np.empty(n, np.int64)
    cut = np.empty(n, np.int64)
    has_tag = np.zeros(n, np.bool_)
    control = np.zeros(n, np.bool_)
    at = 0
    for i in range(n):
        starts[i] = at
        percent = -1
        k = at
        while k < size and data[k] != _NEWLINE:
            byte = data[k]
            if byte == _PERCENT and percent < 0:
                percent = k
            elif byte < 32 and byte != _TAB and not (
                    byte == _CR and (k + 1 == size or data[k + 1] == _NEWLINE)):
                control[i] = True
            k += 1
        ends[i] = k
        has_tag[i] = percent >= 0
        cut[i] = percent if percent >= 0 else k
        at = k + 1
    return starts, ends, cut, has_tag, control


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
