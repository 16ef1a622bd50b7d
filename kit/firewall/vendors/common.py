"""What every non-Cisco vendor parser shares: its settings, its block result, the account of
every line, number and event columns, and the close classes.

A vendor's ``parse_block(block, settings)`` returns a :class:`Parsed`: each line of the block is
in exactly one place - an event row (``events``, one row per connection event), an ignored count
by key, or a reject with its reason - so the reader's invariant read == parsed + ignored +
rejected holds per block.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..zones import Zone
from .lines import Lines, matches

BLANK = "blank"
NON_FIREWALL = "non-firewall"
CONTROL = "binary data or control characters (not a syslog text line)"
#: quoted with the start of their line (the report keeps only the first few rejects anyway)
QUOTED = 20
SNIPPET = 100
_BLANK = r"^[ \t]*$"
#: a syslog line of some other program: PRI, a stamp, or an address first
_SYSLOG_START = (
    r"^(?:\d+ )?(?:<\d{1,3}>)?\s*(?:1 )?(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),? +)?"
    r"(?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d|\d{4}-\d\d-\d\d"
    r"|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}[: ]|\[\d+\.\d+\])")

#: the event table every vendor returns (row = 0-based line in the block); times are naive
#: local ns with a zone code (``zones.ZONE_DEVICE``/``ZONE_RELAY`` or minutes east of UTC)
EVENT_SCHEMA = pa.schema([
    ("row", pa.int64()), ("local_ns", pa.int64()), ("zone", pa.int16()),
    ("yearless", pa.bool_()), ("device", pa.large_string()), ("vendor", pa.large_string()),
    ("msg_id", pa.large_string()), ("event", pa.large_string()),
    ("protocol", pa.large_string()), ("conn_id", pa.large_string()),
    ("src_if", pa.large_string()), ("src_ip", pa.large_string()), ("src_port", pa.int64()),
    ("dst_if", pa.large_string()), ("dst_ip", pa.large_string()), ("dst_port", pa.int64()),
    ("duration_ns", pa.int64()), ("active_ns", pa.int64()), ("bytes", pa.uint64()),
    ("reason", pa.large_string()), ("close", pa.large_string()), ("user", pa.large_string()),
])

#: the same columns with the few-valued text as dictionaries (int32 codes into the distinct
#: values): what the compiled readers return, a few bytes a row instead of the text; every block
#: of a file has one of the two schemas (``frame.file_frame`` reads both)
COMPACT_TEXT = ("device", "vendor", "msg_id", "event", "protocol", "src_if", "dst_if", "reason",
                "close", "user")
COMPACT_EVENT_SCHEMA = pa.schema([
    pa.field(f.name, pa.dictionary(pa.int32(), pa.large_string())) if f.name in COMPACT_TEXT
    else f for f in EVENT_SCHEMA])


@dataclass(frozen=True)
class VendorSettings:
    """What a worker needs besides the bytes: the user's zones and a year for year-less stamps."""

    device_zone: Zone
    relay_zone: Zone
    year_guess: int


@dataclass
class Parsed:
    """One block, accounted for: ``events`` rows plus ignored and rejected lines."""

    lines: int
    decode_errors: int
    #: lines of this vendor (connection events or its other messages)
    recognised: int
    ignored: Counter[str]
    reject_rows: np.ndarray
    reject_reasons: list[str]
    events: pa.Table
    #: (device, seconds, lines): a second clock on the lines minus the one used for ``time``
    offsets: list[tuple[str | None, float, int]] = field(default_factory=list)
    #: vendor rows that are not events but settle them per file (conntrack's closing updates;
    #: a ``row`` column like ``events``), passed to the vendor's ``settle_file``
    extras: pa.Table | None = None


class Account:
    """Where the lines of a block went; ``finish`` checks nothing was lost."""

    def __init__(self, lines: Lines) -> None:
        self.lines = lines
        self.ignored: Counter[str] = Counter()
        self.reject_rows: list[np.ndarray] = []
        self.reject_reasons: list[str] = []

    def ignore(self, key: str, count: int) -> None:
        if count:
            self.ignored[key] += int(count)

    def ignore_each(self, keys: pa.Array) -> None:
        """Ignore one line per value of ``keys`` (e.g. message ids), counted by value."""
        if len(keys):
            for value in pc.value_counts(keys).to_pylist():
                self.ignore(value["values"] or "other", value["counts"])

    def reject(self, rows: np.ndarray, reason: str | list[str]) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return
        self.reject_rows.append(rows)
        self.reject_reasons += [reason] * len(rows) if isinstance(reason, str) else reason

    def untagged(self, vendor_lines: np.ndarray, expected: str) -> None:
        """Account for the lines that are not this vendor's: blank and other programs' syslog
        lines are ignored, control characters and text that is not syslog rejected."""
        lines = self.lines
        self.reject(np.flatnonzero(lines.control), CONTROL)
        rows = np.flatnonzero(~vendor_lines & ~lines.control)
        sample = lines.texts(rows)
        blank = matches(sample, _BLANK)
        syslog = matches(sample, _SYSLOG_START) & ~blank
        self.ignore(BLANK, blank.sum())
        self.ignore(NON_FIREWALL, syslog.sum())
        self.reject(rows[~blank & ~syslog], f"not a syslog line (expected {expected})")

    def finish(self, recognised: int, events: pa.Table,
               offsets: list[tuple[str | None, float, int]] | None = None) -> Parsed:
        """The block's result, rejects in line order, the first ones quoted."""
        rows = (np.concatenate(self.reject_rows) if self.reject_rows
                else np.zeros(0, np.int64))
        order = np.argsort(rows, kind="stable")
        rows = rows[order]
        reasons = [self.reject_reasons[i] for i in order]
        for k, line in enumerate(self.lines.texts(rows[:QUOTED]).to_pylist()):
            reasons[k] = f"{reasons[k]}: {(line or '')[:SNIPPET]!r}"
        parsed = Parsed(len(self.lines), self.lines.decode_errors, recognised, self.ignored,
                        rows, reasons, events, offsets or [])
        total = events.num_rows + sum(parsed.ignored.values()) + len(rows)
        if total != parsed.lines:  # a parser bug, never the input's fault
            raise AssertionError(f"block accounting: {parsed.lines} lines, {total} placed")
        return parsed


