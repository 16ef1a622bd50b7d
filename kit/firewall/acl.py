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

import numpy as np
import pyarrow as pa

from ..loadreport import FileReport
from .cisco import CONNECTION_MESSAGES, MESSAGE_IDS
from .denies import ACL_DENY
from .frame import Collected

#: the key the ignored candidates are counted under in the load report (as without matching)
IGNORED_KEY = ACL_DENY
_CANDIDATE = MESSAGE_IDS.index(ACL_DENY)
_TCP_TEARDOWNS = [k for k, m in enumerate(MESSAGE_IDS)
                  if CONNECTION_MESSAGES[m] == ("teardown", "tcp")]
_NAT = np.iinfo(np.int64).min


def drop_unmatched_acl_denies(collected: Collected, files: list[tuple[FileReport, int]]) -> None:
    """Remove from ``collected`` (the Cisco rows of one load, times settled) the 106023
    candidates that follow no teardown of their endpoints; each is counted back as an ignored
    line of its file.

    Parameters
    ----------
    collected : kit.firewall.frame.Collected
        Every Cisco row of the load, in file order; changed in place.
    files : list of (FileReport, int)
        Each Cisco file's report and its number of rows in ``collected``, in order.
    """
    numbers = collected.numbers
    drop = unmatched_acl_denies(
        np.concatenate(numbers["msg"]), np.concatenate(collected.device),
        np.concatenate(numbers["port1"]), np.concatenate(numbers["port2"]),
        pa.chunked_array(collected.text["ip1"], pa.large_string()),
        pa.chunked_array(collected.text["ip2"], pa.large_string()),
        np.concatenate(collected.time))
    if drop is None or not len(drop):
        return
    ends = np.cumsum([rows for _, rows in files])
    per_file = np.bincount(np.searchsorted(ends, drop, side="right"), minlength=len(files))
    for (file, _), count in zip(files, per_file, strict=True):
        if count:
            file.parsed -= int(count)
            file.ignore(IGNORED_KEY, int(count))
    collected.drop(drop)


def unmatched_acl_denies(msg: np.ndarray, device: np.ndarray, port1: np.ndarray,
                         port2: np.ndarray, ip1: pa.ChunkedArray, ip2: pa.ChunkedArray,
                         time: np.ndarray) -> np.ndarray | None:
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

    Returns
    -------
    numpy.ndarray or None
        Positions of the rows to drop, increasing.
    """
    candidate = msg == _CANDIDATE
    if not candidate.any():
        return None
    # cheap integer pre-filter: only teardowns on a candidate's device and port pair can match,
    # so the addresses (text) are compared for those alone
    low = np.minimum(port1, port2).astype(np.int64)
    high = np.maximum(port1, port2).astype(np.int64)
    ports = ((device.astype(np.int64) + 1) << 32) | (low << 16) | high
    teardown = np.isin(msg, _TCP_TEARDOWNS) & np.isin(ports, np.unique(ports[candidate]))
    at = np.flatnonzero(candidate | teardown)
    take = pa.array(at)
    both = pa.concat_arrays([ip1.take(take).combine_chunks(), ip2.take(take).combine_chunks()])
    address = both.dictionary_encode().indices.to_numpy(zero_copy_only=False).astype(np.int64)
    n = len(at)
    one = (address[:n] << 17) | (port1[at].astype(np.int64) + 1)
    other = (address[n:] << 17) | (port2[at].astype(np.int64) + 1)
    keys = np.column_stack([device[at].astype(np.int64), np.minimum(one, other),
                            np.maximum(one, other)])
    _, key = np.unique(keys, axis=0, return_inverse=True)
    key = key.ravel()
    when = time[at]
    closed = teardown[at] & (when != _NAT)
    first = np.full(int(key.max()) + 1, np.iinfo(np.int64).max)
    np.minimum.at(first, key[closed], when[closed])
    mine = candidate[at]
    matched = (when[mine] >= first[key[mine]]) & (when[mine] != _NAT)
    return at[mine][~matched]
