"""Cisco ASA / PIX / FWSM / FTD connection messages -> columns, with RE2 over Arrow arrays.

RE2 only uses its fast one-pass engine for anchored patterns with at most four capture groups
(performance-notes.md), so each message layout is one skeleton of pieces and is matched in several
passes that each capture up to four fields and stop after the last one. Every piece is written so
that the next byte decides the path (no backtracking), and no piece crosses a newline.

Layouts (domain.md §A1): the ASA one (``for IF:addr/port [(mapped)][(user)] to ...``, also
FWSM 3.x+ and the state-bypass ``from ... to``), and the legacy PIX/FWSM ``faddr/gaddr/laddr`` one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .reasons import NO_CLOSE, read_reason

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

#: the message tag at the start of a body: ``%ASA-6-302014``, ``%ASA-ip-4-313005``
TAG = r"^%(?P<product>ASA|PIX|FWSM|FTD)-(?:[A-Za-z]+-)?\d-(?P<msg_id>\d{6})"
#: a Cisco tag anywhere, to tell a damaged tag from a line of another program
ANY_TAG = r"%(?:ASA|PIX|FWSM|FTD)-"

EXPECTED = {
    "built": "'Built {inbound|outbound} TCP connection <id> for <if>:<addr>/<port> "
             "[(<mapped>)] to <if>:<addr>/<port> [(<mapped>)]'",
    "teardown": "'Teardown TCP connection <id> for <if>:<addr>/<port> to <if>:<addr>/<port> "
                "duration <h:mm:ss> bytes <n> [<reason> [from <if>]] [(<user>)]' "
                "or the legacy 'faddr <addr>/<port> gaddr ... laddr <addr>/<port>' layout",
}

_SKIP_TAG = r"%[A-Z]+-(?:[A-Za-z]+-)?\d-\d{6}:? ?"
_PAREN = r"\([^()\n]*\)"
_FIRST_GROUP = re.compile(r"\(\?P<(\w+)>")


@dataclass(frozen=True)
class Piece:
    """A run of the skeleton; ``field`` names its one ``(?P<field>...)`` group, if any."""

    regex: str
    field: str | None = None

    def render(self, capture: bool) -> str:
        if self.field is None or capture:
            return self.regex
        return self.regex.replace(f"(?P<{self.field}>", "(?:", 1)


def _p(regex: str) -> Piece:
    match = _FIRST_GROUP.search(regex)
    return Piece(regex, match.group(1) if match else None)


def _tail(n: int, word: str) -> Piece:
    """What may follow an endpoint's port up to ``word``: a glued identity user, a mapped address
    after a space, a user glued to that (``/5 (1.2.3.4/5)(LOCAL\\u) to``)."""
    return _p(rf"(?P<tail{n}>(?:{_PAREN})? (?:{_PAREN}(?:{_PAREN})? )?){word} ")


def _endpoint(n: int, *, interface: bool = True) -> list[Piece]:
    pieces = [_p(rf"(?P<if{n}>[^:\n]+):")] if interface else []
    return [*pieces, _p(rf"(?P<ip{n}>[^/\s]+)/"), _p(rf"(?P<port{n}>\d+)")]


_BUILT_END = [_p(r"(?P<tail2>[^\d\r\n][^\r\n]*)?")]
_TEARDOWN_END = [_tail(2, "duration"), _p(r"(?P<duration>\d+:\d\d:\d\d) "), _p("bytes "),
                 _p(r"(?P<bytes>\d+)"), _p(r"(?P<rest>[^\d\r\n][^\r\n]*)?")]
_ASA_START = r"(?:TCP|UDP) (?:state-bypass )?connection "

#: (event, layout) -> skeleton
LAYOUTS: dict[tuple[str, str], list[Piece]] = {
    ("built", "asa"): [
        _p(_SKIP_TAG), _p("Built "), _p(r"(?:(?P<dir>inbound|outbound) )?"),
        _p(r"(?:Probe )?" + _ASA_START), _p(r"(?P<conn_id>\S+) "), _p("(?:for|from) "),
        *_endpoint(1), _tail(1, "to"), *_endpoint(2), *_BUILT_END],
    ("teardown", "asa"): [
        _p(_SKIP_TAG), _p("Teardown " + _ASA_START), _p(r"(?P<conn_id>\S+) "),
        _p("(?:for|from) "), *_endpoint(1), _tail(1, "to"), *_endpoint(2), *_TEARDOWN_END],
    ("built", "legacy"): [
        _p(_SKIP_TAG), _p(r"Built (?:(?P<dir>inbound|outbound) )?(?:TCP|UDP) connection "),
        _p(r"(?P<conn_id>\S+) "), _p("(?:for )?faddr "), *_endpoint(1, interface=False),
        _p(rf"(?P<tail1>(?:{_PAREN})?) gaddr \S+ laddr "), *_endpoint(2, interface=False),
        *_BUILT_END],
    ("teardown", "legacy"): [
        _p(_SKIP_TAG), _p(r"Teardown (?:TCP|UDP) connection "), _p(r"(?P<conn_id>\S+) "),
        _p("(?:for )?faddr "), *_endpoint(1, interface=False),
        _p(rf"(?P<tail1>(?:{_PAREN})?) gaddr \S+ laddr "), *_endpoint(2, interface=False),
        *_TEARDOWN_END],
}
_USER = r"\((?P<user>[^(),/]+)(?:,[^()]*)?\)"
_MAX_GROUPS = 4


def passes(pieces: list[Piece]) -> list[str]:
    """Anchored patterns that together capture every field of ``pieces``, four at a time."""
    fields = [p.field for p in pieces if p.field]
    patterns = []
    for k in range(0, len(fields), _MAX_GROUPS):
        chunk = set(fields[k:k + _MAX_GROUPS])
        last = max(i for i, p in enumerate(pieces) if p.field in chunk)
        patterns.append("^" + "".join(p.render(p.field in chunk) for p in pieces[:last + 1]))
    return patterns


_PASSES = {key: passes(pieces) for key, pieces in LAYOUTS.items()}


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
    user1: pa.Array
    user2: pa.Array
    aaa_user: pa.Array


def parse_connections(bodies: pa.Array, rows: np.ndarray, msg: np.ndarray, product: np.ndarray,
                      ) -> tuple[Connections, np.ndarray, list[str]]:
    """Parse the connection messages ``bodies`` (their block rows, message and product codes).

    Returns the parsed rows, plus the rows that failed (block row indices) and one reason each.
    """
    events = np.array([CONNECTION_MESSAGES[m][0] == "built" for m in MESSAGE_IDS])[msg]
    parts: list[tuple[np.ndarray, dict[str, pa.Array]]] = []
    failed_rows: list[np.ndarray] = []
    failed_reasons: list[str] = []
    for event, wanted in (("built", events), ("teardown", ~events)):
        todo = np.flatnonzero(wanted)
        for layout in ("asa", "legacy"):
            if not len(todo):
                break
            ok, fields = _extract(bodies.take(pa.array(todo)), _PASSES[(event, layout)])
            parts.append((todo[ok], {k: v.filter(pa.array(ok)) for k, v in fields.items()}))
            todo = todo[~ok]
        failed_rows.append(rows[todo])
        failed_reasons += [f"{MESSAGE_IDS[m]}: message not understood (expected {EXPECTED[event]})"
                           for m in msg[todo]]
    connections, bad, why = _combine(parts, rows, msg, product)
    return connections, np.concatenate([*failed_rows, bad]).astype(np.int64), failed_reasons + why


def _extract(bodies: pa.Array, patterns: list[str]) -> tuple[np.ndarray, dict[str, pa.Array]]:
    ok = np.ones(len(bodies), dtype=bool)
    fields: dict[str, pa.Array] = {}
    for pattern in patterns:
        result = pc.extract_regex(bodies, pattern)
        ok &= result.is_valid().to_numpy(zero_copy_only=False)
        fields.update({result.type.field(i).name: result.field(i)
                       for i in range(result.type.num_fields)})
    return ok, fields


def _combine(parts: list[tuple[np.ndarray, dict[str, pa.Array]]], rows: np.ndarray,
             msg: np.ndarray, product: np.ndarray) -> tuple[Connections, np.ndarray, list[str]]:
    """Put the layouts' rows back in line order and convert the text fields to values."""
    index = np.concatenate([p[0] for p in parts]) if parts else np.empty(0, dtype=np.int64)
    permutation = np.argsort(index, kind="stable")
    order, index = pa.array(permutation), index[permutation]

    def column(name: str) -> pa.Array:
        chunks = [f.get(name, pa.nulls(len(i), pa.large_string())) for i, f in parts]
        chunks = [c.cast(pa.large_string()) for c in chunks]
        if not chunks:
            return pa.array([], pa.large_string())
        return pa.concat_arrays(chunks).take(order)

    port1, bad1 = _ports(column("port1"))
    port2, bad2 = _ports(column("port2"))
    duration, bad_duration = _durations(column("duration"))
    nbytes, has_bytes, bad_bytes = _bytes(column("bytes"))
    direction = column("dir")
    first = np.where(pc.equal(direction, "inbound").to_numpy(zero_copy_only=False), 1,
                     np.where(pc.equal(direction, "outbound").to_numpy(zero_copy_only=False), 0,
                              -1)).astype(np.int8)
    first[(msg[index] == MESSAGE_IDS.index(STATE_BYPASS_BUILT)) & (first < 0)] = 1  # from -> to
    reason, close, aaa = _reasons(column("rest"))
    bad = bad1 | bad2 | bad_duration | bad_bytes
    why = np.where(bad1 | bad2, "port out of range (expected 0-65535)",
                   np.where(bad_duration, "duration minutes or seconds out of range "
                                          "(expected h:mm:ss)", "byte count too large"))
    keep = pa.array(~bad)
    conn_id = column("conn_id").filter(keep)
    numeric = pc.match_substring_regex(conn_id, r"^\d{1,19}$")
    conn_number, _ = _numbers(pc.if_else(numeric, conn_id, None), 19, np.uint64)
    connections = Connections(
        row=rows[index][~bad], msg=msg[index][~bad], product=product[index][~bad],
        conn_id=conn_id, conn_number=conn_number,
        conn_numeric=numeric.to_numpy(zero_copy_only=False),
        if1=column("if1").filter(keep), ip1=column("ip1").filter(keep), port1=port1[~bad],
        if2=column("if2").filter(keep), ip2=column("ip2").filter(keep), port2=port2[~bad],
        first_initiated=first[~bad], duration_ns=duration[~bad], nbytes=nbytes[~bad],
        has_bytes=has_bytes[~bad], reason=reason.filter(keep), close=close[~bad],
        user1=_user(column("tail1")).filter(keep), user2=_user(column("tail2")).filter(keep),
        aaa_user=aaa.filter(keep))
    labels = [f"{MESSAGE_IDS[m]}: {w}" for m, w in zip(msg[index][bad], why[bad], strict=True)]
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


def _user(tail: pa.Array) -> pa.Array:
    """The identity-firewall user in an endpoint's tail (parentheses without an address)."""
    return pc.struct_field(pc.extract_regex(tail, _USER), [0]).cast(pa.large_string())
