"""Byte spans found by a compiled field finder -> Arrow columns, without a Python object per row.

A text field comes out of a finder as two int64 arrays, start and end (start -1: absent). Its
column is built by gathering the spans' bytes into one new buffer with their offsets (compiled,
one pass) and handing both to ``pyarrow.LargeStringArray.from_buffers``; absent values become
nulls through a validity bitmap. The block's bytes are not kept alive by the column. Fields that
repeat (interfaces, reasons, users, syslog headers) are hashed in the same compiled way and only
their distinct values gathered (:func:`encode`).
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


def arrow_copy(values: np.ndarray) -> pa.Buffer:
    """A copy of ``values`` in Arrow's memory pool: a column that is later replaced by Arrow
    kernels (e.g. swapped with ``if_else``) then frees memory that the replacement reuses."""
    buffer = pa.allocate_buffer(values.nbytes)
    np.frombuffer(buffer, dtype=values.dtype)[:] = values
    return buffer


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


_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


@njit(nogil=True, cache=True)
def _same(data: np.ndarray, a: int, a_end: int, b: int, b_end: int) -> bool:
    if a_end - a != b_end - b:
        return False
    for k in range(a_end - a):  # noqa: SIM110 (a generator does not compile)
        if data[a + k] != data[b + k]:
            return False
    return True


@njit(nogil=True, cache=True)
def _hash(data: np.ndarray, start: int, end: int) -> np.uint64:
    """FNV-1a over 8-byte words (then the remaining bytes): one multiply per word."""
    h = _FNV_OFFSET ^ np.uint64(end - start)
    k = start
    while k + 8 <= end:
        word = np.uint64(0)
        for j in range(8):
            word |= np.uint64(data[k + j]) << np.uint64(8 * j)
        h = (h ^ word) * _FNV_PRIME
        h ^= h >> np.uint64(32)
        k += 8
    while k < end:
        h = (h ^ np.uint64(data[k])) * _FNV_PRIME
        k += 1
    return h


@njit(nogil=True, cache=True)
def new_table(capacity: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An empty table of distinct values for :func:`intern`: (slots, distinct spans (2, capacity),
    their hashes); ``capacity`` bounds the number of distinct values (the rows, say)."""
    return (np.full(1024, -1, np.int64), np.empty((2, capacity), np.int64),
            np.empty(capacity, np.uint64))


@njit(nogil=True, cache=True)
def intern(data: np.ndarray, start: int, end: int, slots: np.ndarray, spans: np.ndarray,
           hashes: np.ndarray, count: int) -> tuple[int, np.ndarray, int]:
    """The code of the text ``data[start:end]`` among the ``count`` distinct values seen so far
    (open addressing, at most half full), adding it if new: (code, slots, count). ``slots`` is
    replaced when it grows; ``spans`` keeps where each distinct value was first seen."""
    h = _hash(data, start, end)
    mask = np.uint64(len(slots) - 1)
    slot = h & mask
    while True:
        d = slots[slot]
        if d < 0:
            break
        if hashes[d] == h and _same(data, spans[0, d], spans[1, d], start, end):
            return d, slots, count
        slot = (slot + np.uint64(1)) & mask
    slots[slot] = count
    spans[0, count], spans[1, count], hashes[count] = start, end, h
    count += 1
    if 2 * count > len(slots):
        slots = np.full(2 * len(slots), -1, np.int64)
        mask = np.uint64(len(slots) - 1)
        for j in range(count):
            at = hashes[j] & mask
            while slots[at] >= 0:
                at = (at + np.uint64(1)) & mask
            slots[at] = j
    return count - 1, slots, count


@njit(nogil=True, cache=True)
def _encode(data: np.ndarray, start: np.ndarray, end: np.ndarray,
            ) -> tuple[np.ndarray, np.ndarray]:
    """(code per span, -1 where absent; the distinct values' spans (2, k))."""
    codes = np.full(len(start), -1, np.int32)
    slots, spans, hashes = new_table(len(start))
    count = 0
    for i in range(len(start)):
        if start[i] >= 0:
            codes[i], slots, count = intern(data, start[i], end[i], slots, spans, hashes, count)
    return codes, spans[:, :count]


def encode(data: np.ndarray, start: np.ndarray, end: np.ndarray,
           ) -> tuple[np.ndarray, pa.LargeStringArray]:
    """Distinct texts of the spans, each gathered once: (int32 code per span, -1 where absent;
    the distinct values in order of first appearance). For fields that repeat (interfaces,
    reasons, users, syslog headers)."""
    codes, distinct = _encode(data, start, end)
    return codes, strings(data, distinct[0], distinct[1])


def dictionary(data: np.ndarray, start: np.ndarray, end: np.ndarray) -> pa.DictionaryArray:
    """A low-cardinality text field as an Arrow dictionary array (nulls where absent)."""
    codes, values = encode(data, start, end)
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), values)