def event_table(n: int, *, schema: pa.Schema = EVENT_SCHEMA, **columns: object) -> pa.Table:
    """An ``EVENT_SCHEMA`` (or ``COMPACT_EVENT_SCHEMA``) table of ``n`` rows; columns not given
    are null, scalars broadcast. A text column given as a dictionary array stays one (a vendor
    then returns it so in every block, the empty ones included, so that a file's tables share
    one schema)."""
    arrays = []
    for name, kind in zip(schema.names, schema.types, strict=True):
        value = columns.pop(name, None)
        if value is None:
            arrays.append(pa.nulls(n, kind))
        elif isinstance(value, str):
            arrays.append(pa.array(np.full(n, value, dtype=object), kind))
        elif isinstance(value, pa.DictionaryArray):  # repeated text, kept encoded
            arrays.append(value)
        elif isinstance(value, (pa.Array, pa.ChunkedArray)):
            arrays.append(pc.cast(value, kind))
        else:
            arrays.append(pa.array(value, kind))
    if columns:
        raise TypeError(f"unknown event columns {sorted(columns)}")
    return pa.Table.from_arrays(arrays, names=schema.names)


def empty_events() -> pa.Table:
    return event_table(0)


def integers(text: pa.Array, digits: int = 19) -> tuple[np.ndarray, np.ndarray]:
    """Decimal strings -> (int64 values, valid). Empty, signed or non-numeric text is invalid
    (value 0); ``digits`` bounds the length (19 fits int64)."""
    if not len(text):
        return np.zeros(0, np.int64), np.zeros(0, bool)
    if digits >= 18 and not text.null_count:  # the common case: every value a plain number
        try:
            values = pc.cast(text, pa.int64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        else:
            out = values.to_numpy(zero_copy_only=False)
            if out.min(initial=0) >= 0:
                return out, np.ones(len(out), bool)
    ok = pc.fill_null(pc.match_substring_regex(text, rf"^\d{{1,{digits}}}$"), False)
    values = pc.cast(pc.if_else(ok, text, None), pa.uint64())
    valid = ok.to_numpy(zero_copy_only=False)
    out = pc.fill_null(values, 0).to_numpy(zero_copy_only=False)
    too_big = out > np.iinfo(np.int64).max
    return np.where(too_big, 0, out).astype(np.int64), valid & ~too_big


def close_of(reasons: pa.Array, classify) -> pa.Array:
    """``classify(reason) -> close`` applied once per distinct reason, mapped back."""
    encoded = pc.dictionary_encode(reasons)
    table = pa.array([classify(r) for r in encoded.dictionary.to_pylist()], pa.large_string())
    return table.take(encoded.indices)


def join(*parts: pa.Array | str, sep: str = "") -> pa.Array:
    """Element-wise concatenation of string columns and scalars (as large strings)."""
    cast = [pa.scalar(p, pa.large_string()) if isinstance(p, str) else
            pc.cast(p, pa.large_string()) for p in parts]
    return pc.binary_join_element_wise(*cast, pa.scalar(sep, pa.large_string()))


def labels(codes: np.ndarray, names: list[str], *, width: type | None = None,
           ) -> pa.DictionaryArray:
    """Codes into ``names`` (-1 null) as a dictionary of the names used, in order of first
    appearance (as Arrow's ``dictionary_encode`` orders them): a label column without a
    Python object per row. ``width``: the index type (``np.int32`` for
    ``COMPACT_EVENT_SCHEMA``); by default the narrowest for ``names``, fixed per call site so
    that blocks concatenate."""
    used, first = np.unique(codes[codes >= 0], return_index=True)
    used = used[np.argsort(first)]
    width = width or (np.int8 if len(names) < 128 else np.int32)
    remap = np.full(len(names) + 1, -1, width)
    remap[used] = np.arange(len(used), dtype=width)
    index = remap[codes]
    return pa.DictionaryArray.from_arrays(
        pa.array(index, pa.from_numpy_dtype(width), mask=index < 0),
        pa.array([names[k] for k in used], pa.large_string()))


def coded(codes: np.ndarray, labels: list[str]) -> pa.DictionaryArray:
    """A dictionary column (``COMPACT_EVENT_SCHEMA``) from codes into ``labels`` (-1: null)."""
    codes = np.asarray(codes, np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(codes, mask=codes < 0),
                                          pa.array(labels, pa.large_string()))
