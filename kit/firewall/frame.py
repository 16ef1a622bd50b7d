"""Parsed blocks -> the connection-event frame, without copying the text columns twice.

Text that differs on nearly every row (connection ids, addresses) stays Arrow strings, one chunk
per block, all the way into pandas' Arrow-backed strings. Text with few distinct values
(interfaces, reasons, users, devices, file names) is kept as integer codes into one vocabulary
per column while blocks arrive, and becomes a pandas ``category`` with sorted categories: a few
bytes a row instead of the string. Numbers are gathered into numpy once. Once orientation is
known (it needs every Built), each block's addresses are swapped into initiator / responder
order on the pool, block by block, so only one block's worth of extra text is alive at once.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .cisco import CONNECTION_MESSAGES, MESSAGE_IDS, PRODUCT_NAMES, PRODUCTS, Connections
from .memory import release_memory
from .orientation import orient
from .schema import CONNECTION_DTYPES, EVENTS, PROTOCOLS, VENDORS, conform

#: text that differs on nearly every row
_TEXT = ("conn_id", "ip1", "ip2")
#: text with few distinct values -> the vocabulary its codes index (users share one)
_CODED = {"if1": "if", "if2": "if", "reason": "reason", "user1": "user", "user2": "user",
          "aaa_user": "user"}
_NUMBERS = ("msg", "product", "conn_number", "conn_numeric", "port1", "port2",
            "first_initiated", "duration_ns", "nbytes", "has_bytes", "close")
_NONE = -1


class Vocabulary:
    """The distinct values of a low-cardinality text column across blocks, as codes (the
    smallest integer type that holds the values seen so far: a byte or two a row)."""

    def __init__(self) -> None:
        self.values: dict[str, int] = {}

    def codes(self, values: pa.Array | None, rows: int) -> np.ndarray:
        """Codes of ``values`` (-1 for null; all -1 when ``values`` is None)."""
        if values is None:
            return np.full(rows, _NONE, np.int8)
        if not isinstance(values, pa.DictionaryArray):
            values = values.dictionary_encode()
        lookup = np.array([_NONE if v is None else self.values.setdefault(v, len(self.values))
                           for v in values.dictionary.to_pylist()] + [_NONE])
        indices = pc.fill_null(values.indices, len(lookup) - 1)
        return lookup.astype(_code_type(len(self.values)))[
            indices.to_numpy(zero_copy_only=False)]

    def ranks(self) -> tuple[list[str], np.ndarray]:
        """(the values sorted, each code's rank among them with -1 mapping to -1)."""
        return sorted_ranks(list(self.values))


def _code_type(count: int) -> type:
    return np.int8 if count < 127 else np.int16 if count < 32767 else np.int32


def sorted_ranks(names: list[str]) -> tuple[list[str], np.ndarray]:
    """``names`` sorted, and each name's position among them (index -1 gives -1): categories
    sorted make sorting rows by the column sort them by its text."""
    order = np.argsort(np.array(names, dtype=object)) if names else np.zeros(0, np.int64)
    rank = np.empty(len(names) + 1, _code_type(len(names)))
    rank[order] = np.arange(len(names))
    rank[-1] = _NONE
    return [names[i] for i in order], rank


def _text_index(categories: list[str]) -> pd.Index:
    """Categories typed as text even when empty (an all-null column then round-trips through
    Parquet as a category, not as object)."""
    return pd.Index(categories, dtype="str")


def categorical(names: list[str], codes: np.ndarray) -> pd.Categorical:
    """Codes into ``names`` (-1 missing) as a categorical whose categories are sorted."""
    categories, rank = sorted_ranks(names)
    return _used_only(rank[codes], categories)


def _blockwise(vocabulary: Vocabulary, parts: list[list[np.ndarray]], lengths: list[int],
               pick: Callable[..., np.ndarray]) -> pd.Categorical:
    """One categorical column from per-block codes of one vocabulary: ``pick`` combines a
    block's parts (and its rows' slice); each block's parts are released once used, so no
    whole-column temporary is made."""
    categories, rank = vocabulary.ranks()
    out = np.empty(sum(lengths), rank.dtype)
    start = 0
    for n in lengths:
        out[start:start + n] = rank[pick(slice(start, start + n),
                                         *(part.pop(0) for part in parts))]
        start += n
    return _used_only(out, categories)


def _used_only(codes: np.ndarray, categories: list[str]) -> pd.Categorical:
    """Codes into sorted ``categories`` (-1 missing) as a categorical of the categories that
    occur, found by marking them (pandas' ``remove_unused_categories`` sorts every code)."""
    seen = np.zeros(len(categories) + 1, bool)
    seen[codes] = True  # -1 (missing) marks the spare last slot
    used = seen[:-1]
    if not used.all():
        remap = np.full(len(categories) + 1, _NONE, codes.dtype)
        remap[np.flatnonzero(used)] = np.arange(int(used.sum()))
        codes = remap[codes]
        categories = [c for c, keep in zip(categories, used, strict=True) if keep]
    return pd.Categorical.from_codes(codes, categories=_text_index(categories), validate=False)


@dataclass
class Collected:
    """Everything parsed so far, block by block, plus per-row provenance and settled times."""

    text: dict[str, list[pa.Array]] = field(default_factory=lambda: {k: [] for k in _TEXT})
    coded: dict[str, list[np.ndarray]] = field(default_factory=lambda: {k: [] for k in _CODED})
    vocabularies: dict[str, Vocabulary] = field(
        default_factory=lambda: {v: Vocabulary() for v in set(_CODED.values())})
    numbers: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {k: [] for k in _NUMBERS})
    time: list[np.ndarray] = field(default_factory=list)
    device: list[np.ndarray] = field(default_factory=list)
    line: list[np.ndarray] = field(default_factory=list)
    #: (source name, rows) in order
    sources: list[tuple[str, int]] = field(default_factory=list)
    _whole: dict[str, np.ndarray] | None = field(default=None, repr=False)

    def add(self, connections: Connections, device: np.ndarray, line: np.ndarray) -> None:
        """One block's rows (their time is added per file by :meth:`add_times`)."""
        rows = len(connections.row)
        for name in _TEXT:
            self.text[name].append(_plain(getattr(connections, name)))
        for name, vocabulary in _CODED.items():
            self.coded[name].append(
                self.vocabularies[vocabulary].codes(getattr(connections, name), rows))
        for name in _NUMBERS:
            self.numbers[name].append(getattr(connections, name))
        self.device.append(device)
        self.line.append(line)

    def add_times(self, utc_ns: np.ndarray, source: str) -> None:
        """The settled times of one file's rows (added after its blocks)."""
        self.time.append(utc_ns)
        self.sources.append((source, len(utc_ns)))

    def __len__(self) -> int:
        return sum(n for _, n in self.sources)

    def whole(self, pool: Executor | None = None) -> dict[str, np.ndarray]:
        """The per-row numbers, ``device``, ``line`` and ``time`` of every block, each as one
        array (concatenated once, on first use, on the ``pool``'s threads if given; the blocks'
        parts are released)."""
        if self._whole is None:
            run = pool.submit if pool is not None else _now
            parts = {**self.numbers, "device": self.device, "line": self.line, "time": self.time}
            jobs = {name: run(_drain, values) for name, values in parts.items()}
            self._whole = {name: job.result() for name, job in jobs.items()}
        return self._whole

    def drop(self, rows: np.ndarray, pool: Executor | None = None) -> None:
        """Remove the rows at positions ``rows`` (increasing, over everything collected), before
        the frame is built (nothing else holds them): from the whole-load arrays (:meth:`whole`)
        and from each block's text and codes; with a ``pool``, on its threads."""
        keep = np.ones(len(self), bool)
        keep[rows] = False
        run = pool.submit if pool is not None else _now
        whole = self.whole(pool)
        columns = [run(_keep_rows, whole, name, keep) for name in whole]
        blocks, start = [], 0
        for block, n in enumerate([len(c) for c in self.text["conn_id"]]):
            mine = keep[start:start + n]
            start += n
            if not mine.all():
                blocks.append(run(self._filter_block, block, mine))
        start = 0
        for k, (source, n) in enumerate(self.sources):
            self.sources[k] = (source, int(keep[start:start + n].sum()))
            start += n
        for job in [*columns, *blocks]:
            job.result()
        release_memory()  # the unfiltered parts, freed in the threads that filtered them

    def _filter_block(self, block: int, keep: np.ndarray) -> None:
        mask = pa.array(keep)
        for parts in self.text.values():
            parts[block] = parts[block].filter(mask)
        for parts in self.coded.values():
            parts[block] = parts[block][keep]

    def vocabulary(self) -> dict[str, set[str]]:
        """The values the frame's few-valued text columns will have as categories (each
        column's categories are its vocabulary, sorted): interfaces, reasons, users."""
        words = {name: set(v.values) for name, v in self.vocabularies.items()}
        return {"src_if": words["if"], "dst_if": words["if"], "reason": words["reason"],
                "user": words["user"]}


