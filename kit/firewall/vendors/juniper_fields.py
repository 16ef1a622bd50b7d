"""The SRX field finder: one compiled pass per block, anchored at each line's ``RT_FLOW_``.

Per line it finds the message name (``RT_FLOW_SESSION_CLOSE``/``CREATE`` followed by ``:``, a
blank or ``[``), the header before it (octet count, PRI, an RFC 5424 or a BSD stamp, the host)
and, for the positional BSD form, walks the blank-separated tokens after the name:

    session closed <reason>: <src>/<port>-><dst>/<port> [0x..] <app> <nat src>-><nat dst> [0x..]
    <2 or 4 NAT-rule tokens> <protocol> <policy> <from zone> <to zone> <session id>
    <packets>(<bytes>) <packets>(<bytes>) <elapsed> [<app> <nested app> <user> ...]

trying the optional connection tags and the NAT-rule counts in the order a regular expression
would (tags first, four rules before two) and taking the reason up to the first ``: `` after
which the rest reads. Numbers and the BSD stamp are read in place; every text field is a span.
The structured-data form is left to ``keyvalue`` (flagged ``structured``).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ..bytescan import (
    civil_days,
    digit_count,
    is_digit,
    is_space,
    literal,
    match,
    non_space_run,
    number,
)

#: span slots
TEXT = ("reason", "src", "dst", "proto", "from", "to", "session", "user", "iso", "bsd", "host")
SLOT = {name: k for k, name in enumerate(TEXT)}
#: number slots (-1: not a plain number, or absent)
NUMBERS = ("sport", "dport", "bc", "bs", "elapsed", "proto")
NUMBER = {name: k for k, name in enumerate(NUMBERS)}
#: line kinds
NOT_SRX, OTHER_FLOW, CLOSE, CREATE = 0, 1, 2, 3
NAT = np.iinfo(np.int64).min
_FLOW = literal("RT_FLOW_")
_CLOSE, _CREATE = literal("RT_FLOW_SESSION_CLOSE"), literal("RT_FLOW_SESSION_CREATE")
_CLOSED, _CREATED = literal(": session closed "), literal(": session created ")
_MONTHS = literal("JanFebMarAprMayJunJulAugSepOctNovDec")
_SPACE, _SLASH, _DASH, _GT, _LT, _COLON, _OPEN, _CLOSE_PAREN, _BRACKET = (
    32, 47, 45, 62, 60, 58, 40, 41, 91)
_X, _ZERO, _ONE, _T = 120, 48, 49, 84


@njit(nogil=True, cache=True)
def _find(data: np.ndarray, at: int, end: int, text: np.ndarray) -> int:
    """First position of ``text`` in ``[at, end)``, else -1."""
    first = text[0]
    for k in range(at, end - len(text) + 1):
        if data[k] == first and match(data, k, end, text) >= 0:
            return k
    return -1


@njit(nogil=True, cache=True)
def _spaces(data: np.ndarray, at: int, end: int, blank_only: bool) -> int:
    """End of a run of blanks (``' '`` only, else any ``\\s``) at ``at``."""
    k = at
    while k < end and ((data[k] == _SPACE) if blank_only else is_space(data[k])):
        k += 1
    return k


@njit(nogil=True, cache=True)
def _host_after(data: np.ndarray, k: int, end: int) -> tuple[int, int]:
    """`` +(\\S+) `` at ``k``: the host's span, else (-1, -1)."""
    j = _spaces(data, k, end, True)
    if j == k:
        return -1, -1
    stop = non_space_run(data, j, end)
    if stop < 0 or stop >= end or data[stop] != _SPACE:
        return -1, -1
    return j, stop