@njit(nogil=True, cache=True)
def _gather_rows(data: np.ndarray, start: np.ndarray, end: np.ndarray,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_gather` of several fields (rows of ``start``/``end``) reading the block once, row
    by row: (offsets per field (fields, n + 1), all fields' bytes, each field's first byte)."""
    fields, n = start.shape
    offsets = np.zeros((fields, n + 1), np.int64)
    base = np.zeros(fields + 1, np.int64)
    for f in range(fields):
        total = 0
        for i in range(n):
            if start[f, i] >= 0:
                total += end[f, i] - start[f, i]
            offsets[f, i + 1] = total
        base[f + 1] = base[f] + total
    out = np.empty(base[fields], np.uint8)
    for i in range(n):
        for f in range(fields):
            if start[f, i] < 0:
                continue
            at = base[f] + offsets[f, i]
            for k in range(start[f, i], end[f, i]):
                out[at] = data[k]
                at += 1
    return offsets, out, base


def strings_of_rows(data: np.ndarray, start: np.ndarray, end: np.ndarray,
                    ) -> list[pa.LargeStringArray]:
    """:func:`strings` of several fields at once (``start``/``end`` of shape (fields, rows)):
    one pass over the block, row by row, so each line is read from memory once for all its
    fields (the fields of a line share its cache lines)."""
    offsets, out, base = _gather_rows(data, start, end)
    columns = []
    for f in range(start.shape[0]):
        present = start[f] >= 0
        missing = len(present) - int(present.sum())
        validity = (None if not missing
                    else pa.py_buffer(np.packbits(present, bitorder="little")))
        columns.append(pa.LargeStringArray.from_buffers(
            start.shape[1], pa.py_buffer(offsets[f]), pa.py_buffer(out[base[f]:base[f + 1]]),
            validity, missing))
    return columns


@njit(nogil=True, cache=True)
def _encode_rows(data: np.ndarray, start: np.ndarray, end: np.ndarray,
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_encode` of several fields, row by row: (codes (fields, n), distinct spans
    (fields, 2, n), distinct count per field)."""
    fields, n = start.shape
    codes = np.full((fields, n), -1, np.int32)
    size = 1024
    while size < 2 * n + 2:  # never more than half full: no table grows
        size *= 2
    slots = np.full((fields, size), -1, np.int64)
    spans = np.empty((fields, 2, n), np.int64)
    hashes = np.empty((fields, n), np.uint64)
    count = np.zeros(fields, np.int64)
    last = np.full(fields, -1, np.int64)
    for i in range(n):
        for f in range(fields):
            at = start[f, i]
            if at < 0:
                continue
            code = last[f]  # a value like the row before's (a device, a zone) skips the hash
            if code < 0 or not _same(data, spans[f, 0, code], spans[f, 1, code], at, end[f, i]):
                code, _, count[f] = intern(data, at, end[f, i], slots[f], spans[f], hashes[f],
                                           count[f])
                last[f] = code
            codes[f, i] = code
    return codes, spans, count


def dictionaries_of_rows(data: np.ndarray, start: np.ndarray, end: np.ndarray,
                         ) -> list[pa.DictionaryArray]:
    """:func:`dictionary` of several fields at once (``start``/``end`` of shape (fields, rows)),
    reading each line once for all its fields (see :func:`strings_of_rows`)."""
    codes, spans, count = _encode_rows(data, start, end)
    out = []
    for f in range(start.shape[0]):
        distinct = spans[f, :, :count[f]]
        values = strings(data, np.ascontiguousarray(distinct[0]),
                         np.ascontiguousarray(distinct[1]))
        out.append(pa.DictionaryArray.from_arrays(pa.array(codes[f], mask=codes[f] < 0), values))
    return out


def span_codes(data: np.ndarray, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Equal int32 codes for spans of equal text (-1 where absent), in order of first
    appearance, without gathering the distinct values (compare text without a string object)."""
    return _encode(data, start, end)[0]


@njit(nogil=True, cache=True)
def _encode_repeated(data: np.ndarray, start: np.ndarray, end: np.ndarray,
                     ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_encode` with a small cache of recent values (by length and end bytes) in front of
    the hash table: a field with a handful of values mostly skips hashing (the byte comparison
    is written out here: a call per row costs more than the comparison)."""
    codes = np.full(len(start), -1, np.int32)
    slots, spans, hashes = new_table(len(start))
    count = 0
    recent = np.full(64, -1, np.int64)
    for i in range(len(start)):
        b, e = start[i], end[i]
        if b < 0:
            continue
        slot = ((e - b) * 7 + (data[b] * 3 + data[e - 1] if e > b else 0)) & 63
        code = recent[slot]
        if code >= 0:
            seen = spans[0, code]
            if spans[1, code] - seen != e - b:
                code = -1
            else:
                for k in range(e - b):
                    if data[seen + k] != data[b + k]:
                        code = -1
                        break
        if code < 0:
            code, slots, count = intern(data, b, e, slots, spans, hashes, count)
            recent[slot] = code
        codes[i] = code
    return codes, spans[:, :count]


def encode_repeated(data: np.ndarray, start: np.ndarray, end: np.ndarray,
                    ) -> tuple[np.ndarray, pa.LargeStringArray]:
    """:func:`encode` for a field of a handful of values repeated on most rows (an action,
    a protocol, a device name): the same result, quicker."""
    codes, distinct = _encode_repeated(data, start, end)
    return codes, strings(data, distinct[0], distinct[1])


def dictionary_repeated(data: np.ndarray, start: np.ndarray, end: np.ndarray,
                        ) -> pa.DictionaryArray:
    """:func:`dictionary` through :func:`encode_repeated`."""
    codes, values = encode_repeated(data, start, end)
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0), values)


@njit(nogil=True, cache=True)
def span_hash(data: np.ndarray, start: int, end: int) -> np.uint64:
    """The hash of ``data[start:end]`` that :func:`intern` uses, for callers that compare
    hashes of spans themselves (equal text, equal hash)."""
    return _hash(data, start, end)
