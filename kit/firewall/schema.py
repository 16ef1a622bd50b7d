"""The connection-event frame: one row per connection event, the same columns for every vendor.

Every firewall parser returns exactly these columns with exactly these dtypes (DESIGN.md).
Downstream code (case, analysis, remedies, synth tests) relies on this one declaration.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STRING = pd.StringDtype("pyarrow")
#: text with few distinct values (devices, interfaces, reasons, users, file names): a category
#: costs a byte or two a row where a string costs its length plus 8 (categories sorted)
FEW_VALUES = "category"

EVENTS = ("built", "teardown", "deny-no-connection")
PROTOCOLS = ("tcp", "udp")
ORIENTATIONS = ("logged", "built", "port")
CLOSES = ("idle-timeout", "fin", "reset", "syn-timeout", "half-closed-timeout", "policy", "other")
VENDORS = ("cisco-asa", "cisco-ftd", "cisco-fwsm", "cisco-pix", "paloalto", "fortinet",
           "juniper", "netfilter")
#: vendor timing: ``active`` is first-to-last packet where the vendor reports it (PAN-OS
#: Elapsed), ``idle_wait`` = duration - active (derived here, in ``conform``, and nowhere else)
TIMING = ("active", "idle_wait")

#: column -> dtype, in output order
CONNECTION_DTYPES: dict[str, object] = {
    "time": pd.DatetimeTZDtype("ns", "UTC"),
    "device": FEW_VALUES,
    "vendor": pd.CategoricalDtype(VENDORS),
    "msg_id": "category",
    "event": pd.CategoricalDtype(EVENTS),
    "protocol": pd.CategoricalDtype(PROTOCOLS),
    "conn_id": STRING,
    "src_if": FEW_VALUES,
    "src_ip": STRING,
    "src_port": pd.UInt16Dtype(),
    "dst_if": FEW_VALUES,
    "dst_ip": STRING,
    "dst_port": pd.UInt16Dtype(),
    "orientation": pd.CategoricalDtype(ORIENTATIONS),
    "duration": "timedelta64[ns]",
    "active": "timedelta64[ns]",
    "idle_wait": "timedelta64[ns]",
    "bytes": pd.UInt64Dtype(),
    "reason": FEW_VALUES,
    "close": pd.CategoricalDtype(CLOSES),
    "user": FEW_VALUES,
    "source": FEW_VALUES,
    "line": pd.UInt64Dtype(),
}

CONNECTION_COLUMNS = tuple(CONNECTION_DTYPES)
#: the columns whose categories are their values that occur, sorted (the other categoricals have
#: fixed categories)
FEW_VALUE_COLUMNS = ("device", "src_if", "dst_if", "reason", "user", "source")


def empty_connections() -> pd.DataFrame:
    """A zero-row connection-event frame with the right dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in CONNECTION_DTYPES.items()})


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """Reorder and cast ``frame`` to the connection-event schema (raises if a column is missing).

    ``active`` may be absent (a vendor without it: all NaT); ``idle_wait`` is always derived
    here as ``duration - active``.
    """
    if "active" not in frame.columns:  # then no idle wait either (no arithmetic over NaT)
        never = np.full(len(frame), np.iinfo(np.int64).min).view("m8[ns]")
        frame = frame.assign(active=never, idle_wait=never.copy())
    else:
        frame = frame.assign(idle_wait=frame["duration"].astype("m8[ns]")
                             - frame["active"].astype("m8[ns]"))
    missing = [c for c in CONNECTION_COLUMNS if c not in frame.columns]
    if missing:
        raise KeyError(f"connection frame lacks columns {missing}")
    return frame.loc[:, list(CONNECTION_COLUMNS)].astype(CONNECTION_DTYPES)


def text_categories(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame``'s few-valued text columns as one read gives them: categories that occur, sorted,
    typed as text. For frames put together from parts (the parse cache): a part split off a read
    keeps the read's categories, and Parquet gives back an all-null category as object."""
    for column in FEW_VALUE_COLUMNS:
        if column not in frame.columns:
            continue
        values = frame[column]
        if not isinstance(values.dtype, pd.CategoricalDtype):
            values = values.astype("category")
        used = values.cat.remove_unused_categories().cat.categories
        frame[column] = values.cat.set_categories(pd.Index(sorted(used), dtype="str"))
    return frame
