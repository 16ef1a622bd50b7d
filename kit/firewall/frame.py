"""Parsed blocks -> the connection-event frame, without copying the text columns twice.

Text columns stay Arrow arrays (one chunk per block) all the way into pandas' Arrow-backed
strings; numbers are gathered into numpy once. Swapping each row's endpoints into initiator /
responder order is done chunk by chunk, so only one block's worth of extra text is alive at once.
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

_TEXT = ("conn_id", "if1", "ip1", "if2", "ip2", "reason", "user1", "user2", "aaa_user")
#: text columns with few distinct values: dictionary-encoded while collecting (less memory)
_FEW_VALUES = ("if1", "if2", "reason")
_NUMBERS = ("msg", "product", "conn_number", "conn_numeric", "port1", "port2",
            "first_initiated", "duration_ns", "nbytes", "has_bytes", "close")


@dataclass
class Collected:
    """Everything parsed so far, block by block, plus per-row provenance and settled times."""

    text: dict[str, list[pa.Array]] = field(default_factory=lambda: {k: [] for k in _TEXT})
    numbers: dict[str, list[np.ndarray]] = field(
        default_factory=lambda: {k: [] for k in _NUMBERS})
    time: list[np.ndarray] = field(default_factory=list)
    device: list[np.ndarray] = field(default_factory=list)
    line: list[np.ndarray] = field(default_factory=list)
    #: (source name, rows) in order
    sources: list[tuple[str, int]] = field(default_factory=list)

    def add(self, connections: Connections, device: np.ndarray, line: np.ndarray) -> None:
        """One block's rows (their time is added per file by :meth:`add_times`).

        Text is copied into memory owned by the calling (main) thread: the allocator keeps a
        worker's freed memory for that worker, so arrays freed later in the main thread (while
        the frame is built) would otherwise not be reusable and the peak would grow.
        """
        for name in _TEXT:
            values = getattr(connections, name)
            if values is not None:  # a copy either way; few distinct values are kept encoded
                values = (pc.dictionary_encode(values) if name in _FEW_VALUES
                          else pa.concat_arrays([values]))
            self.text[name].append(values)
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


def build_frame(collected: Collected, devices: list[str | None],
                pool: Executor | None = None) -> pd.DataFrame:
    """The connection-event frame (schema.CONNECTION_DTYPES) of everything collected.

    ``collected`` is consumed: each block's arrays are released as soon as their part of the
    frame is built, so the peak stays near the size of the result. The text columns are built
    on ``pool``'s threads when one is given (Arrow releases the GIL).
    """
    run = pool.submit if pool is not None else _now
    text = collected.text
    lengths = [len(c) for c in text["conn_id"]]
    numbers = collected.numbers
    # what does not depend on the orientation starts at once on the pool, while this thread
    # gathers the orientation's inputs and matches Teardowns to Builts
    later = {k: run(_drain, numbers.pop(k))
             for k in ("product", "duration_ns", "nbytes", "has_bytes", "close")}
    later["time"] = run(_drain, collected.time)
    later["line"] = run(_drain, collected.line)
    jobs = {
        "reason": run(_chunked, text.pop("reason")),
    }
    device = _drain(collected.device)
    jobs["device"] = run(lambda: pa.array(devices, pa.large_string()).take(pa.array(device)))
    num = {k: _drain(v) for k, v in numbers.items()}
    msg = num["msg"]
    is_built = np.array([CONNECTION_MESSAGES[m][0] == "built" for m in MESSAGE_IDS])[msg]
    port1, port2 = num.pop("port1"), num.pop("port2")
    first_is_src, orientation = orient(
        is_built, device, num.pop("conn_number"), num.pop("conn_numeric"),
        num.pop("first_initiated"), port1, port2)
    release_memory()
    jobs["if"] = run(_swap, text.pop("if1"), text.pop("if2"), first_is_src, lengths)
    jobs["ip"] = run(_swap, text.pop("ip1"), text.pop("ip2"), first_is_src, lengths)
    jobs["user"] = run(_users, text.pop("user1"), text.pop("user2"), text.pop("aaa_user"),
                       first_is_src, lengths)
    vendor_of = np.array([VENDORS.index(PRODUCTS[p]) for p in PRODUCT_NAMES])
    event_of = np.array([EVENTS.index(CONNECTION_MESSAGES[m][0]) for m in MESSAGE_IDS])
    protocol_of = np.array([PROTOCOLS.index(CONNECTION_MESSAGES[m][1]) for m in MESSAGE_IDS])
    present = np.zeros(len(msg), bool)
    src_if, dst_if = jobs["if"].result()
    src_ip, dst_ip = jobs["ip"].result()
    columns = {
        "time": pd.DatetimeIndex(later.pop("time").result().view("M8[ns]")).tz_localize(
            "UTC").array,
        "device": _strings(jobs["device"].result()),
        "vendor": _category(vendor_of[later.pop("product").result()], "vendor"),
        "msg_id": pd.Categorical.from_codes(msg, categories=list(MESSAGE_IDS)),
        "event": _category(event_of[msg], "event"),
        "protocol": _category(protocol_of[msg], "protocol"),
        "conn_id": _strings(_chunked(text.pop("conn_id"))),
        "src_if": _strings(src_if), "src_ip": _strings(src_ip),
        "src_port": pd.arrays.IntegerArray(np.where(first_is_src, port1, port2), present),
        "dst_if": _strings(dst_if), "dst_ip": _strings(dst_ip),
        "dst_port": pd.arrays.IntegerArray(np.where(first_is_src, port2, port1), present),
        "orientation": _category(orientation, "orientation"),
        "duration": later.pop("duration_ns").result().view("m8[ns]"),
        "bytes": pd.arrays.IntegerArray(later.pop("nbytes").result(),
                                        ~later.pop("has_bytes").result()),
        "reason": _strings(jobs["reason"].result()),
        "close": _category(later.pop("close").result(), "close"),
        "user": _strings(jobs["user"].result()),
        "source": _strings(_repeated(collected.sources)),
        "line": pd.arrays.IntegerArray(later.pop("line").result().view(np.uint64), present),
    }
    return conform(pd.DataFrame(columns, copy=False))


def _now(function: Callable[..., Any], *args: Any) -> Future[Any]:
    """Run at once, as a finished future (when no pool is given)."""
    done: Future[Any] = Future()
    done.set_result(function(*args))
    return done


def _drain(parts: list[np.ndarray]) -> np.ndarray:
    """Concatenate and release the parts."""
    whole = np.concatenate(parts) if parts else np.zeros(0, np.int64)
    parts.clear()
    return whole


def _chunked(chunks: list[pa.Array]) -> pa.ChunkedArray:
    whole = pa.chunked_array([_plain(c) for c in chunks], pa.large_string())
    chunks.clear()
    return whole


def _plain(values: pa.Array) -> pa.Array:
    """Large strings, decoding a dictionary-encoded column."""
    if isinstance(values, pa.DictionaryArray):
        values = values.dictionary.take(values.indices)
    return values.cast(pa.large_string())


def _swap(first: list[pa.Array], second: list[pa.Array], keep: np.ndarray, lengths: list[int],
          ) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """(initiator, responder) block by block: ``first`` where ``keep``, else ``second``; each
    block's inputs are released once its outputs exist."""
    src, dst = [], []
    start = 0
    for n in lengths:
        a, b = _plain(first.pop(0)), _plain(second.pop(0))
        mask = pa.array(keep[start:start + n])
        start += n
        src.append(pc.if_else(mask, a, b).cast(pa.large_string()))
        dst.append(pc.if_else(mask, b, a).cast(pa.large_string()))
    return pa.chunked_array(src, pa.large_string()), pa.chunked_array(dst, pa.large_string())


