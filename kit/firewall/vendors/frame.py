"""One file's event tables (``common.EVENT_SCHEMA``) -> the connection-event frame.

Times are settled per file as for Cisco (``clock``: year-less stamps need the whole file), then
each column takes its schema dtype; ``schema.conform`` derives ``idle_wait``. UDP teardowns get
no ``close`` (their expiry is their normal end), whatever the vendor's reason.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..clock import known_times, settle_times
from ..frame import categorical
from ..schema import CONNECTION_DTYPES, FEW_VALUES, conform
from ..zones import Zone

NAT = np.iinfo(np.int64).min
_TEXT = ("device", "conn_id", "src_if", "src_ip", "dst_if", "dst_ip", "reason", "user")
_CATEGORIES = ("vendor", "event", "protocol", "close")


def file_frame(tables: list[pa.Table], lines: np.ndarray, source: str, *,
               year: int | None, modified: datetime | None, device_zone: Zone,
               relay_zone: Zone) -> pd.DataFrame:
    """The frame of one file: ``tables`` are its blocks' events, ``lines`` their 1-based line
    numbers in the file."""
    table = pa.concat_tables(tables) if tables else None  # chunked: no copy of the text
    tables.clear()
    if table is None or not table.num_rows:
        return conform(pd.DataFrame({c: pd.Series(dtype=t)
                                     for c, t in CONNECTION_DTYPES.items()
                                     if c != "idle_wait"}))
    n = table.num_rows
    # each column is let go once converted, so the file's tables and its frame are not both
    # held whole
    left = dict(zip(table.column_names, table.columns, strict=True))
    del table
    zone = left.pop("zone").to_numpy()
    yearless = left.pop("yearless").to_numpy()
    times = known_times(left.pop("local_ns").to_numpy(), zone, yearless,
                        device_zone=device_zone, relay_zone=relay_zone)
    times = settle_times(times, zone, yearless, year=year, modified=modified,
                         device_zone=device_zone, relay_zone=relay_zone)
    del zone, yearless
    columns: dict[str, object] = {
        "time": pd.DatetimeIndex(times.view("M8[ns]")).tz_localize("UTC").array,
        "msg_id": _category(left.pop("msg_id"), None),
        "orientation": _constant("logged", n, CONNECTION_DTYPES["orientation"]),
        "source": _constant(source, n, CONNECTION_DTYPES["source"]),
        "line": pd.arrays.IntegerArray(lines.astype(np.uint64), np.zeros(n, bool)),
    }
    # each column of the events is let go once converted (the frame is built beside them)
    for name in _TEXT:
        columns[name] = (_few(left.pop(name)) if CONNECTION_DTYPES[name] == FEW_VALUES
                         else pd.array(left.pop(name), dtype=CONNECTION_DTYPES[name]))
    for name in _CATEGORIES:
        columns[name] = _category(left.pop(name), CONNECTION_DTYPES[name])
    # a UDP flow's expiry is its normal end, not a connection lost: no close class (as on
    # Cisco, whose UDP teardowns carry no reason); the vendor's reason is kept
    columns["close"][np.asarray(columns["protocol"] == "udp")] = np.nan
    for name, out in (("src_port", "src_port"), ("dst_port", "dst_port"), ("bytes", "bytes")):
        values = left.pop(name)
        columns[out] = pd.arrays.IntegerArray(
            pc.fill_null(values, 0).to_numpy().astype(CONNECTION_DTYPES[out].numpy_dtype),
            values.is_null().to_numpy(zero_copy_only=False))
    for name, out in (("duration_ns", "duration"), ("active_ns", "active")):
        columns[out] = pc.fill_null(left.pop(name), NAT).to_numpy().view("m8[ns]")
    return conform(pd.DataFrame(columns, copy=False))


def _constant(value: str, n: int, dtype: object) -> pd.Categorical:
    """``n`` times ``value`` as a categorical of ``dtype`` (codes only: no object per row)."""
    if not isinstance(dtype, pd.CategoricalDtype):  # categories inferred, as from the values
        dtype = pd.Categorical(np.array([value], dtype=object)).dtype
    return pd.Categorical.from_codes(np.full(n, dtype.categories.get_loc(value), np.int8),
                                     dtype=dtype)


def _few(values: pa.ChunkedArray) -> pd.Categorical:
    """Low-cardinality text -> a categorical with sorted categories, as the Cisco frame's."""
    encoded = pc.dictionary_encode(values.combine_chunks())
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return categorical(encoded.dictionary.to_pylist(), codes)


def _category(values: pa.ChunkedArray, dtype: pd.CategoricalDtype | None) -> pd.Categorical:
    """Strings -> a categorical through Arrow's dictionary encoding (no Python objects per
    row); ``dtype`` None keeps the values' own categories."""
    encoded = pc.dictionary_encode(values.combine_chunks())
    names = encoded.dictionary.to_pylist()
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    if dtype is None:
        return pd.Categorical.from_codes(codes, categories=pd.Index(names, dtype=object))
    known = list(dtype.categories)
    remap = np.array([known.index(n) if n in known else -1 for n in names] + [-1], np.int64)
    return pd.Categorical.from_codes(remap[codes], dtype=dtype)
