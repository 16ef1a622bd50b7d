"""Cisco ASA / PIX / FWSM / FTD connection messages -> typed columns.

The message ids and products, and the conversion of the text the layouts (``stages``) captured
into values: ports, durations (``H+:MM:SS``, integer arithmetic), byte counts, direction,
identity users, and the teardown reason (``reasons``). Numbers out of range reject their line.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .reasons import NO_CLOSE, read_reason
from .stages import LAYOUTS, Chain, digits, run_layout

#: message id -> (event, protocol)
CONNECTION_MESSAGES: dict[str, tuple[str, str]] = {
    "302013": ("built", "tcp"), "302014": ("teardown", "tcp"),
    "302015": ("built", "udp"), "302016": ("teardown", "udp"),
    "302303": ("built", "tcp"), "302304": ("teardown", "tcp"),
}
MESSAGE_IDS = tuple(CONNECTION_MESSAGES)
MESSAGE_NUMBERS = np.array([int(m) for m in MESSAGE_IDS])
PRODUCTS = {"ASA": "cisco-asa", "PIX": "cisco-pix", "FWSM": "cisco-fwsm", "FTD": "cisco-ftd"}
PRODUCT_NAMES = tuple(PRODUCTS)
_A, _P, _W, _COLON, _SPACE = (ord(c) for c in "APW: ")
STATE_BYPASS_BUILT = "302303"
_LEGACY_PRODUCTS = [PRODUCT_NAMES.index("PIX"), PRODUCT_NAMES.index("FWSM")]
_UDP_TEARDOWN = MESSAGE_IDS.index("302016")
_IS_BUILT = np.array([CONNECTION_MESSAGES[m][0] == "built" for m in MESSAGE_IDS])

#: the message tag at the start of a body: ``%ASA-6-302014``, ``%ASA-ip-4-313005``
TAG = r"^(?P<tag>%(?:ASA|PIX|FWSM|FTD)-(?:[A-Za-z]+-)?\d-\d{6}:? ?)"
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
    port1: np.ndarray          # uint16
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


def read_tags(data: np.ndarray, cut: np.ndarray, length: np.ndarray,
              ) -> tuple[np.ndarray, np.ndarray]:
    """Message number and product code of tags ``%ASA-6-302014:`` of ``length`` bytes at
    ``cut``, read from the bytes (the tag pattern has already checked their shape)."""
    end = cut + length
    last, before = data[np.maximum(end - 1, 0)], data[np.maximum(end - 2, 0)]
    trailing = np.where(last == _SPACE, np.where(before == _COLON, 2, 1),
                        np.where(last == _COLON, 1, 0))
    number, _ = digits(data, end - trailing - 6, 6)
    first, second = data[np.minimum(cut + 1, len(data) - 1)], data[np.minimum(cut + 2,
                                                                              len(data) - 1)]
    product = np.where(first == _A, 0, np.where(first == _P, 1, np.where(second == _W, 2, 3)))
    return number.astype(np.int64), product.astype(np.int8)


def parse_connections(buffer: pa.Buffer, starts: np.ndarray, rows: np.ndarray, msg: np.ndarray,
                      product: np.ndarray, users: np.ndarray,
                      ) -> tuple[Connections, np.ndarray, list[str]]:
    """Parse connection messages whose text (after the tag) starts at byte ``starts`` of
    ``buffer``; ``rows`` are their block rows, ``msg``/``product`` their codes, ``users`` marks
    lines that may name an identity user (see :func:`user_lines`).

    Returns the parsed rows, plus the rows that failed (block row indices) and one reason each.
    """
    teardown = ~_IS_BUILT[msg]
    parts: list[Connections] = []
    rejected: list[np.ndarray] = []
    reasons: list[str] = []
    legacy_capable = np.isin(product, _LEGACY_PRODUCTS)
    failed = []
    # ASA and FTD never write the legacy layout: matching them apart keeps their chain free of
    # misses (each miss costs a realignment of every captured column)
    for todo in (np.flatnonzero(~legacy_capable), np.flatnonzero(legacy_capable)):
        for layout in LAYOUTS:
            if parts and not len(todo):
                break
            chain = run_layout(layout, buffer, starts[todo], teardown[todo], users[todo])
            part, bad, why = _convert(chain, rows[todo], msg[todo], product[todo],
                                      teardown[todo], users[todo])
            parts.append(part)
            rejected.append(bad)
            reasons += why
            todo = todo[~chain.alive]
        failed.append(todo)
    todo = np.sort(np.concatenate(failed))
    rejected.append(rows[todo])
    reasons += [f"{MESSAGE_IDS[m]}: message not understood (expected "
                f"{EXPECTED['teardown' if t else 'built']})"
                for m, t in zip(msg[todo], teardown[todo], strict=True)]
    return _in_row_order(parts), np.concatenate(rejected).astype(np.int64), reasons


def _convert(chain: Chain, rows: np.ndarray, msg: np.ndarray, product: np.ndarray,
             teardown: np.ndarray, users: np.ndarray,
             ) -> tuple[Connections, np.ndarray, list[str]]:
    """The rows ``chain`` matched, as values; rows with numbers out of range are rejected."""
    done = np.flatnonzero(chain.alive)
    num = {k: v[done] for k, v in chain.numbers.items()}

    def text(name: str) -> pa.Array:
        if name not in chain.text:
            return pa.nulls(len(done), pa.large_string())
        captured_rows, values = chain.text[name]
        return _align(captured_rows, values, done).cast(pa.large_string())

    torn = teardown[done]
    bad_port = ((num["port1_digits"] > 5) | (num["port1"] > 65535)
                | (num["port2_digits"] > 5) | (num["port2"] > 65535))
    bad_duration = torn & ((num["hours_digits"] > 9) | (num["minutes"] > 59)
                           | (num["seconds"] > 59))
    bad_bytes = torn & (num["bytes_digits"] > 19)
    bad = bad_port | bad_duration | bad_bytes
    why = np.where(bad_port, "port out of range (expected 0-65535)",
                   np.where(bad_duration, "duration minutes or seconds out of range "
                                          "(expected h:mm:ss)", "byte count too large"))
    keep = ~bad

    def kept(values: pa.Array) -> pa.Array:  # filtering copies: only when something is dropped
        return values if not bad.any() else values.filter(pa.array(keep))

    seconds = (num["hours"] * 3600 + num["minutes"] * 60 + num["seconds"]).astype(np.int64)
    duration = np.where(torn, seconds * 10**9, np.iinfo(np.int64).min)
    conn_id = text("conn_id")
    conn_number, numeric = _connection_numbers(conn_id)
    first = num["direction"].astype(np.int8)
    first[(msg[done] == MESSAGE_IDS.index(STATE_BYPASS_BUILT)) & (first < 0)] = 1  # from -> to
    reason, close, aaa = _reasons(text("rest"), msg[done] == _UDP_TEARDOWN)
    maybe = users[done]
    user2 = pc.coalesce(_user(text("tail2"), maybe), _user(text("built_tail"), maybe))
    connections = Connections(
        row=rows[done][keep], msg=msg[done][keep], product=product[done][keep],
        conn_id=kept(conn_id),
        conn_number=conn_number[keep], conn_numeric=numeric[keep],
        if1=kept(text("if1")), ip1=kept(text("ip1")),
        port1=num["port1"][keep].astype(np.uint16),
        if2=kept(text("if2")), ip2=kept(text("ip2")),
        port2=num["port2"][keep].astype(np.uint16),
        first_initiated=first[keep], duration_ns=duration[keep],
        nbytes=num["bytes"][keep], has_bytes=torn[keep], reason=kept(reason),
        close=close[keep], user1=_sparse(kept(_user(text("tail1"), maybe))),
        user2=_sparse(kept(user2)), aaa_user=_sparse(kept(aaa)))
    labels = [f"{MESSAGE_IDS[m]}: {w}" for m, w in zip(msg[done][bad], why[bad], strict=True)]
    return connections, rows[done][bad], labels


def _connection_numbers(conn_id: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Connection ids as uint64 where they are numbers of up to 19 digits (for Built
    matching); the common all-numeric block is cast in one go."""
    try:
        numbers = pc.cast(conn_id, pa.uint64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        numeric = pc.fill_null(pc.match_substring_regex(conn_id, r"^\d{1,19}$"), False)
        numbers = pc.cast(pc.if_else(numeric, conn_id, None), pa.uint64())
    else:
        numeric = pc.and_(numbers.is_valid(), pc.less_equal(pc.binary_length(conn_id), 19))
    return (pc.fill_null(numbers, 0).to_numpy(zero_copy_only=False),
            pc.fill_null(numeric, False).to_numpy(zero_copy_only=False))


def _align(rows: np.ndarray, values: pa.Array, wanted: np.ndarray) -> pa.Array:
    """``values`` (one per ``rows``) for the ``wanted`` rows, null where a row has none."""
    if len(rows) == len(wanted) and np.array_equal(rows, wanted):
        return values
    if not len(rows):
        return pa.nulls(len(wanted), values.type)
    at = np.searchsorted(rows, wanted)
    found = (at < len(rows)) & (rows[np.minimum(at, len(rows) - 1)] == wanted)
    if not found.any():
        return pa.nulls(len(wanted), values.type)
    return values.take(pa.array(np.where(found, at, 0), mask=~found))


def _in_row_order(parts: list[Connections]) -> Connections:
    """One Connections from the layouts' parts, rows in line order."""
    parts = [p for p in parts if len(p.row)] or parts[:1]
    if len(parts) == 1:
        return parts[0]
    order = np.argsort(np.concatenate([p.row for p in parts]), kind="stable")
    take = pa.array(order)
    merged = {}
    for name in Connections.__dataclass_fields__:
        values = [getattr(p, name) for p in parts]
        if isinstance(values[0], np.ndarray):
            merged[name] = np.concatenate(values)[order]
        elif all(v is None for v in values):
            merged[name] = None
        else:
            filled = [pa.nulls(len(p.row), pa.large_string()) if v is None else v
                      for p, v in zip(parts, values, strict=True)]
            merged[name] = pa.concat_arrays(filled).take(take)
    return Connections(**merged)


def _reasons(rest: pa.Array, udp: np.ndarray) -> tuple[pa.Array, np.ndarray, pa.Array]:
    """Each distinct teardown tail is read once (``read_reason``), then mapped back; a UDP
    teardown's tail is read apart (its parenthesised token is a user)."""
    encoded = pc.dictionary_encode(rest)
    tails = encoded.dictionary.to_pylist()
    read = [read_reason(t) for t in tails] + [read_reason(t, udp=True) for t in tails]
    indices = encoded.indices
    if udp.any():
        indices = pa.array(pc.fill_null(indices, -1).to_numpy(zero_copy_only=False)
                           + np.where(udp, len(tails), 0), mask=~indices.is_valid()
                           .to_numpy(zero_copy_only=False))
    reason = pa.array([r.reason for r in read], pa.large_string()).take(indices)
    user = pa.array([r.user for r in read], pa.large_string()).take(indices)
    codes = np.array([r.close for r in read] + [NO_CLOSE], dtype=np.int8)
    close = codes[pc.fill_null(indices, len(read)).to_numpy(zero_copy_only=False)]
    return reason, close, user


def _sparse(values: pa.Array) -> pa.Array | None:
    """None for an all-null column: users are rare, and each null still costs 8 bytes."""
    return None if values.null_count == len(values) else values


def _user(tail: pa.Array, maybe: np.ndarray) -> pa.Array:
    """The identity-firewall user in an endpoint's tail (parentheses without an address),
    searched only on the rows ``maybe`` that can have one (users are rare)."""
    if not maybe.any():
        return pa.nulls(len(tail), pa.large_string())
    found = pc.struct_field(pc.extract_regex(pc.if_else(pa.array(maybe), tail, None), _USER),
                            [0])
    return found.cast(pa.large_string())


#: bytes without which a line names no identity user: ``DOMAIN\user``, ``user@domain``, ``*****``
_USER_BYTES = (b"\\", b"@", b"*")


def user_lines(block: bytes, starts: np.ndarray) -> np.ndarray:
    """Which lines (starting at byte ``starts``) contain a byte an identity user needs.

    These bytes are rare, so ``bytes.find`` (memchr) hopping from hit to hit is an order of
    magnitude faster than any whole-block numpy pass."""
    hits = []
    for byte in _USER_BYTES:
        at = block.find(byte)
        while at >= 0:
            hits.append(at)
            at = block.find(byte, at + 1)
    marked = np.zeros(len(starts), dtype=bool)
    marked[np.searchsorted(starts, np.array(hits, dtype=np.int64), side="right") - 1] = True
    return marked
