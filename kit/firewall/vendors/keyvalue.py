"""``key=value`` pairs (FortiGate, SRX structured data, conntrack) read from a block's bytes.

Order-free and vectorised over the whole block: the positions of ``=``, blanks and double quotes
come from numpy; a blank or ``=`` inside quotes (an odd number of quotes since the line's start)
does not count; each ``=`` names the key from the blank before it (a glued ``<PRI>`` or ``[SD-ID``
is cut off) to the ``=``, and its value runs to the next blank (quotes stripped). Keys repeat
across lines, so they are dictionary-encoded once and each wanted key becomes one column of value
views (``first`` or ``last`` occurrence per line).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .lines import Lines, substrings

_EQ, _QUOTE, _SPACE, _TAB, _BRACKET = 61, 34, 32, 9, 93
_KEY = re.compile(r"^(?:.*[>\[])?([A-Za-z_][\w.-]*)$")


def _inside_quotes(data: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Per byte: after an odd number of double quotes since its line's start."""
    if not len(data) or not (data == _QUOTE).any():  # conntrack: no quotes at all
        return np.zeros(len(data), bool)
    prefix = np.cumsum(data == _QUOTE, dtype=np.uint8)  # wraps at 256: the parity survives
    before = np.where(starts > 0, prefix[np.maximum(starts - 1, 0)], 0).astype(np.uint8)
    lengths = np.diff(np.append(starts, len(data)))
    return ((prefix - np.repeat(before, lengths)) & 1).astype(bool)


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
    """The ``key=value`` pairs of ``rows`` (block line indices, increasing)."""
    data = np.frombuffer(lines.buffer, dtype=np.uint8)
    starts, ends = lines.starts, lines.ends
    inside = _inside_quotes(data, starts)
    chosen = np.zeros(len(lines), bool)
    chosen[rows] = True
    eq = np.flatnonzero((data == _EQ) & ~inside)
    line = np.searchsorted(starts, eq, side="right") - 1
    keep = (line >= 0) & chosen[np.maximum(line, 0)] & (eq < ends[np.maximum(line, 0)])
    eq, line = eq[keep], line[keep]
    blank = np.flatnonzero(((data == _SPACE) | (data == _TAB)) & ~inside)
    # separators: every blank outside quotes, plus a virtual one before and after each chosen
    # line (so no pair reaches into a neighbour)
    seps = np.concatenate([blank, starts[rows] - 1, ends[rows]])
    seps.sort(kind="stable")
    at = np.searchsorted(seps, eq)
    key_begin = seps[at - 1] + 1
    value_end = seps[at]
    value_begin = eq + 1
    quoted = (data[np.minimum(value_begin, len(data) - 1)] == _QUOTE) & (value_end > value_begin)
    last = data[np.maximum(value_end - 1, 0)]
    # the last pair of structured data ends in ``"]``: the bracket is not part of the value
    bracket = quoted & (last == _BRACKET) & (value_end - 2 > value_begin) & (
        data[np.maximum(value_end - 2, 0)] == _QUOTE)
    value_end = value_end - bracket
    closing = quoted & (value_end - 1 > value_begin) & (
        data[np.maximum(value_end - 1, 0)] == _QUOTE)
    value_begin = value_begin + quoted
    value_end = value_end - closing
    keys = pc.dictionary_encode(substrings(lines.buffer, key_begin, eq))
    names: dict[str, int] = {}
    codes = keys.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    remap = np.full(max(len(keys.dictionary), 1), -1, np.int64)
    for k, raw in enumerate(keys.dictionary.to_pylist()):
        found = _KEY.match(raw or "")
        if found:
            remap[k] = names.setdefault(found.group(1), len(names))
    code = remap[codes] if len(codes) else codes
    valid = code >= 0
    return Pairs(lines, line[valid], code[valid], value_begin[valid], value_end[valid], names)
