"""Which TCP ``106023`` access-list denies are consequence evidence: those on the endpoints of a
TCP connection the same device tore down earlier in the same load.

A block reads every TCP 106023 as a ``deny-no-connection`` candidate (:mod:`.denies`); most are
scans and stray packets unrelated to any connection. Once the whole load is read, and before the
frame is built, this module keeps a candidate only where a TCP teardown of the same two
address/port endpoints (either direction) on the same device came at or before it, in one
vectorised pass over the collected rows; the others are dropped and counted back as ignored
``106023`` lines of their file.
"""

from __future__ import annotations

from concurrent.futures import Executor

import numpy as np
import pandas as pd
import pyarrow as pa
from numba import njit

from ..loadreport import FileReport
from .cisco import CONNECTION_MESSAGES, MESSAGE_IDS
from .columns import span_codes, span_hash, strings
from .denies import ACL_DENY
from .frame import Collected

#: the key the ignored candidates are counted under in the load report (as without matching)
IGNORED_KEY = ACL_DENY
_CANDIDATE = MESSAGE_IDS.index(ACL_DENY)
_IS_TCP_TEARDOWN = np.array([CONNECTION_MESSAGES[m] == ("teardown", "tcp") for m in MESSAGE_IDS])
_NAT = np.iinfo(np.int64).min


def drop_unmatched_acl_denies(collected: Collected, files: list[tuple[FileReport, int]],
                              pool: Executor | None = None) -> None:
    """Remove from ``collected`` (the Cisco rows of one load, times settled) the 106023
    candidates that follow no teardown of their endpoints; each is counted back as an ignored
    line of its file.

    Parameters
    ----------
    collected : kit.firewall.frame.Collected
        Every Cisco row of the load, in file order; changed in place.
    files : list of (FileReport, int)
        Each Cisco file's report and its number of rows in ``collected``, in order.
    pool : concurrent.futures.Executor, optional
        Threads to filter the blocks on.
    """
    whole = collected.whole(pool)
    drop = unmatched_acl_denies(
        whole["msg"], whole["device"], whole["port1"], whole["port2"],
        pa.chunked_array(collected.text["ip1"], pa.large_string()),
        pa.chunked_array(collected.text["ip2"], pa.large_string()), whole["time"], pool)
    if drop is None or not len(drop):
        return
    ends = np.cumsum([rows for _, rows in files])
    per_file = np.bincount(np.searchsorted(ends, drop, side="right"), minlength=len(files))
    for (file, _), count in zip(files, per_file, strict=True):
        if count:
            file.parsed -= int(count)
            file.ignore(IGNORED_KEY, int(count))
    collected.drop(drop, pool)


def unmatched_acl_denies(msg: np.ndarray, device: np.ndarray, port1: np.ndarray,
                         port2: np.ndarray, ip1: pa.ChunkedArray, ip2: pa.ChunkedArray,
                         time: np.ndarray, pool: Executor | None = None) -> np.ndarray | None:
    """Rows that are 106023 candidates without an earlier TCP teardown of their endpoints on
    their device (None: there is no candidate).

    Parameters
    ----------
    msg, device : numpy.ndarray
        Per row: index into ``kit.firewall.cisco.MESSAGE_IDS``; device code.
    port1, port2 : numpy.ndarray
        The two logged ports.
    ip1, ip2 : pyarrow.ChunkedArray
        The two logged addresses.
    time : numpy.ndarray
        UTC nanoseconds (int64; the minimum is NaT, which never matches).
    pool : concurrent.futures.Executor, optional
        Threads to hash the endpoints on, block by block.

    Returns
    -------
    numpy.ndarray or None
        Positions of the rows to drop, increasing.
    """
    candidate = msg == _CANDIDATE
    if not candidate.any():
        return None
    # cheap pre-filter by a hash of device and endpoints: a candidate no teardown shares it with
    # is unmatched outright; the addresses (text) are compared only where hashes meet
    teardown = _IS_TCP_TEARDOWN[msg]
    hashes = _endpoint_hashes(device, port1, port2, ip1, ip2, candidate | teardown, pool)
    candidates, teardowns = np.flatnonzero(candidate), np.flatnonzero(teardown)
    teardowns = teardowns[pd.Index(hashes[teardowns]).isin(hashes[candidates])]
    maybe = pd.Index(hashes[candidates]).isin(hashes[teardowns])
    unmatched = candidates[~maybe]  # no teardown of their endpoints at all
    at = np.union1d(candidates[maybe], teardowns)
    if not len(at):
        return unmatched
    address = _text_codes([ip1, ip2], at)
    n = len(at)
    one = (address[:n] << 17) | (port1[at].astype(np.int64) + 1)
    other = (address[n:] << 17) | (port2[at].astype(np.int64) + 1)
    key = _groups(device[at].astype(np.int64), np.minimum(one, other), np.maximum(one, other))
    when = time[at]
    mine = candidate[at]
    closed = ~mine & (when != _NAT)
    first = np.full(int(key.max()) + 1, np.iinfo(np.int64).max)
    np.minimum.at(first, key[closed], when[closed])
    matched = (when[mine] >= first[key[mine]]) & (when[mine] != _NAT)
    return np.union1d(unmatched, at[mine][~matched])