@njit(nogil=True, cache=True)
def head(data: np.ndarray, at: int, end: int) -> tuple[int, int, int, int, int, int]:
    """The header before the message name, as ``^(?:\\d+ )?(?:<\\d{1,3}>)?\\s*(?:1 (\\d{4}-\\d\\d
    -\\d\\dT\\S+)|([A-Z][a-z]{2} +\\d{1,2} \\d\\d:\\d\\d:\\d\\d)) +(\\S+) `` reads it: (iso start,
    iso end, bsd start, bsd end, host start, host end), -1 where absent."""
    for octets in (True, False):
        k = at
        if octets:
            digits = digit_count(data, k, end)
            if digits == 0 or k + digits >= end or data[k + digits] != _SPACE:
                continue
            k += digits + 1
        for pri in (True, False):
            j = k
            if pri:
                if j >= end or data[j] != _LT:
                    continue
                digits = digit_count(data, j + 1, end)
                if not 1 <= digits <= 3 or j + 1 + digits >= end or data[j + 1 + digits] != _GT:
                    continue
                j += digits + 2
            j = _spaces(data, j, end, False)
            # RFC 5424: "1 " and a stamp
            if j + 13 <= end and data[j] == _ONE and data[j + 1] == _SPACE:
                s = j + 2
                ok = True
                for q in range(10):
                    byte = data[s + q] if s + q < end else 0
                    if q in (4, 7):
                        ok &= byte == _DASH
                    else:
                        ok &= is_digit(byte)
                if ok and s + 10 < end and data[s + 10] == _T:
                    stop = non_space_run(data, s + 10, end)
                    if stop > s + 11:
                        h0, h1 = _host_after(data, stop, end)
                        if h0 >= 0:
                            return s, stop, -1, -1, h0, h1
            # BSD: "Mar  2 02:30:05"
            if j + 3 <= end and 65 <= data[j] <= 90 and 97 <= data[j + 1] <= 122 and \
                    97 <= data[j + 2] <= 122:
                q = _spaces(data, j + 3, end, True)
                digits = digit_count(data, q, end)
                if q > j + 3 and 1 <= digits <= 2:
                    q += digits
                    ok = q + 9 <= end and data[q] == _SPACE
                    for r in range(8):
                        if not ok:
                            break
                        byte = data[q + 1 + r]
                        ok = byte == _COLON if r in (2, 5) else is_digit(byte)
                    if ok:
                        h0, h1 = _host_after(data, q + 9, end)
                        if h0 >= 0:
                            return -1, -1, j, q + 9, h0, h1
    return -1, -1, -1, -1, -1, -1


@njit(nogil=True, cache=True)
def bsd_stamp(data: np.ndarray, at: int, end: int, year: int) -> int:
    """``Mon DD HH:MM:SS`` (day one or two digits after blanks) in ``year`` as naive ns, when the
    month is an English abbreviation and the date and time are real; else NAT (the caller hands
    such text to Arrow's lenient ``strptime``)."""
    month = 0
    for m in range(12):
        if data[at] == _MONTHS[3 * m] and data[at + 1] == _MONTHS[3 * m + 1] and \
                data[at + 2] == _MONTHS[3 * m + 2]:
            month = m + 1
    k = _spaces(data, at + 3, end, True)
    digits = digit_count(data, k, end)
    if month == 0 or digits == 0:
        return NAT
    day = int(number(data, k, digits))
    k += digits + 1
    hour, minute, second = (int(number(data, k, 2)), int(number(data, k + 3, 2)),
                            int(number(data, k + 6, 2)))
    following = civil_days(year + (month == 12), month % 12 + 1, 1)
    day0 = civil_days(year, month, 1)
    if day < 1 or day > following - day0 or hour > 23 or minute > 59 or second > 59:
        return NAT
    return ((day0 + day - 1) * 86400 + hour * 3600 + minute * 60 + second) * 1_000_000_000


@njit(nogil=True, cache=True)
def _plain(data: np.ndarray, at: int, end: int) -> int:
    """The number ``data[at:end]`` (1-19 digits, within int64), else -1."""
    if end <= at or end - at > 19 or digit_count(data, at, end) != end - at:
        return -1
    value = number(data, at, end - at)
    return -1 if value > np.uint64(9223372036854775807) else int(value)


@njit(nogil=True, cache=True)
def _token(data: np.ndarray, at: int, end: int) -> int:
    """End of ``\\S+`` at ``at`` when a blank follows it, else -1."""
    stop = non_space_run(data, at, end)
    if stop < 0 or stop >= end or data[stop] != _SPACE:
        return -1
    return stop


@njit(nogil=True, cache=True)
def _tag(data: np.ndarray, at: int, end: int) -> int:
    """`` 0x[0-9a-fA-F]+`` at ``at`` followed by a blank: its end, else -1."""
    if at + 3 >= end or data[at] != _SPACE or data[at + 1] != _ZERO or data[at + 2] != _X:
        return -1
    k = at + 3
    while k < end and (is_digit(data[k]) or 97 <= (data[k] | 32) <= 102):
        k += 1
    return k if k > at + 3 and k < end and data[k] == _SPACE else -1


