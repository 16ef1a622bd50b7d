"""Vendor time stamps -> int64 ns, whole columns at once (Arrow's strptime and ISO cast).

Each reader returns (ns, valid). Naive stamps give naive ns (the zone is applied later with the
file's other rows); ``iso_utc`` stamps carry their zone and give UTC; epochs are UTC.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..headers import YEARLESS_BASE

NAT = np.iinfo(np.int64).min
_ISO = (r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?"
        r"(?:Z|[+-]\d\d:?\d\d)$")
#: digits of an epoch -> ns per unit (FortiGate ``eventtime``: s, ms, us or ns)
EPOCH_UNITS = {10: 10**9, 13: 10**6, 16: 10**3, 19: 1}


def _parsed(values: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    valid = values.is_valid().to_numpy(zero_copy_only=False)
    ns = pc.fill_null(values.cast(pa.int64()), NAT).to_numpy(zero_copy_only=False)
    return ns, valid


def strptime(text: pa.Array, fmt: str) -> tuple[np.ndarray, np.ndarray]:
    """Naive ns of stamps in ``fmt`` (``%Y/%m/%d %H:%M:%S``); invalid ones are NaT."""
    if not len(text):
        return np.zeros(0, np.int64), np.zeros(0, bool)
    return _parsed(pc.strptime(text, format=fmt, unit="ns", error_is_null=True))


def slash_local(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """PAN-OS ``2026/03/02 02:30:05`` (firewall-local, no zone)."""
    return strptime(text, "%Y/%m/%d %H:%M:%S")


def bsd_yearless(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """RFC 3164 ``Mar  2 02:30:05`` placed in ``YEARLESS_BASE`` (the year is settled per file)."""
    if not len(text):
        return np.zeros(0, np.int64), np.zeros(0, bool)
    based = pc.binary_join_element_wise(str(YEARLESS_BASE), pc.cast(text, pa.string()), " ")
    return strptime(based, "%Y %b %d %H:%M:%S")


def iso_utc(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """ISO 8601 stamps with ``Z`` or an offset (fractions up to ns) -> UTC ns."""
    if not len(text):
        return np.zeros(0, np.int64), np.zeros(0, bool)
    ok = pc.fill_null(pc.match_substring_regex(text, _ISO), False)
    cleaned = pc.replace_substring_regex(pc.if_else(ok, text, None), r",", ".")
    return _parsed(cleaned.cast(pa.timestamp("ns", "UTC")))


def epoch_ns(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Epoch integers whose unit is told by their digit count (10 s, 13 ms, 16 us, 19 ns)."""
    n = len(text)
    ns = np.full(n, NAT, np.int64)
    valid = np.zeros(n, bool)
    if not n:
        return ns, valid
    length = pc.fill_null(pc.binary_length(text), 0).to_numpy(zero_copy_only=False)
    digits = pc.fill_null(pc.match_substring_regex(text, r"^\d+$"), False).to_numpy(
        zero_copy_only=False)
    for width, scale in EPOCH_UNITS.items():
        rows = np.flatnonzero(digits & (length == width))
        if len(rows):
            values = pc.cast(text.take(pa.array(rows)), pa.int64()).to_numpy(
                zero_copy_only=False)
            ns[rows] = values * scale
            valid[rows] = True
    return ns, valid