def _text_codes(columns: list[pa.ChunkedArray], at: np.ndarray) -> np.ndarray:
    """Equal codes for equal text over the rows ``at`` (increasing) of each column in turn: the
    rows' bytes are gathered chunk by chunk into one numpy buffer and hashed compiled (Arrow's
    take and dictionary_encode would first copy or over-allocate at this scale)."""
    texts, lengths = [], []
    for values in columns:
        ends = np.cumsum([len(c) for c in values.chunks])
        cut = np.searchsorted(at, ends)
        start = begin = 0
        for chunk, end, stop in zip(values.chunks, ends, cut, strict=True):
            if stop > start:
                offsets = _offsets(chunk)
                local = at[start:stop] - begin
                gathered = strings(_bytes(chunk), offsets[local], offsets[local + 1])
                texts.append(_bytes(gathered))
                lengths.append(np.diff(np.frombuffer(gathered.buffers()[1], np.int64)))
            start, begin = stop, end
    length = np.concatenate(lengths) if lengths else np.zeros(0, np.int64)
    bounds = np.concatenate([[0], np.cumsum(length)])
    data = np.concatenate(texts) if texts else np.zeros(0, np.uint8)
    return span_codes(data, bounds[:-1], bounds[1:]).astype(np.int64)


def _endpoint_hashes(device: np.ndarray, port1: np.ndarray, port2: np.ndarray,
                     ip1: pa.ChunkedArray, ip2: pa.ChunkedArray, rows: np.ndarray,
                     pool: Executor | None) -> np.ndarray:
    """A 64-bit hash of each of ``rows``' device and two endpoints (either order), chunk by
    chunk without gathering the text: equal endpoints hash equal (other rows are 0)."""
    out = np.zeros(len(rows), np.uint64)
    jobs, start = [], 0
    for one, other in zip(ip1.chunks, ip2.chunks, strict=True):  # one chunk per block
        end = start + len(one)
        args = (_bytes(one), _offsets(one), _bytes(other), _offsets(other), port1[start:end],
                port2[start:end], device[start:end], rows[start:end], out[start:end])
        if pool is None:
            _hash_endpoints(*args)
        else:
            jobs.append(pool.submit(_hash_endpoints, *args))
        start = end
    for job in jobs:
        job.result()
    return out


def _offsets(values: pa.Array) -> np.ndarray:
    """The offsets of a large-string array (its value ``i`` is ``data[o[i]:o[i+1]]``)."""
    return np.frombuffer(values.buffers()[1], np.int64)[values.offset:values.offset
                                                       + len(values) + 1]


@njit(nogil=True, cache=True)
def _hash_endpoints(data1: np.ndarray, offsets1: np.ndarray, data2: np.ndarray,
                    offsets2: np.ndarray, port1: np.ndarray, port2: np.ndarray,
                    device: np.ndarray, rows: np.ndarray, out: np.ndarray) -> None:
    for i in range(len(rows)):
        if not rows[i]:
            continue
        one = span_hash(data1, offsets1[i], offsets1[i + 1]) ^ (np.uint64(port1[i]) + np.uint64(1))
        two = span_hash(data2, offsets2[i], offsets2[i + 1]) ^ (np.uint64(port2[i]) + np.uint64(1))
        low, high = min(one, two), max(one, two)
        out[i] = ((low * np.uint64(0x9E3779B97F4A7C15)) ^ high) + np.uint64(device[i])


def _bytes(values: pa.Array) -> np.ndarray:
    """The data buffer of a string array as numpy bytes (no copy)."""
    data = values.buffers()[2]
    return np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)


def _groups(*columns: np.ndarray) -> np.ndarray:
    """A group number per row: rows equal in every column share one."""
    order = np.lexsort(columns[::-1])
    changed = np.zeros(len(order), bool)
    changed[:1] = True
    for column in columns:
        ordered = column[order]
        changed[1:] |= ordered[1:] != ordered[:-1]
    group = np.empty(len(order), np.int64)
    group[order] = np.cumsum(changed) - 1
    return group
