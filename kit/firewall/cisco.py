"""Cisco ASA / PIX / FWSM / FTD connection messages -> typed columns.

The message ids and products, and the columns of one block's connection messages: the compiled
field finder (:mod:`.cisco_fields`) reads the fields and numbers in one pass, :mod:`.columns`
builds the text columns from its byte spans, and each distinct teardown tail is read once
(:mod:`.reasons`). Numbers out of range reject their line, with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from .cisco_fields import ACL_DENY as ACL_DENY_KIND
from .cisco_fields import (
    BAD_BYTES,
    BAD_DURATION,
    BAD_PORT,
    CONN,
    GATHERED,
    IF1,
    IF2,
    INTERNED,
    IP1,
    IP2,
    MAX_HOURS,
    NO_CONNECTION_DENY,
    NOTE,
    OK,
    REST,
    TEARDOWN,
    TOO_LONG,
    USER1,
    USER2,
    find_connections,
)
from .cisco_fields import BUILT as BUILT_KIND
from .columns import arrow_copy, dictionary, strings
from .denies import ACL_DENY, ACL_EXPECTED, DENY_NO_CONNECTION
from .denies import EXPECTED as DENY_EXPECTED
from .reasons import NO_CLOSE, read_reason

#: message id -> (event, protocol)
CONNECTION_MESSAGES: dict[str, tuple[str, str]] = {
    DENY_NO_CONNECTION: ("deny-no-connection", "tcp"),
    ACL_DENY: ("deny-no-connection", "tcp"),  # TCP candidates only (.acl keeps the matched)
    "302013": ("built", "tcp"), "302014": ("teardown", "tcp"),
    "302015": ("built", "udp"), "302016": ("teardown", "udp"),
    "302303": ("built", "tcp"), "302304": ("teardown", "tcp"),
}
MESSAGE_IDS = tuple(CONNECTION_MESSAGES)
MESSAGE_NUMBERS = np.array([int(m) for m in MESSAGE_IDS])
PRODUCTS = {"ASA": "cisco-asa", "PIX": "cisco-pix", "FWSM": "cisco-fwsm", "FTD": "cisco-ftd"}
PRODUCT_NAMES = tuple(PRODUCTS)
STATE_BYPASS_BUILT = "302303"
MAX_DURATION_HOURS = MAX_HOURS
DURATION_TOO_LONG = f"duration longer than {MAX_DURATION_HOURS:,} hours (not a real connection)"
_UDP_TEARDOWN = MESSAGE_IDS.index("302016")
#: message code -> the layout the field finder reads (cisco_fields.BUILT ... ACL_DENY)
_KIND = np.array([NO_CONNECTION_DENY if m == DENY_NO_CONNECTION else ACL_DENY_KIND
                  if m == ACL_DENY else BUILT_KIND if CONNECTION_MESSAGES[m][0] == "built"
                  else TEARDOWN for m in MESSAGE_IDS], np.int8)

#: a Cisco tag anywhere, to tell a damaged tag from a line of another program
ANY_TAG = r"%(?:ASA|PIX|FWSM|FTD)-"

#: what a line of each layout should look like (its reject reason quotes it)
_EXPECTED = (
    "'Built {inbound|outbound} TCP connection <id> for <if>:<addr>/<port> "
    "[(<mapped>)] to <if>:<addr>/<port> [(<mapped>)]'",
    "'Teardown TCP connection <id> for <if>:<addr>/<port> to <if>:<addr>/<port> "
    "duration <h:mm:ss> bytes <n> [<reason> [from <if>]] [(<user>)]' "
    "or the legacy 'faddr <addr>/<port> gaddr ... laddr <addr>/<port>' layout",
    DENY_EXPECTED, ACL_EXPECTED)


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


_REJECTS = {
    BAD_PORT: "port out of range (expected 0-65535)",
    BAD_DURATION: "duration minutes or seconds out of range (expected h:mm:ss)",
    TOO_LONG: DURATION_TOO_LONG,
    BAD_BYTES: "byte count too large",
}


def parse_connections(data: np.ndarray, line_start: np.ndarray, body: np.ndarray,
                      line_end: np.ndarray, rows: np.ndarray, msg: np.ndarray,
                      product: np.ndarray) -> tuple[Connections, np.ndarray, list[str]]:
    """Parse the connection messages of block rows ``rows`` (one compiled pass, see
    :mod:`.cisco_fields`): their text after the tag starts at byte ``body`` of ``data``, their
    line runs from ``line_start`` to ``line_end`` (newline excluded); ``msg``/``product`` are
    their codes.

    Returns the parsed rows, plus the rows that failed (block row indices) and one reason each.
    """
    kind = _KIND[msg]
    (status, spans, ports, direction, seconds, nbytes, conn_number, conn_numeric, text,
     offsets, codes, interfaces, tails, notes) = find_connections(data, line_start, body,
                                                                  line_end, kind)
    ok = status == OK
    done = np.flatnonzero(ok)
    failed = np.flatnonzero(~ok)
    reasons = [f"{MESSAGE_IDS[m]}: " + (
        _REJECTS[s] if s in _REJECTS else f"message not understood (expected {_EXPECTED[k]})")
        for m, s, k in zip(msg[failed], status[failed], kind[failed], strict=True)]
    deny = kind >= NO_CONNECTION_DENY
    gathered = [_gathered(text[k], offsets[k], ok & ~deny if GATHERED[k] == CONN else ok)
                for k in range(len(GATHERED))]
    if len(failed):
        spans, ports, codes = spans[:, done], ports[:, done], codes[:, done]
        direction, seconds, nbytes = direction[done], seconds[done], nbytes[done]
        conn_number, conn_numeric = conn_number[done], conn_numeric[done]
        msg, product, kind = msg[done], product[done], kind[done]
        keep = pa.array(ok)
        gathered = [g.filter(keep) for g in gathered]
    teardown = kind == TEARDOWN
    conn_id, ip1, ip2 = (gathered[GATHERED.index(f)] for f in (CONN, IP1, IP2))
    names = strings(data, interfaces[0], interfaces[1])

    def interface(field: int) -> pa.DictionaryArray:
        at = codes[INTERNED.index(field)]
        return pa.DictionaryArray.from_arrays(pa.array(at, mask=at < 0), names)

    def sparse(field: int) -> pa.Array | None:  # users are rare: None for an all-null column
        starts = spans[2 * field]
        return dictionary(data, starts, spans[2 * field + 1]) if (starts >= 0).any() else None

    first = direction.copy()
    first[(msg == MESSAGE_IDS.index(STATE_BYPASS_BUILT)) & (first < 0)] = 1  # from -> to
    reason, close, aaa = _reasons(
        codes[INTERNED.index(REST)], strings(data, tails[0], tails[1]), msg == _UDP_TEARDOWN,
        codes[INTERNED.index(NOTE)], strings(data, notes[0], notes[1]), kind == ACL_DENY_KIND)
    connections = Connections(
        row=rows[done], msg=msg, product=product, conn_id=conn_id,
        conn_number=conn_number, conn_numeric=conn_numeric,
        if1=interface(IF1), ip1=ip1, port1=ports[0].astype(np.uint16),
        if2=interface(IF2), ip2=ip2, port2=ports[1].astype(np.uint16),
        first_initiated=first,
        duration_ns=np.where(teardown, seconds * 10**9, np.iinfo(np.int64).min),
        nbytes=nbytes, has_bytes=teardown, reason=reason, close=close,
        user1=sparse(USER1), user2=sparse(USER2),
        aaa_user=None if aaa.null_count == len(aaa) else aaa)
    return connections, rows[failed].astype(np.int64), reasons


def _gathered(text: np.ndarray, offsets: np.ndarray, present: np.ndarray) -> pa.LargeStringArray:
    """A text column the pass gathered: its bytes copied out of the pass's scratch into
    Arrow's memory (where the address swap of the frame build reuses it)."""
    rows = len(offsets) - 1
    missing = rows - int(present.sum())
    return pa.LargeStringArray.from_buffers(
        rows, arrow_copy(offsets), arrow_copy(text[:offsets[-1]]),
        pa.py_buffer(np.packbits(present, bitorder="little")) if missing else None, missing)


