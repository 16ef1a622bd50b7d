"""Linux conntrack events (``conntrack -E -o timestamp,extended,id``) -> connection events.

evidence-sources.md §7. ``[NEW]`` is a built, ``[DESTROY]`` a teardown; ``[UPDATE]`` lines are
counted as ignored but remembered: DESTROY carries no reason, so its close is inferred per file
(:func:`settle_file`). An assured TCP flow destroyed with no FIN/RST/CLOSE-state update before it
expired idle (reason ``inferred: no close seen``); a TCP flow never assured timed out in its
handshake; UDP flows expire as their normal end. The ``[sec.usec]`` prefix (the tool's receipt
time, UTC) dates the line; ``delta-time`` (seconds since creation) is the duration. The lines
name no host: the device is the file's name up to its first dot.

Speed: one compiled pass (:func:`_shapes`) reads each line's head (stamp, event, protocol,
state) as :data:`LINE` describes it, and ``keyvalue.find`` its pairs; the protocol and state are
looked at once per distinct value, and the events keep their few-valued text as dictionaries
(``COMPACT_EVENT_SCHEMA``).
"""

from __future__ import annotations

from pathlib import PurePath

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numba import njit

from .. import columns
from ..bytescan import digit_count, is_space, literal, match
from .common import (
    COMPACT_EVENT_SCHEMA,
    Account,
    Parsed,
    VendorSettings,
    coded,
    event_table,
    join,
    labels,
)
from .keyvalue import Keys, find, integers
from .lines import split_lines
from .stamps import NAT

NAME = "netfilter"
SIGNATURE = r"^\s*(?:\[\d+\.\d+\]\s+)?\[(?:NEW|UPDATE|DESTROY)\]\s"
EXPECTED = ("a conntrack -E -o timestamp,extended,id line like '[1772415005.123456]\t"
            "[DESTROY] ipv4 2 tcp 6 src=192.0.2.10 dst=198.51.100.20 sport=50412 dport=1556 "
            "... id=3087654321'")
#: a conntrack event line's head, as :func:`_shapes` reads it
LINE = (r"^\s*\[(?P<ts>\d+(?:\.\d+)?)\]\s+\[(?P<event>NEW|UPDATE|DESTROY)\]\s+"
        r"(?:ipv[46]\s+\d+\s+)?(?P<proto>[a-z]+)\s+\d+\s+(?:\d+\s+)?(?P<state>[A-Z_]+\s+)?src=")
#: states an UPDATE reaches once the flow closes (FIN exchange, or CLOSE after an RST)
CLOSING = ("FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE")
INFERRED_IDLE = "inferred: no close seen"
INFERRED_SYN = "inferred: never assured"
INFERRED_UDP = "inferred: udp expiry"
EVENTS = ("NEW", "UPDATE", "DESTROY")
_NEW, _UPDATE, _DESTROY = (literal(f"[{e}]") for e in EVENTS)
_IPV, _SRC, _ASSURED, _BYTES = literal("ipv"), literal("src="), literal("[ASSURED]"), literal(
    " bytes=")
_OPEN, _CLOSE, _DOT, _FOUR, _SIX, _UNDERSCORE, _SPACE = 91, 93, 46, 52, 54, 95, 32
_KEYS = Keys("id", "src", "dst", "sport", "dport", "delta-time", "bytes", ("bytes", "last"))
#: per line from :func:`_shapes`: stamp, protocol and state spans (begin, end)
_TS, _PROTO, _STATE = 0, 1, 2


@njit(nogil=True, cache=True)
def _spaces(data: np.ndarray, at: int, end: int) -> int:
    """Position after ``\\s*`` at ``at``."""
    while at < end and is_space(data[at]):
        at += 1
    return at


@njit(nogil=True, cache=True)
def _event(data: np.ndarray, at: int, end: int) -> tuple[int, int]:
    """(event code, position after ``[NEW]``/``[UPDATE]``/``[DESTROY]``) at ``at``, or -1s."""
    for code, text in enumerate((_NEW, _UPDATE, _DESTROY)):
        after = match(data, at, end, text)
        if after >= 0:
            return code, after
    return -1, -1


@njit(nogil=True, cache=True)
def _signed(data: np.ndarray, at: int, end: int) -> bool:
    """:data:`SIGNATURE` at ``at`` (after the leading blanks)."""
    head = at
    if at < end and data[at] == _OPEN:  # an optional [sec.frac] and blanks
        k = at + 1
        whole = digit_count(data, k, end)
        k += whole
        if whole and k < end and data[k] == _DOT:
            fraction = digit_count(data, k + 1, end)
            k += 1 + fraction
            if fraction and k < end and data[k] == _CLOSE:
                after = _spaces(data, k + 1, end)
                if after > k + 1:
                    head = after
    _, after = _event(data, head, end)
    return after >= 0 and after < end and is_space(data[after])


