"""``key=value`` pairs (FortiGate, SRX structured data, conntrack) found in a block's bytes by one
compiled pass over each line.

The rule (order-free pairs, quoted or bare values): a byte is inside quotes after an odd number of
double quotes since its line's start; each ``=`` outside quotes ends a key that starts after the
last blank (space or tab) outside quotes, ``>`` or ``[`` before it (so a glued ``<PRI>`` or
``[SD-ID`` is cut off), and its value runs to the next blank outside quotes or the line's end;
a quoted value loses its quotes (and structured data's closing ``]``).

:func:`find` looks up only the wanted keys (:class:`Keys`) and returns each one's value span per
line, its first or its last occurrence, for the column builders (``kit.firewall.columns``) and
the number readers (:func:`integers`); :func:`pairs` returns every pair of the lines, for a
reader that asks for keys by name afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numba import njit

from .. import columns
from ..bytescan import EXACT_DIGITS
from .common import integers as text_integers
from .lines import Lines, substrings

_QUOTE, _SPACE, _TAB, _EQ, _GT, _OPEN, _CLOSE = 34, 32, 9, 61, 62, 91, 93
_ZERO, _NINE = 48, 57
#: a key name (what follows the last ``>`` or ``[`` of the text before ``=``)
_KEY = re.compile(r"[A-Za-z_][\w.-]*")
#: wanted keys are at most this long (the lookup table is indexed by length and first byte)
MAX_KEY = 64
_INT64_MAX = np.iinfo(np.int64).max
#: what each byte is to the pair rule (one table look-up a byte: quicker than comparisons)
_PLAIN, _QUOTES, _CUT, _BLANK, _EQUALS = 0, 1, 2, 3, 4
_KIND = np.zeros(256, np.uint8)
_KIND[[_QUOTE, _GT, _OPEN, _SPACE, _TAB, _EQ]] = [_QUOTES, _CUT, _CUT, _BLANK, _BLANK, _EQUALS]


@njit(nogil=True, cache=True)
def _grow(found: np.ndarray) -> np.ndarray:
    bigger = np.empty((3, 2 * found.shape[1]), np.int64)
    bigger[:, :found.shape[1]] = found
    return bigger


@njit(nogil=True, cache=True)
def line_pairs(data: np.ndarray, start: int, end: int, found: np.ndarray,
               ) -> tuple[int, np.ndarray]:
    """Every pair of the line ``data[start:end]`` (module docstring's rule), in order: per pair
    ``found[0]`` where its key name starts, ``found[1]`` its ``=``, ``found[2]`` where its raw
    value ends (see :func:`value_span`). Returns (count, found); ``found`` is replaced when it
    grows. Linear: the pairs of one blank-free run get their value end when the run ends."""
    count = 0
    waiting = 0  # the last ``waiting`` pairs still need their value's end
    inside = False
    name = start
    for k in range(start, end):
        kind = _KIND[data[k]]
        if kind == _PLAIN:
            continue
        if kind == _QUOTES:
            inside = not inside
        elif kind == _CUT:  # cut off a glued <PRI> or [SD-ID, quoted or not
            name = k + 1
        elif inside:
            continue
        elif kind == _BLANK:
            for p in range(count - waiting, count):
                found[2, p] = k
            waiting = 0
            name = k + 1
        else:  # an = outside quotes
            if count == found.shape[1]:
                found = _grow(found)
            found[0, count], found[1, count] = name, k
            count += 1
            waiting += 1
    for p in range(count - waiting, count):
        found[2, p] = end
    return count, found


@njit(nogil=True, cache=True, inline="always")
def value_span(data: np.ndarray, eq: int, stop: int) -> tuple[int, int]:
    """The value after the ``=`` at ``eq`` up to ``stop``: a leading quote and its closing quote
    (before a final ``]`` of structured data, which goes too) are not part of it."""
    begin, end = eq + 1, stop
    if end > begin and data[begin] == _QUOTE:
        if data[end - 1] == _CLOSE and end - 2 > begin and data[end - 2] == _QUOTE:
            end -= 1
        if end - 1 > begin and data[end - 1] == _QUOTE:
            end -= 1
        begin += 1
    return begin, end


class Keys:
    """The keys a reader wants, compiled for :func:`find`: one output column per
    ``(name, "first" | "last")`` (a bare name means its first occurrence)."""

    def __init__(self, *wanted: str | tuple[str, str]) -> None:
        self.columns = [(w, "first") if isinstance(w, str) else w for w in wanted]
        names = list(dict.fromkeys(name for name, _ in self.columns))
        if len(set(self.columns)) < len(self.columns):
            raise ValueError(f"a key is wanted twice the same way: {self.columns}")
        for name, which in self.columns:
            if not _KEY.fullmatch(name) or len(name) >= MAX_KEY or not name.isascii():
                raise ValueError(f"{name!r} cannot be a key")
            if which not in ("first", "last"):
                raise ValueError(f"{which!r}: expected 'first' or 'last'")
        encoded = [n.encode("ascii") for n in names]
        self.text = np.frombuffer(b"".join(encoded) or b"\0", np.uint8).copy()
        self.offsets = np.cumsum([0] + [len(e) for e in encoded]).astype(np.int64)
        self.head = np.full(MAX_KEY * 256, -1, np.int64)
        self.chain = np.full(len(names), -1, np.int64)
        for k in reversed(range(len(names))):
            slot = len(encoded[k]) * 256 + encoded[k][0]
            self.chain[k], self.head[slot] = self.head[slot], k
        self.first = np.full(len(names), -1, np.int64)
        self.last = np.full(len(names), -1, np.int64)
        for column, (name, which) in enumerate(self.columns):
            (self.first if which == "first" else self.last)[names.index(name)] = column

    def index(self, name: str, which: str = "first") -> int:
        """The output column of ``name`` (its first or last occurrence)."""
        return self.columns.index((name, which))


@dataclass
class Spans:
    """Per line and wanted column (:class:`Keys`): where its value starts and ends in ``data``
    (-1: the key is absent from the line), and the columns built from them."""

    data: np.ndarray
    keys: Keys
    begin: np.ndarray
    end: np.ndarray

    def __call__(self, name: str, at: np.ndarray | slice = slice(None), which: str = "first",
                 ) -> tuple[np.ndarray, np.ndarray]:
        """(begin, end) of ``name``'s value on the lines ``at`` (indices into the rows)."""
        column = self.keys.index(name, which)
        return (np.ascontiguousarray(self.begin[:, column][at]),
                np.ascontiguousarray(self.end[:, column][at]))

    def encoded(self, name: str, at: np.ndarray | slice = slice(None),
                ) -> tuple[np.ndarray, list[str]]:
        """(code per line, the distinct texts): a few-valued key looked at once per value; an
        absent key reads as the empty text."""
        codes, values = columns.encode_repeated(self.data, *filled(*self(name, at)))
        return codes, values.to_pylist()

    def text(self, name: str, at: np.ndarray | slice = slice(None), *, missing: str = "null",
             which: str = "first") -> pa.Array:
        """The values as strings; ``missing``: ``"null"`` (absent -> null), ``"empty"``
        (absent -> the empty text) or ``"blank"`` (absent or empty -> null)."""
        return columns.strings(self.data, *self._spans(name, at, missing, which))

    def dictionary(self, name: str, at: np.ndarray | slice = slice(None), *,
                   missing: str = "null") -> pa.DictionaryArray:
        """As :meth:`text`, dictionary-encoded (for few-valued keys)."""
        return columns.dictionary_repeated(self.data, *self._spans(name, at, missing, "first"))

    def _spans(self, name: str, at: np.ndarray | slice, missing: str, which: str,
               ) -> tuple[np.ndarray, np.ndarray]:
        begin, end = self(name, at, which)
        if missing == "empty":
            return filled(begin, end)
        if missing == "blank":
            return np.where(end > begin, begin, -1), end
        return begin, end


