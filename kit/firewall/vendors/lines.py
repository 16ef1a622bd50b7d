"""A block of log bytes -> its lines as Arrow strings over the block's own memory.

The non-Cisco vendors share this: newline positions come from numpy, each line is an
(offset, length) view of the block, and any byte range of a line (a header, a CSV body, a
key's value) is another view of the same buffer, made without copying the text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import blocks

_CR = 13


@dataclass(frozen=True)
class Lines:
    """The lines of one block: ``text`` (no line ending), byte ``starts``/``ends`` in ``buffer``."""

    buffer: pa.Buffer
    starts: np.ndarray
    ends: np.ndarray
    text: pa.LargeStringArray | None
    #: the line holds control characters other than tab (binary data, NUL runs)
    control: np.ndarray
    #: lines whose invalid UTF-8 was replaced
    decode_errors: int

    def __len__(self) -> int:
        return len(self.starts)

    def texts(self, rows: np.ndarray) -> pa.LargeStringArray:
        """The text of ``rows`` (also when ``text`` was not made: for the few lines a compiled
        field finder looks at as text)."""
        rows = np.asarray(rows, np.int64)
        return self.span(rows, self.starts[rows])

    def span(self, rows: np.ndarray, begin: np.ndarray, end: np.ndarray | None = None,
             ) -> pa.LargeStringArray:
        """Views of ``rows`` from byte ``begin`` (absolute) to ``end`` (default: line end)."""
        stop = self.ends[rows] if end is None else end
        return substrings(self.buffer, np.asarray(begin, np.int64), np.asarray(stop, np.int64))



def substrings(buffer: pa.Buffer, begin: np.ndarray, end: np.ndarray) -> pa.LargeStringArray:
    """Strings ``buffer[begin[i]:end[i]]`` without copying (pairs of offsets, every second one
    taken: the in-between strings are never read)."""
    n = len(begin)
    if not n:
        return pa.array([], pa.large_string())
    end = np.maximum(end, begin)
    order = None
    if np.any(begin[1:] < begin[:-1]):  # views in another order: lay them out sorted
        order = np.argsort(begin, kind="stable")
        begin, end = begin[order], end[order]
    pairs = np.empty(2 * n, dtype=np.int64)
    pairs[0::2], pairs[1::2] = begin, end
    if np.any(pairs[1:] < pairs[:-1]):  # overlapping spans (not made here): copy each one
        data = memoryview(buffer)
        strings = pa.array([bytes(data[b:e]).decode("utf-8") for b, e in zip(begin, end,
                                                                                strict=True)],
                           pa.large_string())
    else:
        strings = pa.LargeStringArray.from_buffers(2 * n - 1, pa.py_buffer(pairs), buffer).take(
            pa.array(np.arange(0, 2 * n, 2)))
    if order is None:
        return strings
    inverse = np.empty(n, np.int64)
    inverse[order] = np.arange(n)
    return strings.take(pa.array(inverse))


def split_lines(block: bytes, *, text: bool = True) -> Lines:
    """Cut a newline-aligned block into lines with the compiled splitter
    (``blocks.split_lines``); a CR before the newline is not part of a line. ``text=False``
    leaves ``Lines.text`` out for a compiled field finder, which looks at the few lines it needs
    through ``Lines.texts``."""
    found = blocks.split_lines(block)
    data, starts, ends = found.data, found.starts, found.ends
    ends = ends - ((ends > starts) & (data[np.maximum(ends - 1, 0)] == _CR) if len(ends)
                   else 0)
    return Lines(found.buffer, starts, ends,
                 substrings(found.buffer, starts, ends) if text else None, found.control,
                 found.decode_errors)


def matches(text: pa.Array, pattern: str) -> np.ndarray:
    """Boolean per string: RE2 ``pattern`` found (nulls are False)."""
    if not len(text):
        return np.zeros(0, bool)
    return pc.fill_null(pc.match_substring_regex(text, pattern), False).to_numpy(
        zero_copy_only=False)