@njit(nogil=True, cache=True)
def _run(data: np.ndarray, at: int, end: int, low: int, high: int, extra: int) -> int:
    """Position after a run of bytes in ``[low, high]`` (or ``extra``) at ``at``."""
    while at < end and (low <= data[at] <= high or data[at] == extra):
        at += 1
    return at


@njit(nogil=True, cache=True)
def _digits_then_space(data: np.ndarray, at: int, end: int) -> int:
    """Position after ``\\d+\\s+`` at ``at``, else -1."""
    digits = digit_count(data, at, end)
    if not digits:
        return -1
    after = _spaces(data, at + digits, end)
    return after if after > at + digits else -1


@njit(nogil=True, cache=True)
def _head(data: np.ndarray, at: int, end: int, out: np.ndarray) -> int:
    """:data:`LINE` at ``at`` (after the leading blanks): its event code (stamp, protocol and
    state spans into ``out``), else -1. Each optional part is taken when it matches (no other
    reading of the pattern can match then)."""
    if at >= end or data[at] != _OPEN:
        return -1
    k = at + 1
    whole = digit_count(data, k, end)
    if not whole:
        return -1
    k += whole
    if k < end and data[k] == _DOT and digit_count(data, k + 1, end):
        k += 1 + digit_count(data, k + 1, end)
    if k >= end or data[k] != _CLOSE:
        return -1
    out[_TS, 0], out[_TS, 1] = at + 1, k
    k = _spaces(data, k + 1, end)
    if k == out[_TS, 1] + 1:
        return -1
    code, after = _event(data, k, end)
    if code < 0:
        return -1
    k = _spaces(data, after, end)
    if k == after:
        return -1
    version = match(data, k, end, _IPV)  # ipv4 / ipv6 and the family number
    if version >= 0 and version < end and data[version] in (_FOUR, _SIX):
        blanks = _spaces(data, version + 1, end)
        if blanks > version + 1:
            number = _digits_then_space(data, blanks, end)
            if number >= 0:
                k = number
    name = _run(data, k, end, 97, 122, 97)  # [a-z]+
    if name == k:
        return -1
    out[_PROTO, 0], out[_PROTO, 1] = k, name
    k = _spaces(data, name, end)
    if k == name:
        return -1
    k = _digits_then_space(data, k, end)
    if k < 0:
        return -1
    timeout = _digits_then_space(data, k, end)
    if timeout >= 0:
        k = timeout
    out[_STATE, 0], out[_STATE, 1] = -1, -1
    state = _run(data, k, end, 65, 90, _UNDERSCORE)  # [A-Z_]+ and blanks
    if state > k:
        blanks = _spaces(data, state, end)
        if blanks > state:
            out[_STATE, 0], out[_STATE, 1] = k, state
            k = blanks
    return code if match(data, k, end, _SRC) >= 0 else -1


@njit(nogil=True, cache=True)
def _marks(data: np.ndarray, start: int, end: int) -> tuple[bool, bool]:
    """(``[ASSURED]`` occurs, ``" bytes="`` occurs more than once) in one pass."""
    assured = False
    counted = 0
    k = start
    while k < end:
        byte = data[k]
        if byte == _OPEN and not assured and match(data, k, end, _ASSURED) >= 0:
            assured = True
        elif byte == _SPACE and counted < 2 and match(data, k, end, _BYTES) >= 0:
            counted += 1
            k += len(_BYTES)  # occurrences are counted without overlap
            continue
        k += 1
    return assured, counted > 1