@njit(nogil=True, cache=True, inline="always")
def _is_key(data: np.ndarray, at: int, length: int, text: np.ndarray, offset: int) -> bool:
    for k in range(length):  # noqa: SIM110 (a generator does not compile)
        if data[at + k] != text[offset + k]:
            return False
    return True


@njit(nogil=True, cache=True)
def _find(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, rows: np.ndarray,
          text: np.ndarray, offsets: np.ndarray, head: np.ndarray, chain: np.ndarray,
          first: np.ndarray, last: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    begin = np.full((len(rows), width), -1, np.int64)  # a line's values side by side
    end = np.full((len(rows), width), -1, np.int64)
    found = np.empty((3, 64), np.int64)
    for i in range(len(rows)):
        count, found = line_pairs(data, starts[rows[i]], ends[rows[i]], found)
        for p in range(count):
            at, eq = found[0, p], found[1, p]
            length = eq - at
            if length <= 0 or length >= MAX_KEY:
                continue
            key = head[length * 256 + data[at]]
            while key >= 0 and (offsets[key + 1] - offsets[key] != length
                                or not _is_key(data, at, length, text, offsets[key])):
                key = chain[key]
            if key < 0:
                continue
            f, la = first[key], last[key]
            if la >= 0 or (f >= 0 and begin[i, f] < 0):
                b, e = value_span(data, eq, found[2, p])
                if f >= 0 and begin[i, f] < 0:
                    begin[i, f], end[i, f] = b, e
                if la >= 0:
                    begin[i, la], end[i, la] = b, e
    return begin, end


def find(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, rows: np.ndarray,
         keys: Keys) -> Spans:
    """The value spans of ``keys`` on each of ``rows`` (line indices into ``starts``/``ends``,
    which exclude the line ending) of the block ``data`` (uint8)."""
    begin, end = _find(data, starts, ends, np.asarray(rows, np.int64), keys.text, keys.offsets,
                       keys.head, keys.chain, keys.first, keys.last, len(keys.columns))
    return Spans(data, keys, begin, end)


def filled(begin: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Spans with an absent value read as the empty text (not null)."""
    absent = begin < 0
    return np.where(absent, 0, begin), np.where(absent, 0, end)


@njit(nogil=True, cache=True)
def _integers(data: np.ndarray, begin: np.ndarray, end: np.ndarray,
              ) -> tuple[np.ndarray, np.ndarray, bool]:
    """(values, valid, some value is present and not empty but invalid)."""
    values = np.zeros(len(begin), np.int64)
    valid = np.zeros(len(begin), np.bool_)
    odd = False
    for i in range(len(begin)):
        b, e = begin[i], end[i]
        if b < 0 or e <= b:
            continue
        value = np.uint64(0)  # the digits read here, not by a call per value (quicker)
        k = b
        while k < e and k - b < EXACT_DIGITS and _ZERO <= data[k] <= _NINE:
            value = value * np.uint64(10) + np.uint64(data[k] - _ZERO)
            k += 1
        if k == e and value <= np.uint64(_INT64_MAX):
            values[i], valid[i] = np.int64(value), True
        else:
            odd = True
    return values, valid, odd


def integers(data: np.ndarray, begin: np.ndarray, end: np.ndarray,
             ) -> tuple[np.ndarray, np.ndarray]:
    """Decimal values of spans (absent or empty: invalid), exactly as ``common.integers`` reads
    the same texts: 1-19 digits fitting int64. Only a column of present values with some odd
    one (a sign, 20+ digits) is handed to ``common.integers``, whose whole-column cast can
    accept those when every value casts."""
    values, valid, odd = _integers(data, begin, end)
    if odd and bool(np.all(end > begin)) and bool(np.all(begin >= 0)):
        return text_integers(columns.strings(data, begin, end))
    return values, valid


@njit(nogil=True, cache=True)
def _all_pairs(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, rows: np.ndarray,
               ) -> tuple[np.ndarray, np.ndarray]:
    """(per pair: line, key name code, value begin, value end; the names' spans (2, k))."""
    out = np.empty((4, 1024), np.int64)
    slots, spans, hashes = columns.new_table(1024)
    names = 0
    total = 0
    found = np.empty((3, 64), np.int64)
    for i in range(len(rows)):
        count, found = line_pairs(data, starts[rows[i]], ends[rows[i]], found)
        for p in range(count):
            if total == out.shape[1]:
                bigger = np.empty((4, 2 * total), np.int64)
                bigger[:, :total] = out
                out = bigger
            if names == spans.shape[1]:
                more = np.empty((2, 2 * names), np.int64)
                more[:, :names] = spans
                spans = more
                more_hashes = np.empty(2 * names, np.uint64)
                more_hashes[:names] = hashes
                hashes = more_hashes
            code, slots, names = columns.intern(data, found[0, p], found[1, p], slots, spans,
                                                hashes, names)
            b, e = value_span(data, found[1, p], found[2, p])
            out[0, total], out[1, total], out[2, total], out[3, total] = rows[i], code, b, e
            total += 1
    return out[:, :total], spans[:, :names]


@dataclass
class Pairs:
    """Every ``key=value`` of the chosen lines: per pair its line, key code and value span."""

    lines: Lines
    line: np.ndarray
    key: np.ndarray
    begin: np.ndarray
    end: np.ndarray
    names: dict[str, int]

    def values(self, key: str, rows: np.ndarray, which: str = "first") -> pa.Array:
        """The key's value on each of ``rows`` (null where absent)."""
        code = self.names.get(key)
        begin = np.full(len(self.lines), -1, np.int64)
        end = np.zeros(len(self.lines), np.int64)
        if code is not None:
            at = np.flatnonzero(self.key == code)
            if which == "first":
                at = at[::-1]  # the last assignment wins: reversed, the first pair does
            begin[self.line[at]], end[self.line[at]] = self.begin[at], self.end[at]
        b, e = begin[rows], end[rows]
        present = b >= 0
        text = substrings(self.lines.buffer, np.where(present, b, 0), np.where(present, e, 0))
        return pc.if_else(pa.array(present), text, pa.nulls(len(rows), pa.large_string()))


def pairs(lines: Lines, rows: np.ndarray) -> Pairs:
    """The ``key=value`` pairs of ``rows`` (block line indices, increasing), for readers that
    ask for keys by name (:meth:`Pairs.values`); :func:`find` is quicker for known keys."""
    data = np.frombuffer(lines.buffer, dtype=np.uint8)
    found, spans = _all_pairs(data, lines.starts, lines.ends, np.asarray(rows, np.int64))
    distinct = columns.strings(data, spans[0], spans[1]).to_pylist()
    names: dict[str, int] = {}
    remap = np.full(max(len(distinct), 1), -1, np.int64)
    for k, name in enumerate(distinct):
        if _KEY.fullmatch(name):
            remap[k] = names.setdefault(name, len(names))
    code = remap[found[1]]
    valid = code >= 0
    return Pairs(lines, found[0][valid], code[valid], found[2][valid], found[3][valid], names)
