"""Log files -> partitions (byte ranges of plain files, whole compressed files), and one
partition's parse: a small :class:`Summary` (pass 1) or its rows with the file-level state
settled from the combined summaries (pass 2).

Both passes call the pandas engine's own block parser (:func:`kit.firewall.messages.parse_block`)
and frame builder (:func:`kit.firewall.frame.build_frame`); only the per-file state that the
pandas reader keeps while it walks a file (line numbers, the year of year-less stamps) is handed
in from outside, so that any partition can be parsed on any worker in any order.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import SourceError
from ..firewall.cisco import CONNECTION_MESSAGES, MESSAGE_IDS
from ..firewall.clock import NAT, in_years, year_turns, yearless_months
from ..firewall.frame import Collected, _plain, build_frame
from ..firewall.messages import BlockResult, BlockSettings, parse_block
from ..firewall.orientation import orient
from ..firewall.reader import BLOCK_BYTES, _message
from ..firewall.vendors import CISCO, VENDORS, detect
from ..firewall.zones import localize
from ..loadreport import KEEP_REJECTS
from ..sources import Source, compression, iter_sources
from ..streams import HEAD_SIZE, transcoding

USER = pd.StringDtype("pyarrow")
#: name of the global row number (the index) while the rows are matched across partitions
ROW = "_row"
_IS_BUILT = np.array([CONNECTION_MESSAGES[m][0] == "built" for m in MESSAGE_IDS])
_IS_TEARDOWN = np.array([CONNECTION_MESSAGES[m][0] == "teardown" for m in MESSAGE_IDS])
#: separates device and connection number in the Built/Teardown matching key
KEY_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class Part:
    """One partition: a byte range of a plain file, or a whole compressed file or buffer."""

    name: str
    mtime: datetime | None
    #: position among the partitions of its file (0, 1, ...)
    index: int
    offset: int = 0
    #: None: the whole (compressed) source, read through :class:`kit.sources.Source`
    length: int | None = None
    #: content of a buffer or upload (None for files, which each worker opens itself)
    data: bytes | None = None
    #: why the source could not be found or opened (then nothing is read)
    problem: str | None = None


@dataclass
class Summary:
    """What pass 1 learns about one partition: counts for the load report and the little that
    the next partitions of its file need (line count, months of its year-less stamps)."""

    lines: int = 0
    parsed: int = 0
    firewall_lines: int = 0
    decode_errors: int = 0
    ignored: Counter[str] = field(default_factory=Counter)
    #: (line within the partition, 1-based; reason) of the first rejects, and how many in all
    rejects: list[tuple[int, str]] = field(default_factory=list)
    rejected: int = 0
    problems: list[str] = field(default_factory=list)
    offsets: list[tuple[str | None, float, int]] = field(default_factory=list)
    #: year-less stamps: raw month of the first and last, the last's month unwrapped from the
    #: first (see ``clock.year_turns``), and the last's local time
    #: the distinct values of the few-valued text columns (their categories: see ``rows``)
    categories: dict[str, set[str]] = field(default_factory=dict)
    first_month: int | None = None
    last_month: int | None = None
    last_unwrapped: float = 0.0
    last_based: int = 0


@dataclass(frozen=True)
class Placement:
    """File-level state for pass 2: the partition's first line number, its first year-less
    stamp's year offset from the file's first (whole years), and the file's first year."""

    first_line: int
    turns: int
    first_year: int


def plan(source: object, blocksize: int) -> list[Part]:
    """Partitions of everything ``source`` names, in file-then-offset order; a source that
    cannot be found is a partition holding only its problem, listed first (as the pandas
    reader reports them)."""
    items = source if isinstance(source, (list, tuple)) else [source]
    missing: list[Part] = []
    parts: list[Part] = []
    for item in items:
        try:
            found = list(iter_sources(item))
        except SourceError as exc:
            missing.append(Part(exc.source or str(item), None, 0, problem=_message(exc)))
            continue
        for src in found:
            chosen = detect(src)  # the pandas reader's per-file vendor detection
            if chosen != CISCO:
                parts.append(Part(src.name, src.mtime, 0, problem=(
                    f"{VENDORS[chosen].description}: engine='dask' reads Cisco logs only so "
                    "far; read this file with engine='pandas'")))
                continue
            parts.extend(_split(src, blocksize))
    return missing + parts


