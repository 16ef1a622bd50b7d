"""Compiled primitives for reading fields out of log bytes, shared by every vendor's field finder.

A field finder is one ``@njit(nogil=True)`` pass over a block's lines (a ``numpy.uint8`` view of
the block's bytes): it walks each line once, records each field as a byte span (start, end; -1
for absent) and reads numbers in place, writing into preallocated arrays. Nothing becomes a
Python object per line; :mod:`.columns` then turns the spans into Arrow columns. These helpers
are the vocabulary such a pass is written in: each takes the bytes, a position and the line's
end, and returns the position after what it matched, or ``-1`` when it does not match.

Compiled on first use and cached on disk (``cache=True``: ``__pycache__`` beside this module,
else numba's per-user cache directory, or ``NUMBA_CACHE_DIR``).
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

NO_MATCH = -1
#: digits beyond this many are counted but not accumulated (uint64 holds any 19-digit number)
EXACT_DIGITS = 19
_ZERO, _NINE = 48, 57
_SPACE, _TAB, _LF, _FF, _CR = 32, 9, 10, 12, 13
_OPEN, _CLOSE = 40, 41


def literal(text: str) -> np.ndarray:
    """A literal for :func:`match` (module-level constants are frozen into the compiled code)."""
    return np.frombuffer(text.encode("ascii"), dtype=np.uint8).copy()


@njit(nogil=True, cache=True)
def match(data: np.ndarray, at: int, end: int, text: np.ndarray) -> int:
    """Position after ``text`` if the bytes at ``at`` spell it, else -1."""
    if at < 0 or at + len(text) > end:
        return NO_MATCH
    for k in range(len(text)):
        if data[at + k] != text[k]:
            return NO_MATCH
    return at + len(text)


@njit(nogil=True, cache=True)
def is_space(byte: int) -> bool:
    """RE2's ``\\s``: tab, newline, form feed, carriage return, space."""
    return byte in (_SPACE, _TAB, _LF, _FF, _CR)


@njit(nogil=True, cache=True)
def is_digit(byte: int) -> bool:
    """A decimal digit."""
    return _ZERO <= byte <= _NINE


@njit(nogil=True, cache=True)
def non_space_run(data: np.ndarray, at: int, end: int) -> int:
    """End of ``\\S+`` at ``at`` (-1 when it is empty)."""
    k = at
    while k < end and not is_space(data[k]):
        k += 1
    return k if k > at else NO_MATCH


@njit(nogil=True, cache=True)
def run_until(data: np.ndarray, at: int, end: int, stop: int, also_space: bool) -> int:
    """End of a non-empty run of bytes other than ``stop`` (and whitespace when
    ``also_space``) that is followed by ``stop``; -1 otherwise."""
    k = at
    while k < end:
        byte = data[k]
        if byte == stop:
            return k if k > at else NO_MATCH
        if also_space and is_space(byte):
            return NO_MATCH
        k += 1
    return NO_MATCH


@njit(nogil=True, cache=True)
def digit_count(data: np.ndarray, at: int, end: int) -> int:
    """How many decimal digits start at ``at``."""
    k = at
    while k < end and _ZERO <= data[k] <= _NINE:
        k += 1
    return k - at


@njit(nogil=True, cache=True)
def number(data: np.ndarray, at: int, count: int) -> np.uint64:
    """Value of the ``count`` digits at ``at`` (the first :data:`EXACT_DIGITS` of them): callers
    reject a field whose digit count is out of range, so no value wraps unnoticed."""
    value = np.uint64(0)
    for k in range(min(count, EXACT_DIGITS)):
        value = value * np.uint64(10) + np.uint64(data[at + k] - _ZERO)
    return value


@njit(nogil=True, cache=True)
def parenthesised(data: np.ndarray, at: int, end: int) -> int:
    """Position after ``\\([^()\\n]*\\)`` at ``at``, else -1."""
    if at >= end or data[at] != _OPEN:
        return NO_MATCH
    k = at + 1
    while k < end:
        byte = data[k]
        if byte == _CLOSE:
            return k + 1
        if byte in (_OPEN, _LF):
            return NO_MATCH
        k += 1
    return NO_MATCH


