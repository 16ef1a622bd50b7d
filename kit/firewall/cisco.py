"""Cisco ASA / PIX / FWSM / FTD connection messages -> typed columns.

The message ids and products, and the conversion of the text the layouts (``stages``) captured
into values: ports, durations (``H+:MM:SS``, integer arithmetic), byte counts, direction,
identity users, and the teardown reason (``reasons``). Numbers out of range reject their line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .reasons import NO_CLOSE, read_reason
from .stages import LAYOUTS, run_layout

#: message id -> (event, protocol)
CONNECTION_MESSAGES: dict[str, tuple[str, str]] = {
    "302013": ("built", "tcp"), "302014": ("teardown", "tcp"),
    "302015": ("built", "udp"), "302016": ("teardown", "udp"),
    "302303": ("built", "tcp"), "302304": ("teardown", "tcp"),
}
MESSAGE_IDS = tuple(CONNECTION_MESSAGES)
PRODUCTS = {"ASA": "cisco-asa", "PIX": "cisco-pix", "FWSM": "cisco-fwsm", "FTD": "cisco-ftd"}
PRODUCT_NAMES = tuple(PRODUCTS)
STATE_BYPASS_BUILT = "302303"
_IS_BUILT = np.array([CONNECTION_MESSAGES[m][0] == "built" for m in MESSAGE_IDS])

#: the message tag at the start of a body: ``%ASA-6-302014``, ``%ASA-ip-4-313005``
TAG = r"^(?P<tag>%(?P<product>ASA|PIX|FWSM|FTD)-(?:[A-Za-z]+-)?\d-(?P<msg_id>\d{6}):? ?)"
#: a Cisco tag anywhere, to tell a damaged tag from a line of another program
ANY_TAG = r"%(?:ASA|PIX|FWSM|FTD)-"

EXPECTED = {
    "built": "'Built {inbound|outbound} TCP connection <id> for <if>:<addr>/<port> "
             "[(<mapped>)] to <if>:<addr>/<port> [(<mapped>)]'",
    "teardown": "'Teardown TCP connection <id> for <if>:<addr>/<port> to <if>:<addr>/<port> "
                "duration <h:mm:ss> bytes <n> [<reason> [from <if>]] [(<user>)]' "
                "or the legacy 'faddr <addr>/<port> gaddr ... laddr <addr>/<port>' layout",
}

_USER = r"\((?P<user>[^(),/]+)(?:,[^()]*)?\)"


@dataclass
class Connections:
    """Parsed connection messages of one block (rows aligned with ``row``, in line order)."""

    row: np.ndarray            # int64 line index within the block
    msg: np.ndarray            # int8 index into MESSAGE_IDS
    product: np.ndarray        # int8 index into PRODUCT_NAMES
    conn_id: pa.Array
    conn_number: np.ndarray    # uint64 value of a numeric connection id (for Built matching)
    conn_numeric: np.ndarray   # bool
    if1: pa.Array
    ip1: pa.Array
    port1: np.ndarray          # int32
    if2: pa.Array
    ip2: pa.Array
    port2: np.ndarray
    first_initiated: np.ndarray  # int8: 1 the first endpoint initiated, 0 the second, -1 unknown
    duration_ns: np.ndarray    # int64, NaT on Builts
    nbytes: np.ndarray         # uint64
    has_bytes: np.ndarray      # bool
    reason: pa.Array
    close: np.ndarray          # int8 index into CLOSES, or NO_CLOSE
    #: identity users of each endpoint and the AAA user; None where the block has none at all
    user1: pa.Array | None
    user2: pa.Array | None
    aaa_user: pa.Array | None


def parse_connections(buffer: pa.Buffer, starts: np.ndarray, rows: np.ndarray, msg: np.ndarray,
                      product: np.ndarray) -> tuple[Connections, np.ndarray, list[str]]:
    """Parse connection messages whose text (after the tag) starts at byte ``starts`` of
    ``buffer``; ``rows`` are their block rows, ``msg``/``product`` their codes.

    Returns the parsed rows, plus the rows that failed (block row indices) and one reason each.
    """
    teardown = ~_IS_BUILT[msg]
    parts: list[tuple[np.ndarray, dict[str, pa.Array]]] = []
    todo = np.arange(len(rows))
    for stages in LAYOUTS.values():
        if not len(todo):
            break
        done, fields = run_layout(buffer, starts[todo], teardown[todo], stages)
        parts.append((todo[done], fields))
        todo = np.setdiff1d(todo, todo[done], assume_unique=True)
    failed = [f"{MESSAGE_IDS[m]}: message not understood (expected "
              f"{EXPECTED['teardown' if t else 'built']})"
              for m, t in zip(msg[todo], teardown[todo], strict=True)]
    index, column = _merge(parts)
    connections, bad, why = _convert(column, index, rows, msg, product)
    return connections, np.concatenate([rows[todo], bad]).astype(np.int64), failed + why


def _merge(parts: list[tuple[np.ndarray, dict[str, pa.Array]]],
           ) -> tuple[np.ndarray, Callable[[str], pa.Array]]:
    """The layouts' rows in line order, and a getter for each field over them."""
    parts = [p for p in parts if len(p[0])]
    index = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    permutation = np.argsort(index, kind="stable")

    def column(name: str) -> pa.Array:
        chunks = [f[name].cast(pa.large_string()) if name in f
                  else pa.nulls(len(i), pa.large_string()) for i, f in parts]
        if len(chunks) == 1:
            return chunks[0]
        if not chunks:
            return pa.array([], pa.large_string())
        return pa.concat_arrays(chunks).take(pa.array(permutation))

    return index[permutation], column