@njit(nogil=True, cache=True)
def _shapes(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, control: np.ndarray,
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per line: signature found, event code (-1: not a :data:`LINE`), spans (3, 2, lines:
    stamp, protocol, state), ``[ASSURED]`` present, ``" bytes="`` more than once."""
    n = len(starts)
    signed = np.zeros(n, np.bool_)
    event = np.full(n, -1, np.int8)
    spans = np.full((3, 2, n), -1, np.int64)
    assured = np.zeros(n, np.bool_)
    two = np.zeros(n, np.bool_)
    out = np.empty((3, 2), np.int64)
    for i in range(n):
        if control[i]:
            continue
        start, end = starts[i], ends[i]
        at = _spaces(data, start, end)
        signed[i] = _signed(data, at, end)
        code = _head(data, at, end, out)
        if code < 0:
            continue
        event[i] = code
        for part in range(3):
            spans[part, 0, i], spans[part, 1, i] = out[part, 0], out[part, 1]
        assured[i], two[i] = _marks(data, start, end)
    return signed, event, spans, assured, two


@njit(nogil=True, cache=True)
def _stamps(data: np.ndarray, begin: np.ndarray, end: np.ndarray,
            ) -> tuple[np.ndarray, np.ndarray]:
    """``1772415005.123456`` spans (1-11 digits, an optional fraction of 1-9) -> (ns, valid)."""
    ns = np.full(len(begin), NAT, np.int64)
    valid = np.zeros(len(begin), np.bool_)
    for i in range(len(begin)):
        b, e = begin[i], end[i]
        whole = digit_count(data, b, e)
        fraction = e - b - whole - 1
        if not 1 <= whole <= 11 or not (fraction == -1 or 1 <= fraction <= 9):
            continue
        seconds = np.int64(0)
        for k in range(b, b + whole):
            seconds = seconds * 10 + (data[k] - 48)
        part = np.int64(0)
        for k in range(9):
            part = part * 10 + (data[b + whole + 1 + k] - 48 if k < fraction else 0)
        ns[i] = seconds * 1_000_000_000 + part  # wraps as numpy does past the year 2262
        valid[i] = True
    return ns, valid


def parse_block(block: bytes, settings: VendorSettings) -> Parsed:
    """Classify and parse every line of ``block`` (see the module docstring)."""
    lines = split_lines(block, text=False)
    account = Account(lines)
    data = np.frombuffer(lines.buffer, np.uint8)
    tagged, event, spans, assured, two = _shapes(data, lines.starts, lines.ends, lines.control)
    mine = event >= 0
    account.untagged(mine | tagged, EXPECTED)
    account.reject(np.flatnonzero(tagged & ~mine), f"conntrack event not understood "
                                                   f"(expected {EXPECTED})")
    rows = np.flatnonzero(mine)
    if not len(rows):
        return account.finish(int(tagged.sum()), _no_events())
    event = event[rows]
    proto_code, protos = columns.encode_repeated(data, *spans[_PROTO][:, rows])
    protos = protos.to_pylist()
    state_code, states = columns.encode_repeated(data, *spans[_STATE][:, rows])
    kv = find(data, lines.starts, lines.ends, rows, _KEYS)
    update = event == EVENTS.index("UPDATE")
    connection = ~update & np.isin(proto_code, [k for k, p in enumerate(protos)
                                                if p in ("tcp", "udp")])
    closing = update & np.isin(state_code, [k for k, s in enumerate(states.to_pylist())
                                            if s in CLOSING])
    others = np.flatnonzero(~connection)
    account.ignore_each(join(pa.array(EVENTS, pa.large_string()).take(pa.array(event[others])),
                             pa.array(protos, pa.large_string()).take(
                                 pa.array(proto_code[others])), sep="/"))
    time, time_ok = _stamps(data, *spans[_TS][:, rows])
    sport, sport_ok = integers(data, *kv("sport"))
    dport, dport_ok = integers(data, *kv("dport"))
    delta, delta_ok = integers(data, *kv("delta-time"))
    destroy = event == EVENTS.index("DESTROY")
    bad = connection & (~time_ok | ~sport_ok | ~dport_ok | (np.maximum(sport, dport) > 65535))
    account.reject(rows[bad], "conntrack event with an unreadable time stamp or port")
    keep = np.flatnonzero(connection & ~bad)
    bytes_out, out_ok = integers(data, *kv("bytes"))
    bytes_back, back_ok = integers(data, *kv("bytes", which="last"))
    nbytes = bytes_out.astype(np.uint64) + np.where(two[rows] & back_ok, bytes_back, 0).astype(
        np.uint64)
    has_bytes = destroy & out_ok
    is_destroy = destroy[keep]
    events = event_table(
        len(keep), schema=COMPACT_EVENT_SCHEMA, row=rows[keep], local_ns=time[keep],
        zone=np.zeros(len(keep), np.int16), yearless=np.zeros(len(keep), bool),
        vendor=coded(np.zeros(len(keep), np.int32), [NAME]),
        msg_id=labels(event[keep], list(EVENTS), width=np.int32),
        event=coded(np.where(is_destroy, 0, 1), ["teardown", "built"]),
        protocol=coded(proto_code[keep], protos), conn_id=_flows(kv, keep, protos, proto_code),
        src_ip=kv.text("src", keep), src_port=sport[keep],
        dst_ip=kv.text("dst", keep), dst_port=dport[keep],
        duration_ns=pa.array(delta[keep] * 10**9, mask=~(is_destroy & delta_ok[keep])),
        bytes=pa.array(nbytes[keep], pa.uint64(), mask=~has_bytes[keep]),
        # the close is settled per file; ASSURED is kept in ``close`` until then
        close=coded(np.where(assured[rows[keep]], 0, 1), ["assured", ""]))
    at = np.flatnonzero(closing)
    result = account.finish(int(tagged.sum()), events)
    result.extras = pa.table({"row": rows[at], "flow": _flows(kv, at, protos, proto_code),
                              "state": states.take(pa.array(state_code[at]))})
    return result


def _no_events() -> pa.Table:
    return event_table(0, schema=COMPACT_EVENT_SCHEMA)


def _flows(kv, at: np.ndarray, protos: list[str], proto_code: np.ndarray) -> pa.Array:
    """Each flow's key: its ``id``, else its addresses, ports and protocol."""
    flow = kv.text("id", at, missing="empty")
    unnamed = pc.equal(flow, "")
    if not pc.any(unnamed).as_py():
        return flow
    tuple_key = join(*(kv.text(k, at, missing="empty") for k in ("src", "dst", "sport", "dport")),
                     pa.array(protos, pa.large_string()).take(pa.array(proto_code[at])), sep=" ")
    return pc.if_else(unnamed, tuple_key, flow)


_CLOSES = ["idle-timeout", "syn-timeout", "reset", "fin"]


def _equals(column: pa.ChunkedArray, value: str) -> np.ndarray:
    """Per row: a dictionary column's value is ``value`` (compared once per distinct value)."""
    parts = [np.isin(pc.fill_null(chunk.indices, -1).to_numpy(zero_copy_only=False),
                     [k for k, v in enumerate(chunk.dictionary.to_pylist()) if v == value])
             for chunk in column.chunks]
    return np.concatenate(parts) if parts else np.zeros(0, bool)


def settle_file(events: pa.Table, extras: pa.Table | None, lines: np.ndarray,
                extra_lines: np.ndarray, source: str) -> pa.Table:
    """Each DESTROY's close from the file's UPDATE history (module docstring), and the device
    named after the file."""
    n = events.num_rows
    device = PurePath(source).name.split(".")[0] or source
    teardown = _equals(events.column("event"), "teardown")
    tcp = _equals(events.column("protocol"), "tcp")
    assured = _equals(events.column("close"), "assured")
    closed_before = np.zeros(n, bool)
    last_state = np.full(n, -1, np.int64)  # code into ``states``
    states: list[str] = []
    probed = np.flatnonzero(teardown & tcp)  # only a TCP teardown's close depends on them
    if extras is not None and extras.num_rows and len(probed):
        # the last closing update of each flow before the teardown's line
        flows = events.column("conn_id").take(pa.array(probed)).combine_chunks()
        both = pc.dictionary_encode(pa.concat_arrays([flows.cast(pa.large_string()),
                                                      extras.column("flow").combine_chunks()
                                                      .cast(pa.large_string())]))
        del flows
        codes = both.indices.to_numpy(zero_copy_only=False)
        event_code, extra_code = codes[:len(probed)], codes[len(probed):]
        order = np.lexsort((extra_lines, extra_code))
        keys = extra_code[order].astype(np.int64) * (1 << 40) + extra_lines[order]
        probe = event_code.astype(np.int64) * (1 << 40) + lines[probed]
        at = np.searchsorted(keys, probe) - 1
        hit = (at >= 0) & (extra_code[order][np.maximum(at, 0)] == event_code)
        closed_before[probed] = hit
        state = pc.dictionary_encode(extras.column("state").combine_chunks())
        states = state.dictionary.to_pylist()
        state_code = state.indices.to_numpy(zero_copy_only=False)[order]
        last_state[probed] = np.where(hit, state_code[np.maximum(at, 0)], -1)
    idle = teardown & tcp & assured & ~closed_before
    syn = teardown & tcp & ~assured & ~closed_before
    udp = teardown & ~tcp
    closed = teardown & tcp & closed_before
    reset = closed & np.isin(last_state, [k for k, s in enumerate(states) if s == "CLOSE"])
    close = np.select([idle, syn, udp, reset, closed], [0, 1, 0, 2, 3], -1)
    reasons = [INFERRED_IDLE, INFERRED_SYN, INFERRED_UDP, *(f"last state {s}" for s in states)]
    reason = np.select([idle, syn, udp, closed], [0, 1, 2, 3 + last_state], -1)
    for name, column in (("close", coded(close, _CLOSES)), ("reason", coded(reason, reasons)),
                         ("device", coded(np.zeros(n, np.int32), [device]))):
        events = events.set_column(events.schema.get_field_index(name), name, column)
    return events