@njit(nogil=True, cache=True)
def find_byte(data: np.ndarray, at: int, end: int, byte: int) -> int:
    """First position of ``byte`` in ``[at, end)``, else -1."""
    for k in range(at, end):
        if data[k] == byte:
            return k
    return NO_MATCH


@njit(nogil=True, cache=True)
def text_end(data: np.ndarray, at: int, end: int) -> int:
    """End of ``[^\\r\\n]*`` from ``at`` (the line's text without a CR)."""
    k = at
    while k < end and data[k] != _CR and data[k] != _LF:
        k += 1
    return k


_QUOTE, _COMMA = 34, 44
#: :func:`csv_field`'s ``next`` when the field is the line's last, or its quote never closes
LAST_FIELD, UNCLOSED_QUOTE = -1, -2


@njit(nogil=True, cache=True)
def csv_field(data: np.ndarray, at: int, end: int) -> tuple[int, int, int, bool]:
    """One comma-separated field at ``at`` read by Arrow's CSV rules: (value start, value end,
    next field's start, escaped).

    A field starting with ``"`` is quoted: commas inside are text, ``""`` is one quote, and text
    after the closing quote is read on as is (``"ab"cd`` is ``abcd``); a quote elsewhere is text.
    ``next`` is :data:`LAST_FIELD` after the line's last field and :data:`UNCLOSED_QUOTE` when a
    quote is still open at ``end``. ``escaped`` fields (doubled quotes or text after the closing
    quote) are returned as their raw span: :func:`csv_unescape` writes their value."""
    if at >= end or data[at] != _QUOTE:
        k = at
        while k < end and data[k] != _COMMA:
            k += 1
        return at, k, (k + 1 if k < end else LAST_FIELD), False
    k = at + 1
    escaped = False
    while True:
        if k >= end:
            return at, end, UNCLOSED_QUOTE, False
        if data[k] == _QUOTE:
            if k + 1 < end and data[k + 1] == _QUOTE:
                escaped = True
                k += 2
                continue
            break
        k += 1
    close = k
    k += 1
    while k < end and data[k] != _COMMA:
        k += 1
    nxt = k + 1 if k < end else LAST_FIELD
    if escaped or k > close + 1:
        return at, k, nxt, True
    return at + 1, close, nxt, False


@njit(nogil=True, cache=True)
def csv_unescape(data: np.ndarray, at: int, end: int) -> int:
    """Write the value of the escaped field ``data[at:end]`` (see :func:`csv_field`) over its
    own first bytes (it is never longer); returns the value's end (it starts at ``at``)."""
    out = at
    k = at + 1
    while k < end:
        byte = data[k]
        if byte == _QUOTE:
            if k + 1 < end and data[k + 1] == _QUOTE:
                data[out] = byte
                out += 1
                k += 2
                continue
            k += 1
            break
        data[out] = byte
        out += 1
        k += 1
    while k < end:
        data[out] = data[k]
        out += 1
        k += 1
    return out


@njit(nogil=True, cache=True)
def civil_days(year: int, month: int, day: int) -> int:
    """Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's ``days_from_civil``),
    for stamps read in place."""
    y = year - (month <= 2)
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468


@intrinsic
def word_at(typingctx, data, at):
    """``word_at(data, at)``: the 8 bytes ``data[at:at + 8]`` of a uint8 array as one
    ``uint64`` (little-endian: every platform numba supports), in one unaligned load, for
    comparing and masking text a word at a time (a loop of eight byte loads and shifts is not
    merged by the compiler: ~8x slower). The caller guarantees ``at + 8 <= len(data)``; no
    bounds check."""
    def codegen(context, builder, signature, args):
        array = context.make_array(signature.args[0])(context, builder, args[0])
        pointer = builder.gep(array.data, [args[1]])
        word = context.get_value_type(types.uint64).as_pointer()
        return builder.load(builder.bitcast(pointer, word), align=1)
    return types.uint64(data, at), codegen