@njit(nogil=True, cache=True)
def _address_port(data: np.ndarray, at: int, end: int) -> tuple[int, int, int]:
    """``[^\\s/]+/\\d+`` at ``at``: (address end, port start, port end), else -1s."""
    k = at
    while k < end and not is_space(data[k]) and data[k] != _SLASH:
        k += 1
    if k == at or k >= end or data[k] != _SLASH:
        return -1, -1, -1
    digits = digit_count(data, k + 1, end)
    return (k, k + 1, k + 1 + digits) if digits else (-1, -1, -1)


@njit(nogil=True, cache=True)
def _pair_token(data: np.ndarray, at: int, stop: int) -> bool:
    """``\\S+/\\d+->\\S+/\\d+`` is the whole token ``data[at:stop]``."""
    k = stop
    while k > at and is_digit(data[k - 1]):
        k -= 1
    if k == stop or k - 1 <= at or data[k - 1] != _SLASH:
        return False
    inner = k - 1  # the token is data[at:inner] + "/digits"; data[at:inner] = \S+/\d+->\S+
    for q in range(at + 1, inner):
        if data[q] != _SLASH:
            continue
        digits = digit_count(data, q + 1, inner)
        arrow = q + 1 + digits
        if digits and arrow + 2 < inner and data[arrow] == _DASH and data[arrow + 1] == _GT:
            return True
    return False


@njit(nogil=True, cache=True)
def _endpoints(data: np.ndarray, at: int, end: int, close: bool, spans: np.ndarray,
               numbers: np.ndarray, row: int) -> bool:
    """The tokens from the first endpoint pair on (see the module docstring), into ``spans``
    and ``numbers``; False when they do not read."""
    src_end, sport, sport_end = _address_port(data, at, end)
    if src_end < 0 or match(data, sport_end, end, _ARROW) < 0:
        return False
    dst = sport_end + 2
    dst_end, dport, dport_end = _address_port(data, dst, end)
    if dst_end < 0 or dport_end >= end or data[dport_end] != _SPACE:
        return False
    for tag1 in (True, False):
        k = dport_end
        if tag1:
            k = _tag(data, k, end)
            if k < 0:
                continue
        app = _token(data, k + 1, end)
        if app < 0:
            continue
        pair = _token(data, app + 1, end)
        if pair < 0 or not _pair_token(data, app + 1, pair):
            continue
        for tag2 in (True, False):
            j = pair
            if tag2:
                j = _tag(data, j, end)
                if j < 0:
                    continue
            for rules in (4, 2):
                q = j
                ok = True
                for _ in range(rules):
                    q = _token(data, q + 1, end)
                    if q < 0:
                        ok = False
                        break
                if not ok:
                    continue
                if _rest(data, q + 1, end, close, spans, numbers, row):
                    spans[0, 1, row], spans[1, 1, row] = at, src_end
                    spans[0, 2, row], spans[1, 2, row] = dst, dst_end
                    numbers[0, row] = _plain(data, sport, sport_end)
                    numbers[1, row] = _plain(data, dport, dport_end)
                    return True
    return False


@njit(nogil=True, cache=True)
def _counted(data: np.ndarray, at: int, end: int) -> tuple[int, int, int]:
    """``\\d+\\((\\d+)\\)`` at ``at``: (bytes start, bytes end, end), else -1s."""
    digits = digit_count(data, at, end)
    k = at + digits
    if not digits or k >= end or data[k] != _OPEN:
        return -1, -1, -1
    inner = digit_count(data, k + 1, end)
    stop = k + 1 + inner
    if not inner or stop >= end or data[stop] != _CLOSE_PAREN:
        return -1, -1, -1
    return k + 1, stop, stop + 1