def build_frame(collected: Collected, devices: list[str | None],
                pool: Executor | None = None) -> pd.DataFrame:
    """The connection-event frame (schema.CONNECTION_DTYPES) of everything collected.

    ``collected`` is consumed: each block's arrays are released as soon as their part of the
    frame is built, so the peak stays near the size of the result. With a ``pool``, the columns
    that do not depend on orientation are built on its threads while this one matches Teardowns
    to Builts, then each block's addresses are swapped on the pool (numpy and Arrow release the
    GIL).
    """
    run = pool.submit if pool is not None else _now
    lengths = [len(c) for c in collected.text["conn_id"]]
    numbers = collected.whole(pool)  # consumed: popped column by column
    msg, device = numbers.pop("msg"), numbers.pop("device")
    later = {
        "time": run(_times, numbers.pop("time")),
        "device": run(_devices, devices, device),
        "vendor": run(_coded, _VENDOR_OF, numbers.pop("product"), "vendor"),
        "event": run(_coded, _EVENT_OF, msg, "event"),
        "protocol": run(_coded, _PROTOCOL_OF, msg, "protocol"),
        "reason": run(_blockwise, collected.vocabularies["reason"],
                      [collected.coded.pop("reason")], lengths, lambda _, codes: codes),
        "source": run(_sources, collected.sources),
        "line": run(_present, numbers.pop("line").view(np.uint64), None),
        "bytes": run(_present, numbers.pop("nbytes"), numbers.pop("has_bytes")),
    }
    release_memory()  # the blocks' parts, freed in the threads that made them
    port1, port2 = numbers.pop("port1"), numbers.pop("port2")
    first_is_src, orientation = orient(
        _IS_BUILT[msg], device, numbers.pop("conn_number"), numbers.pop("conn_numeric"),
        numbers.pop("first_initiated"), port1, port2)
    text = collected.text
    ips = _swap_blocks(run, text.pop("ip1"), text.pop("ip2"), first_is_src, lengths)
    coded, words = collected.coded, collected.vocabularies

    def initiator(rows: slice, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        return np.where(first_is_src[rows], first, second)

    def responder(rows: slice, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        return np.where(first_is_src[rows], second, first)

    def user(rows: slice, first: np.ndarray, second: np.ndarray, aaa: np.ndarray) -> np.ndarray:
        mine, theirs = initiator(rows, first, second), responder(rows, first, second)
        return np.where(mine >= 0, mine, np.where(theirs >= 0, theirs, aaa))

    interfaces = [coded["if1"], coded["if2"]]
    src_if = _blockwise(words["if"], [list(p) for p in interfaces], lengths, initiator)
    dst_if = _blockwise(words["if"], interfaces, lengths, responder)
    users = _blockwise(words["user"], [coded["user1"], coded["user2"], coded["aaa_user"]],
                       lengths, user)
    columns = {
        "time": later["time"].result(),
        "device": later["device"].result(),
        "vendor": later["vendor"].result(),
        "msg_id": pd.Categorical.from_codes(msg, categories=list(MESSAGE_IDS), validate=False),
        "event": later["event"].result(),
        "protocol": later["protocol"].result(),
        "conn_id": _strings(pa.chunked_array(text.pop("conn_id"), pa.large_string())),
        "src_if": src_if,
        "src_port": _present(np.where(first_is_src, port1, port2), None),
        "dst_if": dst_if,
        "dst_port": _present(np.where(first_is_src, port2, port1), None),
        "orientation": _category(orientation, "orientation"),
        "duration": numbers.pop("duration_ns").view("m8[ns]"),
        "bytes": later["bytes"].result(),
        "reason": later["reason"].result(),
        "close": _category(numbers.pop("close"), "close"),
        "user": users,
        "source": later["source"].result(),
        "line": later["line"].result(),
    }
    src, dst = zip(*(job.result() for job in ips), strict=True)
    columns["src_ip"] = _strings(pa.chunked_array(src, pa.large_string()))
    columns["dst_ip"] = _strings(pa.chunked_array(dst, pa.large_string()))
    release_memory()
    return conform(pd.DataFrame(columns, copy=False))


_IS_BUILT = np.array([CONNECTION_MESSAGES[m][0] == "built" for m in MESSAGE_IDS])
_VENDOR_OF = np.array([VENDORS.index(PRODUCTS[p]) for p in PRODUCT_NAMES], np.int8)
_EVENT_OF = np.array([EVENTS.index(CONNECTION_MESSAGES[m][0]) for m in MESSAGE_IDS], np.int8)
_PROTOCOL_OF = np.array([PROTOCOLS.index(CONNECTION_MESSAGES[m][1]) for m in MESSAGE_IDS],
                        np.int8)


def _times(utc_ns: np.ndarray) -> pd.arrays.DatetimeArray:
    return pd.DatetimeIndex(utc_ns.view("M8[ns]")).tz_localize("UTC").array


def _devices(devices: list[str | None], device: np.ndarray) -> pd.Categorical:
    names = [d for d in devices if d is not None]
    code = np.array([names.index(d) if d is not None else _NONE for d in devices] + [_NONE],
                    dtype=np.int32)
    return categorical(names, code[device])


def _sources(sources: list[tuple[str, int]]) -> pd.Categorical:
    files = list(dict.fromkeys(name for name, _ in sources))
    codes = np.repeat(np.array([files.index(name) for name, _ in sources], np.int32),
                      [rows for _, rows in sources])
    # a name with undecodable bytes too (os.fsdecode's surrogates have no UTF-8)
    names = [name.encode("utf-8", "backslashreplace").decode("utf-8") for name in files]
    return categorical(names, codes)


def _coded(table: np.ndarray, index: np.ndarray, column: str) -> pd.Categorical:
    return _category(table[index], column)


def _present(values: np.ndarray, present: np.ndarray | None) -> pd.arrays.IntegerArray:
    """A nullable integer column, null where not ``present`` (None: never null)."""
    return pd.arrays.IntegerArray(values, np.zeros(len(values), bool) if present is None
                                  else ~present)


def _swap_blocks(run: Callable[..., Future[Any]], first: list[pa.Array],
                 second: list[pa.Array], keep: np.ndarray, lengths: list[int],
                 ) -> list[Future[tuple[pa.Array, pa.Array]]]:
    """(initiator, responder) of each block, one job per block: ``first`` where ``keep``, else
    ``second``; a block's inputs are released once its outputs exist."""
    jobs = []
    start = 0
    for n in lengths:
        jobs.append(run(_swap, first.pop(0), second.pop(0), keep[start:start + n]))
        start += n
    return jobs


def _now(function: Callable[..., Any], *args: Any) -> Future[Any]:
    """Run at once, as a finished future (when no pool is given)."""
    done: Future[Any] = Future()
    done.set_result(function(*args))
    return done


def _keep_rows(columns: dict[str, np.ndarray], name: str, keep: np.ndarray) -> None:
    """Replace one column by its kept rows (the old one is freed at once, not with the rest)."""
    columns[name] = columns[name][keep]


def _drain(parts: list[np.ndarray]) -> np.ndarray:
    """Concatenate and release the parts."""
    whole = np.concatenate(parts) if parts else np.zeros(0, np.int64)
    parts.clear()
    return whole


def _plain(values: pa.Array) -> pa.Array:
    """Large strings, decoding a dictionary-encoded column."""
    if isinstance(values, pa.DictionaryArray):
        values = values.dictionary.take(values.indices)
    return values.cast(pa.large_string())


def _swap(first: pa.Array, second: pa.Array, keep: np.ndarray) -> tuple[pa.Array, pa.Array]:
    mask = pa.array(keep)
    return (pc.if_else(mask, first, second).cast(pa.large_string()),
            pc.if_else(mask, second, first).cast(pa.large_string()))


def _strings(values: pa.ChunkedArray) -> pd.arrays.ArrowStringArray:
    return pd.array(values, dtype=CONNECTION_DTYPES["conn_id"])


def _category(codes: np.ndarray, column: str) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, dtype=CONNECTION_DTYPES[column], validate=False)
