"""The Cisco field finder: one compiled pass over a block's lines (see :mod:`.bytescan`).

After :func:`.cisco_tags.find_tags` has read each line's message tag, :func:`find_connections`
reads each
connection message's body, field by field, each byte once: event, direction, connection id,
both endpoints (interface, address, port, what follows them), and on a teardown the duration,
byte count and the text after it (the reason; :mod:`.reasons` reads each distinct one once).
Numbers are read in the same pass; out-of-range ones give a status naming the reject. The text
fields are copied out (or, where they repeat, interned) in the same pass too, while each line is
still in the CPU cache.

The layouts (domain.md §A1), tried in this order on every row:

* ASA (also FTD, FWSM 3.x+, PIX 7): ``Built {inbound|outbound} [Probe ]TCP [state-bypass ]
  connection ID for IF:ADDR/PORT [(MAPPED)][(USER)] to IF:ADDR/PORT ...``, with ``from`` in
  place of ``for`` on the state-bypass messages;
* legacy PIX/FWSM: ``Teardown TCP connection ID [for ]faddr ADDR/PORT [(USER)] gaddr ADDR/PORT
  laddr ADDR/PORT ...``.

Each rule below is the regular expression it replaces, written out byte by byte so that the
next byte decides the path (no backtracking; linear in the line).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from . import denies
from .bytescan import (
    NO_MATCH,
    digit_count,
    is_digit,
    literal,
    match,
    non_space_run,
    number,
    parenthesised,
    run_until,
    text_end,
)
from .columns import intern, new_table
from .denies import DENY_FIELDS, read_acl_deny, read_deny

#: text fields, each a (start, end) pair of rows in the spans array; NOTE is a deny's access
#: list or TCP flags
CONN, IF1, IP1, IF2, IP2, REST, USER1, USER2, NOTE = range(9)
SPAN_FIELDS = 9
#: each row's layout: by its message id
BUILT, TEARDOWN, NO_CONNECTION_DENY, ACL_DENY = range(4)
#: row status: parsed, or why it is rejected
OK, NOT_UNDERSTOOD, BAD_PORT, BAD_DURATION, TOO_LONG, BAD_BYTES = range(6)
#: longest teardown duration kept: 100,000 hours is 11 years of uptime, far beyond any real
#: connection, and far below 2,562,047 hours, where nanoseconds overflow int64
MAX_HOURS = 100_000
MAX_PORT = 65535
#: digits a byte count may have (uint64 is exact up to 19)
MAX_BYTE_DIGITS = 19

_COLON, _SLASH, _SPACE, _CR = 58, 47, 32, 13
_OPEN, _CLOSE, _COMMA = 40, 41, 44
_BACKSLASH, _AT, _STAR = 92, 64, 42

_BUILT, _TEARDOWN = literal("Built "), literal("Teardown ")
_INBOUND, _OUTBOUND, _PROBE = literal("inbound "), literal("outbound "), literal("Probe ")
_TCP, _UDP, _BYPASS = literal("TCP "), literal("UDP "), literal("state-bypass ")
_CONNECTION = literal("connection ")
_FOR, _FROM, _TO = literal(" for "), literal(" from "), literal("to ")
_FOR_FADDR, _FADDR = literal(" for faddr "), literal(" faddr ")
_GADDR, _LADDR = literal(" gaddr "), literal(" laddr ")
_DURATION, _BYTES = literal("duration "), literal(" bytes ")


@njit(nogil=True, cache=True)
def _endpoint_tail(data: np.ndarray, at: int, end: int) -> int:
    """``(?:PAREN)? (?:PAREN(?:PAREN)? )?``: a glued user, a space, a mapped address and a user
    glued to it."""
    p = parenthesised(data, at, end)
    if p < 0:
        p = at
    if p >= end or data[p] != _SPACE:
        return NO_MATCH
    p += 1
    q = parenthesised(data, p, end)
    if q >= 0:
        r = parenthesised(data, q, end)
        if r >= 0:
            q = r
        if q < end and data[q] == _SPACE:
            return q + 1
    return p


@njit(nogil=True, cache=True)
def _user(data: np.ndarray, at: int, end: int) -> tuple[int, int]:
    """The first ``\\((?P<user>[^(),/]+)(?:,[^()]*)?\\)`` in ``[at, end)``: an identity user
    (a mapped address has a ``/``; a security group tag follows a comma)."""
    for k in range(at, end):
        if data[k] != _OPEN:
            continue
        m = k + 1
        while m < end and data[m] != _OPEN and data[m] != _CLOSE and data[m] != _COMMA \
                and data[m] != _SLASH:
            m += 1
        if m == k + 1 or m >= end:
            continue
        if data[m] == _CLOSE:
            return k + 1, m
        if data[m] == _COMMA:
            q = m + 1
            while q < end and data[q] != _OPEN and data[q] != _CLOSE:
                q += 1
            if q < end and data[q] == _CLOSE:
                return k + 1, m
    return NO_MATCH, NO_MATCH


@njit(nogil=True, cache=True)
def _names_a_user(data: np.ndarray, start: int, end: int) -> bool:
    """Whether the line has a byte an identity user needs (``\\``, ``@``, ``*``)."""
    for k in range(start, end):
        byte = data[k]
        if byte in (_BACKSLASH, _AT, _STAR):
            return True
    return False


@njit(nogil=True, cache=True)
def _set(spans: np.ndarray, field: int, i: int, start: int, end: int) -> None:
    spans[2 * field, i] = start
    spans[2 * field + 1, i] = end


@njit(nogil=True, cache=True)
def _endpoint(data: np.ndarray, at: int, end: int, named: bool, spans: np.ndarray, i: int,
              interface: int, address: int) -> tuple[int, int]:
    """``[IF:]ADDR/PORT``: ``[^:\\n]+`` to the first colon, ``[^/\\s]+`` to the slash, digits.
    Returns (position of the port, its digit count); -1 when it does not match."""
    if named:
        colon = run_until(data, at, end, _COLON, False)
        if colon < 0:
            return NO_MATCH, 0
        _set(spans, interface, i, at, colon)
        at = colon + 1
    slash = run_until(data, at, end, _SLASH, True)
    if slash < 0:
        return NO_MATCH, 0
    _set(spans, address, i, at, slash)
    digits = digit_count(data, slash + 1, end)
    if digits == 0:
        return NO_MATCH, 0
    return slash + 1, digits


@njit(nogil=True, cache=True)
def _trailing_text(data: np.ndarray, at: int, end: int) -> int:
    """End of ``[^\\d\\r\\n][^\\r\\n]*`` at ``at``, or -1 when there is none."""
    if at >= end or is_digit(data[at]) or data[at] == _CR:
        return NO_MATCH
    return text_end(data, at, end)


@njit(nogil=True, cache=True)
def _read_layout(data: np.ndarray, at: int, end: int, line_start: int, legacy: bool,
                 teardown: bool, i: int, spans: np.ndarray, ports: np.ndarray,
                 direction: np.ndarray, seconds: np.ndarray, nbytes: np.ndarray) -> int:
    """Read row ``i`` (body at ``at``, line ends at ``end``) in one layout; returns a status."""
    # event: (?:Built (?:(?:inbound|outbound) )?(?:Probe )?|Teardown )(?:TCP|UDP) ...
    p = match(data, at, end, _BUILT)
    built = p >= 0
    if built:
        q = match(data, p, end, _INBOUND)
        if q >= 0:
            direction[i], p = 1, q
        else:
            q = match(data, p, end, _OUTBOUND)
            if q >= 0:
                direction[i], p = 0, q
        if not legacy:
            q = match(data, p, end, _PROBE)
            p = q if q >= 0 else p
    else:
        p = match(data, at, end, _TEARDOWN)
        if p < 0:
            return NOT_UNDERSTOOD
    if built == teardown:  # the text must agree with the message id
        return NOT_UNDERSTOOD
    q = match(data, p, end, _TCP)
    p = q if q >= 0 else match(data, p, end, _UDP)
    if p < 0:
        return NOT_UNDERSTOOD
    if not legacy:
        q = match(data, p, end, _BYPASS)
        p = q if q >= 0 else p
    p = match(data, p, end, _CONNECTION)
    conn_end = non_space_run(data, p, end) if p >= 0 else NO_MATCH
    if conn_end < 0:
        return NOT_UNDERSTOOD
    _set(spans, CONN, i, p, conn_end)
    # " for " / " from " (ASA); " for faddr " / " faddr " (legacy)
    if legacy:
        q = match(data, conn_end, end, _FOR_FADDR)
        p = q if q >= 0 else match(data, conn_end, end, _FADDR)
    else:
        q = match(data, conn_end, end, _FOR)
        p = q if q >= 0 else match(data, conn_end, end, _FROM)
    if p < 0:
        return NOT_UNDERSTOOD

    port1_at, port1_digits = _endpoint(data, p, end, not legacy, spans, i, IF1, IP1)
    if port1_at < 0:
        return NOT_UNDERSTOOD
    tail1 = port1_at + port1_digits
    if legacy:  # (?:PAREN)? gaddr \S+ laddr
        q = parenthesised(data, tail1, end)
        q = match(data, q if q >= 0 else tail1, end, _GADDR)
        q = non_space_run(data, q, end) if q >= 0 else NO_MATCH
        p = match(data, q, end, _LADDR) if q >= 0 else NO_MATCH
    else:  # ENDPOINT_TAIL to
        q = _endpoint_tail(data, tail1, end)
        p = match(data, q, end, _TO) if q >= 0 else NO_MATCH
    if p < 0:
        return NOT_UNDERSTOOD
    tail1_end = p
    port2_at, port2_digits = _endpoint(data, p, end, not legacy, spans, i, IF2, IP2)
    if port2_at < 0:
        return NOT_UNDERSTOOD
    tail2 = port2_at + port2_digits
    hours_digits = bytes_digits = 0
    hours = minutes = secs = np.uint64(0)
    if teardown:  # ENDPOINT_TAIL duration H+:MM:SS bytes N[rest]
        q = _endpoint_tail(data, tail2, end)
        tail2_end = q
        p = match(data, q, end, _DURATION) if q >= 0 else NO_MATCH
        hours_digits = digit_count(data, p, end) if p >= 0 else 0
        if hours_digits == 0:
            return NOT_UNDERSTOOD
        hours = number(data, p, hours_digits)
        p += hours_digits
        if (p + 6 > end or data[p] != _COLON or digit_count(data, p + 1, p + 3) != 2
                or data[p + 3] != _COLON or digit_count(data, p + 4, p + 6) != 2):
            return NOT_UNDERSTOOD
        minutes, secs = number(data, p + 1, 2), number(data, p + 4, 2)
        p = match(data, p + 6, end, _BYTES)
        bytes_digits = digit_count(data, p, end) if p >= 0 else 0
        if bytes_digits == 0:
            return NOT_UNDERSTOOD
        nbytes[i] = number(data, p, bytes_digits)
        rest = p + bytes_digits
        rest_end = _trailing_text(data, rest, end)
        if rest_end >= 0:
            _set(spans, REST, i, rest, rest_end)
    else:  # anything may follow a Built's endpoints; only its user is read
        tail2_end = _trailing_text(data, tail2, end)

    ports[0, i] = np.int64(number(data, port1_at, port1_digits))
    ports[1, i] = np.int64(number(data, port2_at, port2_digits))
    if (port1_digits > 5 or port2_digits > 5 or ports[0, i] > MAX_PORT
            or ports[1, i] > MAX_PORT):
        return BAD_PORT
    if teardown:
        if hours_digits > 9 or minutes > 59 or secs > 59:
            return BAD_DURATION
        if hours > MAX_HOURS:
            return TOO_LONG
        if bytes_digits > MAX_BYTE_DIGITS:
            return BAD_BYTES
        seconds[i] = np.int64(hours * np.uint64(3600) + minutes * np.uint64(60) + secs)

    user1 = _user(data, tail1, tail1_end)
    user2 = _user(data, tail2, tail2_end) if tail2_end >= 0 else (NO_MATCH, NO_MATCH)
    if (user1[0] >= 0 or user2[0] >= 0) and _names_a_user(data, line_start, end):
        _set(spans, USER1, i, user1[0], user1[1])
        _set(spans, USER2, i, user2[0], user2[1])
    return OK


#: text gathered in the pass itself (row ``k`` of ``Found.text``), and the interned fields
GATHERED = (CONN, IP1, IP2)
INTERNED = (IF1, IF2, REST, NOTE)
#: each span field of a deny and where its start is in the deny layouts' ``out`` array
_DENY_SPANS = ((IF1, denies.IF1), (IP1, denies.IP1), (IF2, denies.IF2), (IP2, denies.IP2),
               (NOTE, denies.NOTE))
_DENY_PORTS = (denies.PORT1, denies.PORT2)


@njit(nogil=True, cache=True)
def _read_deny(data: np.ndarray, at: int, end: int, kind: int, i: int, spans: np.ndarray,
               ports: np.ndarray, out: np.ndarray) -> int:
    """Read row ``i``, a 106015 or 106023 deny (:mod:`.denies`); returns a status."""
    out[:] = NO_MATCH
    found = (read_deny(data, at, end, out) if kind == NO_CONNECTION_DENY
             else read_acl_deny(data, at, end, out))
    if not found:
        return NOT_UNDERSTOOD
    for field, first in _DENY_SPANS:
        _set(spans, field, i, out[first], out[first + 1])
    ports[0, i], ports[1, i] = out[_DENY_PORTS[0]], out[_DENY_PORTS[1]]
    return OK


@njit(nogil=True, cache=True)
def find_connections(data: np.ndarray, line_start: np.ndarray, body: np.ndarray,
                     end: np.ndarray, kind: np.ndarray) -> tuple:
    """Read the connection messages whose body (after the tag) starts at ``body`` and whose line
    runs from ``line_start`` to ``end`` (its newline excluded).

    Returns (status, spans, ports, direction, seconds, nbytes, conn_number, conn_numeric, text,
    offsets, codes, interfaces, tails, notes): ``status`` per row (``OK`` or a reject code),
    ``spans`` (2 * SPAN_FIELDS, n) start/end byte positions (-1 where absent), ``ports`` (2, n),
    ``direction`` (1 the first endpoint initiated, 0 the second, -1 not logged), teardown
    ``seconds`` and ``nbytes``, the connection id as a number where it is 1-19 digits. ``kind``
    is each row's layout (``BUILT``, ``TEARDOWN``, ``NO_CONNECTION_DENY``, ``ACL_DENY``). While a
    parsed line is still in the cache its ``GATHERED`` fields are copied into ``text`` (3, *)
    with ``offsets`` (3, n + 1), and its ``INTERNED`` fields coded (``codes`` (3, n), -1
    absent) into the distinct ``interfaces`` (both endpoints share them), ``tails`` and the
    denies' ``notes`` (spans, (2, k)).
    """
    n = len(body)
    status = np.empty(n, np.int8)
    spans = np.full((2 * SPAN_FIELDS, n), NO_MATCH, np.int64)
    ports = np.zeros((2, n), np.int64)
    direction = np.full(n, -1, np.int8)
    seconds = np.zeros(n, np.int64)
    nbytes = np.zeros(n, np.uint64)
    conn_number = np.zeros(n, np.uint64)
    conn_numeric = np.zeros(n, np.bool_)
    capacity = 0
    for i in range(n):
        capacity += max(end[i] - body[i], 0)
    text = np.empty((len(GATHERED), capacity), np.uint8)
    offsets = np.zeros((len(GATHERED), n + 1), np.int64)
    codes = np.full((len(INTERNED), n), NO_MATCH, np.int32)
    if_slots, if_spans, if_hashes = new_table(2 * n)
    tail_slots, tail_spans, tail_hashes = new_table(n)
    note_slots, note_spans, note_hashes = new_table(n)
    interfaces = tails = notes = 0
    out = np.empty(DENY_FIELDS, np.int64)
    for i in range(n):
        if kind[i] >= NO_CONNECTION_DENY:
            code = _read_deny(data, body[i], end[i], kind[i], i, spans, ports, out)
        else:
            teardown = kind[i] == TEARDOWN
            code = _read_layout(data, body[i], end[i], line_start[i], False, teardown, i,
                                spans, ports, direction, seconds, nbytes)
            if code == NOT_UNDERSTOOD:
                spans[:, i] = NO_MATCH
                direction[i] = -1
                code = _read_layout(data, body[i], end[i], line_start[i], True, teardown, i,
                                    spans, ports, direction, seconds, nbytes)
        status[i] = code
        for k in range(len(GATHERED)):
            offsets[k, i + 1] = offsets[k, i]
        if code != OK:
            continue
        for k in range(len(GATHERED)):
            start, stop = spans[2 * GATHERED[k], i], spans[2 * GATHERED[k] + 1, i]
            at = offsets[k, i]
            text[k, at:at + stop - start] = data[start:stop]
            offsets[k, i + 1] = at + stop - start
        for k in range(2):
            start = spans[2 * INTERNED[k], i]
            if start >= 0:
                codes[k, i], if_slots, interfaces = intern(
                    data, start, spans[2 * INTERNED[k] + 1, i], if_slots, if_spans, if_hashes,
                    interfaces)
        if spans[2 * REST, i] >= 0:
            codes[2, i], tail_slots, tails = intern(
                data, spans[2 * REST, i], spans[2 * REST + 1, i], tail_slots, tail_spans,
                tail_hashes, tails)
        if spans[2 * NOTE, i] >= 0:
            codes[3, i], note_slots, notes = intern(
                data, spans[2 * NOTE, i], spans[2 * NOTE + 1, i], note_slots, note_spans,
                note_hashes, notes)
        start, stop = spans[2 * CONN, i], spans[2 * CONN + 1, i]
        if start >= 0 and stop - start <= 19 and digit_count(data, start, stop) == stop - start:
            conn_number[i] = number(data, start, stop - start)
            conn_numeric[i] = True
    return (status, spans, ports, direction, seconds, nbytes, conn_number, conn_numeric, text,
            offsets, codes, if_spans[:, :interfaces], tail_spans[:, :tails],
            note_spans[:, :notes])