def _split(src: Source, blocksize: int) -> list[Part]:
    if not os.path.isfile(src.name):  # a buffer or upload: one partition carrying its bytes
        try:
            data = src.read_bytes()
        except SourceError:
            data = b""
        return [Part(src.name, src.mtime, 0, data=data)]
    with open(src.name, "rb") as raw:
        head = raw.read(HEAD_SIZE)
    size = os.path.getsize(src.name)
    # compressed or re-encoded text (UTF-16, a BOM) cannot be cut into raw byte ranges: one
    # partition, read through Source like the pandas engine
    whole = compression(head) or transcoding(head)
    if whole or size <= blocksize:
        return [Part(src.name, src.mtime, 0, length=None if whole else size)]
    return [Part(src.name, src.mtime, i, offset, blocksize)
            for i, offset in enumerate(range(0, size, blocksize))]


def blocks(part: Part) -> list[bytes]:
    """The partition's newline-aligned blocks (each line of a file lands in exactly one
    partition: ``fsspec.utils.read_block`` gives a line starting at an offset to the block
    before it)."""
    if part.data is not None or part.length is None:
        src = (Source(part.name, part.mtime, lambda: _buffer(part.data))
               if part.data is not None else next(iter_sources(part.name)))
        return list(src.blocks(BLOCK_BYTES))
    from fsspec.utils import read_block  # fsspec comes with dask (the `scale` extra)

    with open(part.name, "rb") as raw:
        return [read_block(raw, part.offset, part.length, delimiter=b"\n")]


def _buffer(data: bytes | None):
    import io

    return io.BytesIO(data or b"")


def parse(part: Part, settings: BlockSettings) -> tuple[list[BlockResult], list[str]]:
    """Every block of the partition parsed, and the file problems met while reading it."""
    results: list[BlockResult] = []
    problems = [part.problem] if part.problem else []
    if part.problem:
        return results, problems
    try:
        for block in blocks(part):
            if block:
                results.append(parse_block(block, settings))
    except SourceError as exc:
        problems.append(_message(exc))
    return results, problems


def summarise(part: Part, settings: BlockSettings) -> Summary:
    """Pass 1: the partition's counts and year-less months (no rows leave the worker)."""
    results, problems = parse(part, settings)
    summary = Summary(problems=problems)
    vocabulary = Collected()
    for result in results:
        vocabulary.add(result.connections, np.zeros(len(result.connections.row), np.int32),
                       np.zeros(len(result.connections.row), np.int64))
        base = summary.lines
        summary.lines += result.lines
        summary.decode_errors += result.decode_errors
        summary.firewall_lines += result.firewall_lines
        summary.parsed += len(result.connections.row)
        summary.ignored.update(result.ignored)
        summary.rejected += len(result.reject_rows)
        keep = KEEP_REJECTS - len(summary.rejects)
        summary.rejects += [(base + 1 + int(r), why) for r, why in zip(
            result.reject_rows[:keep], result.reject_reasons[:keep], strict=True)]
        summary.offsets += result.offsets
    summary.categories = {
        **vocabulary.vocabulary(),
        "device": {d for r in results for d in r.devices if d is not None},
        "source": set() if part.problem else {part.name}}  # as the pandas reader names files
    times, _, yearless = _stamps(results)
    based = times[yearless & (times != NAT)]
    if len(based):
        months = yearless_months(based)
        unwrapped = np.unwrap(months.astype(float), period=12)
        summary.first_month, summary.last_month = int(months[0]), int(months[-1])
        summary.last_unwrapped, summary.last_based = float(unwrapped[-1]), int(based[-1])
    return summary