def _convert(column: Callable[[str], pa.Array], index: np.ndarray, rows: np.ndarray,
             msg: np.ndarray, product: np.ndarray) -> tuple[Connections, np.ndarray, list[str]]:
    """Text fields -> values; rows with numbers out of range are rejected."""
    port1, bad1 = _ports(column("port1"))
    port2, bad2 = _ports(column("port2"))
    duration, bad_duration = _durations(column("duration"))
    nbytes, has_bytes, bad_bytes = _bytes(column("bytes"))
    event = column("event")
    first = np.where(pc.match_substring(event, "inbound").to_numpy(zero_copy_only=False), 1,
                     np.where(pc.match_substring(event, "outbound").to_numpy(
                         zero_copy_only=False), 0, -1)).astype(np.int8)
    msg, product = msg[index], product[index]
    first[(msg == MESSAGE_IDS.index(STATE_BYPASS_BUILT)) & (first < 0)] = 1  # from -> to
    reason, close, aaa = _reasons(column("rest"))
    bad = bad1 | bad2 | bad_duration | bad_bytes
    why = np.where(bad1 | bad2, "port out of range (expected 0-65535)",
                   np.where(bad_duration, "duration minutes or seconds out of range "
                                          "(expected h:mm:ss)", "byte count too large"))
    keep = pa.array(~bad)
    conn_id = column("conn_id").filter(keep)
    numeric = pc.match_substring_regex(conn_id, r"^\d{1,19}$")
    conn_number, _ = _numbers(pc.if_else(numeric, conn_id, None), 19, np.uint64)
    user2 = pc.coalesce(_user(column("tail2")), _user(column("built_tail")))
    connections = Connections(
        row=rows[index][~bad], msg=msg[~bad], product=product[~bad],
        conn_id=conn_id, conn_number=conn_number,
        conn_numeric=numeric.to_numpy(zero_copy_only=False),
        if1=column("if1").filter(keep), ip1=column("ip1").filter(keep), port1=port1[~bad],
        if2=column("if2").filter(keep), ip2=column("ip2").filter(keep), port2=port2[~bad],
        first_initiated=first[~bad], duration_ns=duration[~bad], nbytes=nbytes[~bad],
        has_bytes=has_bytes[~bad], reason=reason.filter(keep), close=close[~bad],
        user1=_sparse(_user(column("tail1")).filter(keep)), user2=_sparse(user2.filter(keep)),
        aaa_user=_sparse(aaa.filter(keep)))
    labels = [f"{MESSAGE_IDS[m]}: {w}" for m, w in zip(msg[bad], why[bad], strict=True)]
    return connections, rows[index][bad], labels


def _numbers(text: pa.Array, max_digits: int, dtype: type) -> tuple[np.ndarray, np.ndarray]:
    """Digit strings -> integers; values with more than ``max_digits`` digits are flagged."""
    too_long = pc.fill_null(pc.greater(pc.binary_length(text), max_digits), False)
    safe = pc.if_else(too_long, None, text)
    values = pc.fill_null(pc.cast(safe, pa.from_numpy_dtype(dtype)), 0)
    return values.to_numpy(zero_copy_only=False), too_long.to_numpy(zero_copy_only=False)


def _ports(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    values, too_long = _numbers(text, 5, np.int32)
    return values, too_long | (values > 65535)


def _durations(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    parts = pc.split_pattern(text, ":")
    hours, h_bad = _numbers(pc.list_element(parts, 0), 9, np.int64)
    minutes, _ = _numbers(pc.list_element(parts, 1), 2, np.int64)
    seconds, _ = _numbers(pc.list_element(parts, 2), 2, np.int64)
    bad = h_bad | (minutes > 59) | (seconds > 59)
    ns = (hours * 3600 + minutes * 60 + seconds) * 10**9
    missing = text.is_null().to_numpy(zero_copy_only=False)
    return np.where(missing, np.iinfo(np.int64).min, ns), bad


def _bytes(text: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    values, too_long = _numbers(text, 19, np.uint64)
    return values, text.is_valid().to_numpy(zero_copy_only=False), too_long


def _reasons(rest: pa.Array) -> tuple[pa.Array, np.ndarray, pa.Array]:
    """Each distinct teardown tail is read once (``read_reason``), then mapped back."""
    encoded = pc.dictionary_encode(rest)
    read = [read_reason(t) for t in encoded.dictionary.to_pylist()]
    indices = encoded.indices
    reason = pa.array([r.reason for r in read], pa.large_string()).take(indices)
    user = pa.array([r.user for r in read], pa.large_string()).take(indices)
    codes = np.array([r.close for r in read] + [NO_CLOSE], dtype=np.int8)
    close = codes[pc.fill_null(indices, len(read)).to_numpy(zero_copy_only=False)]
    return reason, close, user


def _sparse(values: pa.Array) -> pa.Array | None:
    """None for an all-null column: users are rare, and each null still costs 8 bytes."""
    return None if values.null_count == len(values) else values


def _user(tail: pa.Array) -> pa.Array:
    """The identity-firewall user in an endpoint's tail (parentheses without an address)."""
    return pc.struct_field(pc.extract_regex(tail, _USER), [0]).cast(pa.large_string())