@njit(nogil=True, cache=True)
def _rest(data: np.ndarray, at: int, end: int, close: bool, spans: np.ndarray,
          numbers: np.ndarray, row: int) -> bool:
    """``(\\d+) \\S+ (\\S+) (\\S+) (\\d+)`` (protocol, policy, zones, session), then for a CLOSE
    `` \\d+\\((\\d+)\\) \\d+\\((\\d+)\\) (\\d+)(?: \\S+ \\S+ (\\S+))?``."""
    digits = digit_count(data, at, end)
    proto = at + digits
    if not digits or proto >= end or data[proto] != _SPACE:
        return False
    policy = _token(data, proto + 1, end)
    if policy < 0:
        return False
    zone_from = _token(data, policy + 1, end)
    if zone_from < 0:
        return False
    zone_to = _token(data, zone_from + 1, end)
    if zone_to < 0:
        return False
    session = zone_to + 1
    digits = digit_count(data, session, end)
    if not digits:
        return False
    session_end = session + digits
    if close:
        if session_end >= end or data[session_end] != _SPACE:
            return False
        b0, b1, k = _counted(data, session_end + 1, end)
        if k < 0 or k >= end or data[k] != _SPACE:
            return False
        s0, s1, k = _counted(data, k + 1, end)
        if k < 0 or k >= end or data[k] != _SPACE:
            return False
        digits = digit_count(data, k + 1, end)
        if not digits:
            return False
        elapsed = k + 1 + digits
        numbers[2, row], numbers[3, row] = _plain(data, b0, b1), _plain(data, s0, s1)
        numbers[4, row] = _plain(data, k + 1, elapsed)
        first = _token(data, elapsed + 1, end) if elapsed < end and data[elapsed] == _SPACE \
            else -1
        second = _token(data, first + 1, end) if first >= 0 else -1
        user = non_space_run(data, second + 1, end) if second >= 0 else -1
        if user >= 0:
            spans[0, 7, row], spans[1, 7, row] = second + 1, user
    spans[0, 3, row], spans[1, 3, row] = at, proto
    numbers[5, row] = _plain(data, at, proto)
    spans[0, 4, row], spans[1, 4, row] = policy + 1, zone_from
    spans[0, 5, row], spans[1, 5, row] = zone_from + 1, zone_to
    spans[0, 6, row], spans[1, 6, row] = session, session_end
    return True


_ARROW = literal("->")
_REASON_END = literal(": ")


@njit(nogil=True, cache=True)
def _named(data: np.ndarray, at: int, end: int, name: np.ndarray) -> bool:
    """``name`` at ``at``, followed by ``:``, a blank or ``[``."""
    after = match(data, at, end, name)
    return after >= 0 and after < end and (
        data[after] == _COLON or data[after] == _SPACE or data[after] == _BRACKET)


@njit(nogil=True, cache=True)
def find_flow(data: np.ndarray, starts: np.ndarray, ends: np.ndarray, control: np.ndarray,
              year: int) -> tuple:
    """The pass over one block: (kind, name position, structured, layout read, spans (2, slots,
    lines), numbers (slots, lines), naive BSD time) per line (see the module docstring)."""
    n = len(starts)
    kind = np.zeros(n, np.int8)
    name_at = np.full(n, -1, np.int64)
    structured = np.zeros(n, np.bool_)
    read = np.zeros(n, np.bool_)
    spans = np.full((2, len(TEXT), n), -1, np.int64)
    numbers = np.full((len(NUMBERS), n), -1, np.int64)
    bsd_ns = np.full(n, NAT, np.int64)
    for row in range(n):
        if control[row]:
            continue
        at, end = starts[row], ends[row]
        name = _find(data, at, end, _FLOW)
        if name < 0:
            continue
        name_at[row] = name
        kind[row] = OTHER_FLOW
        if _named(data, name, end, _CLOSE):
            kind[row] = CLOSE
        elif _named(data, name, end, _CREATE):
            kind[row] = CREATE
        if kind[row] == OTHER_FLOW:
            continue
        close = kind[row] == CLOSE
        after = name + (21 if close else 22)
        structured[row] = after + 1 < end and data[after + 1] == _BRACKET
        i0, i1, b0, b1, h0, h1 = head(data, at, name)
        spans[0, 8, row], spans[1, 8, row] = i0, i1
        spans[0, 9, row], spans[1, 9, row] = b0, b1
        spans[0, 10, row], spans[1, 10, row] = h0, h1
        if b0 >= 0:
            bsd_ns[row] = bsd_stamp(data, b0, b1, year)
        if structured[row]:
            continue
        phrase = match(data, after, end, _CLOSED if close else _CREATED)
        if phrase < 0:
            continue
        if not close:
            read[row] = _endpoints(data, phrase, end, False, spans, numbers, row)
            continue
        k = phrase + 1  # the reason is at least one byte
        while k < end:
            k = _find(data, k, end, _REASON_END)
            if k < 0:
                break
            if _endpoints(data, k + 2, end, True, spans, numbers, row):
                spans[0, 0, row], spans[1, 0, row] = phrase, k
                read[row] = True
                break
            k += 1
    return kind, name_at, structured, read, spans, numbers, bsd_ns
