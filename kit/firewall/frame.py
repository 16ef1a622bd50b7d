"""Parsed blocks -> the connection-event frame, without copying the text columns twice.

Text columns stay Arrow arrays (one chunk per block) all the way into pandas' Arrow-backed
strings; numbers are gathered into numpy once. Swapping each row's endpoints into initiator /
responder order is done chunk by chunk, so only one block's worth of extra text is alive at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .cisco import CONNECTION_MESSAGES, MESSAGE_IDS, PRODUCT_NAMES, PRODUCTS, Connections
from .orientation import orient
from .schema import CONNECTION_DTYPES, EVENTS, PROTOCOLS, VENDORS, conform

_TEXT = ("conn_id", "if1", "ip1", "if2", "ip2", "reason", "user1", "user2", "aaa_user")
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
        """One block's rows (their time is added per file by :meth:`add_times`)."""
        for name in _TEXT:
            self.text[name].append(getattr(connections, name))
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


def build_frame(collected: Collected, devices: list[str | None]) -> pd.DataFrame:
    """The connection-event frame (schema.CONNECTION_DTYPES) of everything collected."""
    num = {k: np.concatenate(v) if v else np.zeros(0) for k, v in collected.numbers.items()}
    msg = num["msg"].astype(np.int64)
    is_built = np.array([CONNECTION_MESSAGES[m][0] == "built" for m in MESSAGE_IDS])[msg]
    device = np.concatenate(collected.device) if collected.device else np.zeros(0, np.int64)
    port1, port2 = num["port1"].astype(np.int32), num["port2"].astype(np.int32)
    first_is_src, orientation = orient(
        is_built, device, num["conn_number"].astype(np.uint64),
        num["conn_numeric"].astype(bool), num["first_initiated"].astype(np.int8), port1, port2)

    text = {k: _chunked(v) for k, v in collected.text.items()}
    src_if, dst_if = _swap(text.pop("if1"), text.pop("if2"), first_is_src)
    src_ip, dst_ip = _swap(text.pop("ip1"), text.pop("ip2"), first_is_src)
    src_user, dst_user = _swap(text.pop("user1"), text.pop("user2"), first_is_src)
    user = pc.coalesce(src_user, dst_user, text.pop("aaa_user"))
    del src_user, dst_user

    vendor_of = np.array([VENDORS.index(PRODUCTS[p]) for p in PRODUCT_NAMES])
    event_of = np.array([EVENTS.index(CONNECTION_MESSAGES[m][0]) for m in MESSAGE_IDS])
    protocol_of = np.array([PROTOCOLS.index(CONNECTION_MESSAGES[m][1]) for m in MESSAGE_IDS])
    time = np.concatenate(collected.time) if collected.time else np.zeros(0, np.int64)
    nbytes = pd.arrays.IntegerArray(num["nbytes"].astype(np.uint64),
                                    ~num["has_bytes"].astype(bool))
    columns = {
        "time": pd.DatetimeIndex(time.view("M8[ns]")).tz_localize("UTC").array,
        "device": _strings(pa.array(devices, pa.large_string()).take(pa.array(device))),
        "vendor": _category(vendor_of[num["product"].astype(np.int64)], "vendor"),
        "msg_id": pd.Categorical.from_codes(msg, categories=list(MESSAGE_IDS)),
        "event": _category(event_of[msg], "event"),
        "protocol": _category(protocol_of[msg], "protocol"),
        "conn_id": _strings(text.pop("conn_id")),
        "src_if": _strings(src_if), "src_ip": _strings(src_ip),
        "src_port": pd.arrays.IntegerArray(
            np.where(first_is_src, port1, port2).astype(np.uint16), np.zeros(len(msg), bool)),
        "dst_if": _strings(dst_if), "dst_ip": _strings(dst_ip),
        "dst_port": pd.arrays.IntegerArray(
            np.where(first_is_src, port2, port1).astype(np.uint16), np.zeros(len(msg), bool)),
        "orientation": _category(orientation, "orientation"),
        "duration": num["duration_ns"].astype(np.int64).view("m8[ns]"),
        "bytes": nbytes,
        "reason": _strings(text.pop("reason")),
        "close": _category(num["close"].astype(np.int64), "close"),
        "user": _strings(user),
        "source": _strings(_repeated(collected.sources)),
        "line": pd.arrays.IntegerArray(
            (np.concatenate(collected.line) if collected.line else np.zeros(0)).astype(np.uint64),
            np.zeros(len(msg), bool)),
    }
    frame = pd.DataFrame(columns, copy=False)
    frame.columns.name = None
    return conform(frame)


def _chunked(chunks: list[pa.Array]) -> pa.ChunkedArray:
    return pa.chunked_array([c.cast(pa.large_string()) for c in chunks], pa.large_string())


def _swap(first: pa.ChunkedArray, second: pa.ChunkedArray, keep: np.ndarray,
          ) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """(initiator, responder) chunk by chunk: ``first`` where ``keep``, else ``second``."""
    src, dst = [], []
    start = 0
    for a, b in zip(first.chunks, second.chunks, strict=True):
        mask = pa.array(keep[start:start + len(a)])
        start += len(a)
        src.append(pc.if_else(mask, a, b))
        dst.append(pc.if_else(mask, b, a))
    return (pa.chunked_array(src, pa.large_string()), pa.chunked_array(dst, pa.large_string()))


def _strings(values: pa.Array | pa.ChunkedArray) -> pd.arrays.ArrowStringArray:
    return pd.array(values, dtype=CONNECTION_DTYPES["conn_id"])


def _category(codes: np.ndarray, column: str) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, dtype=CONNECTION_DTYPES[column])


def _repeated(sources: list[tuple[str, int]]) -> pa.ChunkedArray:
    """Each source's name repeated once per row, built straight into Arrow buffers."""
    chunks = []
    for name, rows in sources:
        data = name.encode("utf-8")
        offsets = np.arange(rows + 1, dtype=np.int64) * len(data)
        chunks.append(pa.LargeStringArray.from_buffers(
            rows, pa.py_buffer(offsets), pa.py_buffer(data * rows)))
    return pa.chunked_array(chunks, pa.large_string())