def _reasons(codes: np.ndarray, tails: pa.Array, udp: np.ndarray, note_codes: np.ndarray,
             notes: pa.Array, acl: np.ndarray) -> tuple[pa.Array, np.ndarray, pa.Array]:
    """Each distinct teardown tail is read once (``read_reason``), then mapped back: the
    reason and the AAA user as dictionary arrays, the close code per row. A UDP teardown's
    tail is read apart (its parenthesised token is a user, not a reason). A deny's note is its
    reason: ``access-group <acl>`` (106023) or ``flags <flags>`` (106015)."""
    distinct = tails.to_pylist()
    read = [read_reason(t) for t in distinct]
    if udp.any():
        read += [read_reason(t, udp=True) for t in distinct]
        codes = np.where(udp & (codes >= 0), codes + len(distinct), codes)
    reasons, users = [r.reason for r in read], [r.user for r in read]
    closes = [r.close for r in read]
    named = notes.to_pylist()
    if named:
        codes = np.where(note_codes >= 0, note_codes + len(read) + np.where(acl, 0, len(named)),
                         codes)
        reasons += [f"access-group {n}" for n in named] + [f"flags {n}" for n in named]
        users += [None] * (2 * len(named))
        closes += [NO_CLOSE] * (2 * len(named))
    close = np.array([*closes, NO_CLOSE], dtype=np.int8)[codes]
    return _recoded(codes, reasons), close, _recoded(codes, users)


def _recoded(codes: np.ndarray, values: list[str | None]) -> pa.DictionaryArray:
    """Rows coded into ``values`` (-1 none) as a dictionary array of the distinct non-null
    values (several tails can give the same reason)."""
    distinct = list(dict.fromkeys(v for v in values if v is not None))
    lookup = np.array([distinct.index(v) if v is not None else -1 for v in values] + [-1],
                      dtype=np.int32)[codes]
    return pa.DictionaryArray.from_arrays(pa.array(lookup, mask=lookup < 0),
                                          pa.array(distinct, pa.large_string()))
