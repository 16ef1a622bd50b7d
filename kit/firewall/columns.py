"""Byte spans found by a compiled field finder -> Arrow columns, without a Python object per row.

A text field comes out of a finder as two int64 arrays, start and end (start -1: absent). Its
column is built by gathering the spans' bytes into one new buffer with their offsets (compiled,
one pass) and handing both to ``pyarrow.LargeStringArray.from_buffers``; absent values become
nulls through a validity bitmap. The block's bytes are not kept alive by the column.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numba import njit


@njit(nogil=True, cache=True)
def _gather(data: np.ndarray, start: np.ndarray, end: np.ndarray,
            ) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.empty(len(start) + 1, np.int64)
    total = 0
    offsets[0] = 0
    for i in range(len(start)):
        if start[i] >= 0:
            total += end[i] - start[i]
        offsets[i + 1] = total
    out = np.empty(total, np.uint8)
    for i in range(len(start)):
        if start[i] < 0:
            continue
        at = offsets[i]
        for k in range(start[i], end[i]):
            out[at] = data[k]
            at += 1
    return offsets, out


def strings(data: np.ndarray, start: np.ndarray, end: np.ndarray) -> pa.LargeStringArray:
    """The text of each span ``data[start:end]`` as Arrow large strings (null where start < 0).

    The spans must lie on UTF-8 character boundaries of valid UTF-8 (a finder cuts at ASCII
    delimiters of a validated block, so they do)."""
    offsets, out = _gather(data, start, end)
    present = start >= 0
    missing = len(start) - int(present.sum())
    validity = (None if not missing
                else pa.py_buffer(np.packbits(present, bitorder="little")))
    return pa.LargeStringArray.from_buffers(len(start), pa.py_buffer(offsets), pa.py_buffer(out),
                                            validity, missing)


def dictionary(data: np.ndarray, start: np.ndarray, end: np.ndarray) -> pa.DictionaryArray:
    """A low-cardinality text field, dictionary-encoded (Arrow hashes the gathered text once)."""
    return strings(data, start, end).dictionary_encode()