def _users(user1: list, user2: list, aaa: list, keep: np.ndarray, lengths: list[int],
           ) -> pa.ChunkedArray:
    """One user per row: the initiator's identity user, else the responder's, else the AAA
    user (blocks without any user are stored as None)."""
    chunks = []
    start = 0
    for n in lengths:
        parts = [user1.pop(0), user2.pop(0), aaa.pop(0)]
        if all(p is None for p in parts):
            chunks.append(pa.nulls(n, pa.large_string()))
        else:
            a, b, c = (pa.nulls(n, pa.large_string()) if p is None else p for p in parts)
            mask = pa.array(keep[start:start + n])
            chunks.append(pc.coalesce(pc.if_else(mask, a, b), pc.if_else(mask, b, a), c)
                          .cast(pa.large_string()))
        start += n
    return pa.chunked_array(chunks, pa.large_string())


def _strings(values: pa.Array | pa.ChunkedArray) -> pd.arrays.ArrowStringArray:
    return pd.array(values, dtype=CONNECTION_DTYPES["conn_id"])


def _category(codes: np.ndarray, column: str) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, dtype=CONNECTION_DTYPES[column])


def _repeated(sources: list[tuple[str, int]]) -> pa.ChunkedArray:
    """Each source's name repeated once per row, built straight into Arrow buffers."""
    chunks = []
    for name, rows in sources:
        data = name.encode("utf-8", "backslashreplace")  # a name with undecodable bytes too
        offsets = np.arange(rows + 1, dtype=np.int64) * len(data)
        chunks.append(pa.LargeStringArray.from_buffers(
            rows, pa.py_buffer(offsets), pa.py_buffer(data * rows)))
    return pa.chunked_array(chunks, pa.large_string())

