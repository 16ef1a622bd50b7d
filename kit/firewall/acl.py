"""Which TCP ``106023`` access-list denies are consequence evidence: those on the endpoints of a
TCP connection the same device tore down earlier in the same load.

A block reads every TCP 106023 as a ``deny-no-connection`` candidate (:mod:`.denies`); most are
scans and stray packets unrelated to any connection. Once the whole load is read, this module
keeps a candidate only where a TCP teardown of the same two address/port endpoints (either
direction) on the same device came at or before it, in one vectorised pass over the frame;
the others are dropped from the frame and counted back as ignored ``106023`` lines of their file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..loadreport import FileReport
from .denies import ACL_DENY
from .schema import FEW_VALUE_COLUMNS

#: the key the ignored candidates are counted under in the load report (as without matching)
IGNORED_KEY = ACL_DENY


def matched_acl_denies(frame: pd.DataFrame, files: list[tuple[FileReport, int]],
                       ) -> pd.DataFrame:
    """The Cisco ``frame`` of one load without the 106023 candidates that follow no teardown of
    their endpoints; each is counted back as an ignored line of its file.

    Parameters
    ----------
    frame : pandas.DataFrame
        The Cisco connection-event frame, rows in file order.
    files : list of (FileReport, int)
        Each Cisco file's report and its number of rows in ``frame``, in order.

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself when nothing is dropped, else a copy without those rows.
    """
    drop = unmatched_acl_denies(frame)
    if drop is None or not len(drop):
        return frame
    ends = np.cumsum([rows for _, rows in files])
    per_file = np.bincount(np.searchsorted(ends, drop, side="right"), minlength=len(files))
    for (file, _), count in zip(files, per_file, strict=True):
        if count:
            file.parsed -= int(count)
            file.ignore(IGNORED_KEY, int(count))
    keep = np.ones(len(frame), bool)
    keep[drop] = False
    return unused_categories_removed(frame.loc[keep].reset_index(drop=True))


def unmatched_acl_denies(frame: pd.DataFrame) -> np.ndarray | None:
    """Rows of the Cisco connection-event ``frame`` that are 106023 candidates without an
    earlier TCP teardown of their endpoints on their device (None: the frame has no 106023).

    Parameters
    ----------
    frame : pandas.DataFrame
        The connection-event frame of one load (``kit.firewall.schema.CONNECTION_DTYPES``).

    Returns
    -------
    numpy.ndarray or None
        Positions of the rows to drop, increasing.
    """
    msg = frame["msg_id"]
    if ACL_DENY not in msg.cat.categories:
        return None
    candidate = (msg.cat.codes == msg.cat.categories.get_loc(ACL_DENY)).to_numpy()
    if not candidate.any():
        return None
    teardown = ((frame["event"] == "teardown") & (frame["protocol"] == "tcp")).to_numpy(bool)
    # cheap integer pre-filter: only teardowns on a candidate's device and port pair can match,
    # so the addresses (text) are compared for those alone
    ports = _port_keys(frame)
    teardown = teardown & np.isin(ports, np.unique(ports[candidate]))
    at = np.flatnonzero(candidate | teardown)
    rows = frame[["time", "device", "src_ip", "src_port", "dst_ip", "dst_port"]].take(at)
    time = rows["time"].array.asi8
    keys = _endpoint_keys(rows)
    never = np.iinfo(np.int64).min  # NaT
    is_teardown = teardown[at] & (time != never)
    first = (keys.loc[is_teardown].assign(first=pd.array(time[is_teardown], "Int64"))
             .groupby(_KEY, sort=False, as_index=False)["first"].min())
    mine = candidate[at]
    earliest = keys.loc[mine].merge(first, how="left", on=_KEY)["first"].to_numpy(
        dtype=np.int64, na_value=np.iinfo(np.int64).max)
    matched = (time[mine] >= earliest) & (time[mine] != never)
    return at[mine][~matched]


_KEY = ["device", "low", "high"]


def unused_categories_removed(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (rows dropped from a read) with the few-valued columns' categories again only
    those that occur, still sorted; a column is touched only when one went unused."""
    for column in FEW_VALUE_COLUMNS:
        values = frame[column]
        codes = values.cat.codes.to_numpy()
        if not (np.bincount(codes[codes >= 0], minlength=len(values.cat.categories)) > 0).all():
            frame[column] = values.cat.remove_unused_categories()
    return frame


def _port_keys(frame: pd.DataFrame) -> np.ndarray:
    """Each row's device and its two ports, lower first, as one integer."""
    src = frame["src_port"].to_numpy(dtype=np.int64, na_value=0xFFFF)
    dst = frame["dst_port"].to_numpy(dtype=np.int64, na_value=0xFFFF)
    device = frame["device"].cat.codes.to_numpy(dtype=np.int64) + 1
    return (device << 32) | (np.minimum(src, dst) << 16) | np.maximum(src, dst)


def _endpoint_keys(rows: pd.DataFrame) -> pd.DataFrame:
    """Each row's device and its two address/port endpoints as integers, lower first (so
    both directions of a connection have the same key)."""
    ips = pd.concat([rows["src_ip"], rows["dst_ip"]], ignore_index=True)
    codes = pd.factorize(ips, use_na_sentinel=False)[0].astype(np.int64)
    ports = np.concatenate([rows["src_port"].to_numpy(dtype=np.int64, na_value=-1),
                            rows["dst_port"].to_numpy(dtype=np.int64, na_value=-1)])
    endpoint = (codes << 17) | (ports + 1)
    n = len(rows)
    low = np.minimum(endpoint[:n], endpoint[n:])
    high = np.maximum(endpoint[:n], endpoint[n:])
    device = rows["device"].cat.codes.to_numpy(dtype=np.int64)
    return pd.DataFrame({"device": device, "low": low, "high": high})