def _stamps(results: list[BlockResult]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return tuple(np.concatenate([getattr(r, k) for r in results]) if results
                 else np.zeros(0, t) for k, t in (("time_ns", np.int64), ("zone", np.int16),
                                                  ("yearless", bool)))


def rows(part: Part, settings: BlockSettings, placement: Placement, start: int,
         categories: dict[str, list[str]]) -> pd.DataFrame:
    """Pass 2: the partition's connection-event rows (index: global row number from ``start``)
    plus the columns the cross-partition Built/Teardown matching needs (see ``engine``); the
    few-valued columns take the whole load's ``categories`` (as one pandas read gives them)."""
    results, _ = parse(part, settings)
    collected = Collected()
    device, names, per_result = _devices(results)
    line = placement.first_line
    for result, codes in zip(results, per_result, strict=True):
        collected.add(result.connections, codes, line + result.connections.row.astype(np.int64))
        line += result.lines
    times, zone, yearless = _stamps(results)
    at = np.flatnonzero(yearless & (times != NAT))
    if len(at):
        turns = year_turns(yearless_months(times[at])) + placement.turns
        local = in_years(times[at], placement.first_year + turns)
        times[at] = localize(local, zone[at], settings.device_zone, settings.relay_zone)
    collected.add_times(times, part.name)
    hidden = _matching_columns(results, device, names)
    frame = build_frame(collected, names)
    for name, values in categories.items():
        frame[name] = frame[name].cat.set_categories(values)
    for name, values in hidden.items():
        frame[name] = values
    frame.index = pd.RangeIndex(start, start + len(frame), name=ROW)
    return frame


def matching(part: Part, settings: BlockSettings, start: int) -> pd.DataFrame:
    """What the cross-partition Built/Teardown matching needs of the partition's rows, without
    building its frame: the Builts with a logged direction and the Teardowns, of numeric
    connection ids, as ``_key``, ``_first``, ``src_port``, ``dst_port`` (as :func:`rows` gives
    them) and ``_built``; index: their global row numbers (``start`` = the partition's first).
    Line numbers and times play no part, so no placement is needed."""
    results, _ = parse(part, settings)
    device, names, _ = _devices(results)
    c = [r.connections for r in results]
    msg = _cat(c, "msg").astype(np.int64)
    conn, numeric = _cat(c, "conn_number").astype(np.uint64), _cat(c, "conn_numeric") != 0
    port1, port2 = _cat(c, "port1"), _cat(c, "port2")
    initiated = _cat(c, "first_initiated").astype(np.int8)
    first, _ = orient(_IS_BUILT[msg], device, conn, numeric, initiated, port1, port2)
    built = _IS_BUILT[msg] & (initiated >= 0)  # orientation "logged"
    at = np.flatnonzero((built | _IS_TEARDOWN[msg]) & numeric)
    src = np.where(first[at], port1[at], port2[at])
    dst = np.where(first[at], port2[at], port1[at])
    return pd.DataFrame(
        {"_key": _keys(device[at], conn[at], names), "_first": first[at],
         "src_port": pd.array(src, dtype="UInt16"), "dst_port": pd.array(dst, dtype="UInt16"),
         "_built": built[at]},
        index=pd.Index(start + at, name=ROW))


def _devices(results: list[BlockResult]) -> tuple[np.ndarray, list[str | None], list[np.ndarray]]:
    """Per connection row, a device code of the partition (and per result), and the names."""
    devices: dict[str | None, int] = {}
    per_result = []
    for result in results:
        codes = np.array([devices.setdefault(d, len(devices)) for d in result.devices],
                         dtype=np.int32)
        per_result.append(codes[result.device_index] if len(codes)
                          else np.zeros(0, np.int32))
    device = np.concatenate(per_result) if per_result else np.zeros(0, np.int32)
    return device, list(devices), per_result


def _cat(connections: list, name: str) -> np.ndarray:
    return (np.concatenate([getattr(x, name) for x in connections]) if connections
            else np.zeros(0))


def _keys(device: np.ndarray, conn: np.ndarray, names: list[str | None],
          numeric: np.ndarray | None = None) -> pd.api.extensions.ExtensionArray:
    """The (device, connection number) matching key of each row, ``device\x1fnumber``; missing
    where the id is not ``numeric`` (None: all are)."""
    label = pa.array([KEY_SEPARATOR if n is None else f"{n}{KEY_SEPARATOR}" for n in names]
                     + [""], pa.string())
    pick = np.arange(len(label))[device]  # numpy's indexing, as the codes were made for it
    key = pc.binary_join_element_wise(label.take(pa.array(pick)),
                                      pa.array(conn, pa.uint64()).cast(pa.string()), "")
    if numeric is not None:
        key = pc.if_else(pa.array(numeric, pa.bool_()), key, pa.scalar(None, pa.string()))
    return pd.array(key, dtype=USER)


def _matching_columns(results: list[BlockResult], device: np.ndarray,
                      names: list[str | None]) -> dict[str, object]:
    """Per row: whether the first logged endpoint is the initiator (as decided inside this
    partition), the (device, connection number) key of numeric ids, and the logged users."""
    c = [r.connections for r in results]
    msg = _cat(c, "msg").astype(np.int64)
    conn, numeric = _cat(c, "conn_number").astype(np.uint64), _cat(c, "conn_numeric") != 0
    first, _ = orient(_IS_BUILT[msg], device, conn, numeric,
                      _cat(c, "first_initiated").astype(np.int8), _cat(c, "port1"),
                      _cat(c, "port2"))
    out: dict[str, object] = {"_first": first, "_key": _keys(device, conn, names, numeric)}
    for name in ("user1", "user2", "aaa_user"):
        chunks = [pa.nulls(len(x.row), pa.large_string()) if getattr(x, name) is None
                  else _plain(getattr(x, name)) for x in c]
        out[f"_{name}"] = pd.array(pa.chunked_array(chunks, pa.large_string()) if chunks
                                   else pa.chunked_array([], pa.large_string()), dtype=USER)
    return out
