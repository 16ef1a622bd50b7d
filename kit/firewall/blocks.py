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
    block, decode_errors = valid_utf8(block)
    data = np.frombuffer(block, dtype=np.uint8)
    starts, ends, cut, has_tag, control = _split(data)
    buffer = pa.py_buffer(block)
    text = pa.LargeStringArray.from_buffers(
        len(starts), pa.py_buffer(np.append(starts, len(data))), buffer)
    return Lines(text, block, buffer, data, starts, ends, cut, has_tag, control, decode_errors)


_ONES = np.uint64(0x0101010101010101)
_HIGH = np.uint64(0x8080808080808080)
_BELOW_SPACE = np.uint64(0x2020202020202020)
_PERCENTS = np.uint64(0x2525252525252525)


def _split(data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                      np.ndarray]:
    """(starts, ends, cut, has_tag, control) of the lines of ``data`` (see :class:`Lines`)."""
    lines = int(np.count_nonzero(data == _NEWLINE)) + int(bool(len(data))
                                                          and data[-1] != _NEWLINE)
    return _scan_lines(data, data[:len(data) // 8 * 8].view(np.uint64), lines)


@njit(nogil=True, cache=True)
def _scan_lines(data: np.ndarray, words: np.ndarray, lines: int,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Eight bytes at a time: a word without a control byte or a ``%`` (the common case) is
    skipped with two bit tests; the bytes of the others are looked at one by one."""
    starts = np.zeros(lines, np.int64)
    ends = np.empty(lines, np.int64)
    cut = np.full(lines, -1, np.int64)
    control = np.zeros(lines, np.bool_)
    size = len(data)
    line = 0
    for w in range(len(words) + 1):
        if w < len(words):
            x = words[w]
            marks = x ^ _PERCENTS
            if ((x - _BELOW_SPACE) & ~x & _HIGH) == 0 and ((marks - _ONES) & ~marks & _HIGH) == 0:
                continue
            first, last = 8 * w, 8 * w + 8
        else:
            first, last = 8 * len(words), size
        for k in range(first, last):
            byte = data[k]
            if byte == _PERCENT:
                if cut[line] < 0:
                    cut[line] = k
            elif byte == _NEWLINE:
                ends[line] = k
                line += 1
                if line < lines:
                    starts[line] = k + 1
            elif byte < 32 and byte != _TAB and not (
                    byte == _CR and (k + 1 == size or data[k + 1] == _NEWLINE)):
                control[line] = True
    if line < lines:  # the last line has no newline
        ends[line] = size
    has_tag = cut >= 0
    for i in range(lines):
        if cut[i] < 0:
            cut[i] = ends[i]
    return starts, ends, cut, has_tag, control


def views(buffer: pa.Buffer, starts: np.ndarray) -> pa.LargeStringArray:
    """Zero-copy strings starting at the increasing byte positions ``starts``; each runs on to
    the next one's start (or the end of the block), so readers must stop at a newline (for the
    RE2 layouts of rare messages, ``denies``)."""
    offsets = np.append(np.asarray(starts, dtype=np.int64), buffer.size)
    return pa.LargeStringArray.from_buffers(len(starts), pa.py_buffer(offsets), buffer)


def valid_utf8(block: bytes) -> tuple[bytes, int]:
    """The block unchanged when it is valid UTF-8 (one Arrow check), else each bad line with
    replacement characters, and how many lines were bad (shared by every vendor's reader)."""
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


def split_bytes(data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                           np.ndarray]:
    """(starts, ends, cut, has_tag, control) of the lines of ``data`` (uint8; see
    :class:`Lines`), for a reader that makes its own line views (``vendors.lines``)."""
    return _split(data)
