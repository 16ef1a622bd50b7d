"""ASA/FTD denies of packets the firewall no longer has a connection for, read into the
connection-event frame as event ``deny-no-connection`` (the consequence evidence
``kit.explain_failures`` pairs with an idle teardown):

- ``106015 Deny TCP (no connection)``: typically the application's first write after an idle
  teardown; its TCP flags become ``reason`` (``flags PSH ACK``)::

    Deny TCP (no connection) from 10.20.1.11/49199 to 10.10.1.20/13724 flags PSH ACK  on
    interface dmz

- ``106023`` TCP access-list denies: the same consequence when the rule set has no permit for
  the packet, but far more often an unrelated scan; a block only reads them as *candidates*
  (``reason`` ``access-group <acl>``), and :mod:`.acl` keeps those that follow a teardown of
  the same endpoints::

    Deny tcp src outside:198.51.100.20/1556 dst dmz:192.0.2.10/50412 by access-group
    "outside_in" [0x0, 0x0]

Both layouts are read inside the Cisco field finder's compiled pass (:mod:`.cisco_fields`),
each rule written out byte by byte (linear in the line, no backtracking).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .bytescan import (
    NO_MATCH,
    digit_count,
    find_byte,
    is_space,
    literal,
    match,
    non_space_run,
    number,
    run_until,
)

DENY_NO_CONNECTION = "106015"
ACL_DENY = "106023"
EXPECTED = ("'Deny TCP (no connection) from <addr>/<port> to <addr>/<port> flags <flags> "
            "on interface <if>'")
ACL_EXPECTED = ("'Deny tcp src <if>:<addr>/<port> dst <if>:<addr>/<port> by access-group "
                "\"<acl>\" [<hash>, <hash>]'")

#: what a deny layout writes into its ``out`` array: spans (start, end; -1 absent) and ports
IF1, IF1_END, IP1, IP1_END, PORT1, IF2, IF2_END, IP2, IP2_END, PORT2, NOTE, NOTE_END = range(12)
DENY_FIELDS = 12
_MAX_PORT_DIGITS, _MAX_PORT = 5, 65535
_SLASH, _COLON, _SPACE, _TAB, _CR, _QUOTE, _OPEN, _CLOSE = 47, 58, 32, 9, 13, 34, 40, 41
_A, _Z = 65, 90

_DENY_TCP, _DENY_TCP_UPPER = literal("Deny tcp "), literal("Deny TCP ")
_NO_CONNECTION, _TO = literal("(no connection) from "), literal(" to ")
_SRC, _DST = literal("src "), literal(" dst ")
_FLAGS, _ON_INTERFACE = literal(" flags "), literal("on interface ")
_BY_ACCESS_GROUP = literal(' by access-group "')


@njit(nogil=True, cache=True)
def _deny_tcp(data: np.ndarray, at: int, end: int) -> int:
    """``Deny (?:tcp|TCP) ``."""
    p = match(data, at, end, _DENY_TCP)
    return p if p >= 0 else match(data, at, end, _DENY_TCP_UPPER)


@njit(nogil=True, cache=True)
def is_acl_candidate(data: np.ndarray, body: np.ndarray) -> np.ndarray:
    """Which 106023 bodies are TCP denies (``^Deny (?:tcp|TCP) src ``): UDP and ICMP ones
    (``type=8, code=0``) are no candidates and stay ignored."""
    out = np.zeros(len(body), np.bool_)
    for i in range(len(body)):
        p = _deny_tcp(data, body[i], len(data))
        out[i] = p >= 0 and match(data, p, len(data), _SRC) >= 0
    return out


@njit(nogil=True, cache=True)
def _address_port(data: np.ndarray, at: int, end: int, out: np.ndarray, address: int,
                  port: int) -> int:
    """``(?P<ip>[^/\\s]+)/(?P<port>\\d{1,5})`` in range; position after it, or -1."""
    slash = run_until(data, at, end, _SLASH, True)
    if slash < 0:
        return NO_MATCH
    digits = digit_count(data, slash + 1, end)
    if digits == 0 or digits > _MAX_PORT_DIGITS:
        return NO_MATCH
    value = np.int64(number(data, slash + 1, digits))
    if value > _MAX_PORT:
        return NO_MATCH
    out[address], out[address + 1], out[port] = at, slash, value
    return slash + 1 + digits


@njit(nogil=True, cache=True)
def _interface_tail(data: np.ndarray, at: int, end: int, out: np.ndarray) -> bool:
    """``\\s+on interface (?P<if1>[^\\s]+)[ \\t\\r]*$`` at ``at``."""
    p = at
    while p < end and is_space(data[p]):
        p += 1
    if p == at:
        return False
    p = match(data, p, end, _ON_INTERFACE)
    q = non_space_run(data, p, end) if p >= 0 else NO_MATCH
    if q < 0:
        return False
    k = q
    while k < end and data[k] in (_SPACE, _TAB, _CR):
        k += 1
    if k != end:
        return False
    out[IF1], out[IF1_END] = p, q
    return True


@njit(nogil=True, cache=True)
def read_deny(data: np.ndarray, at: int, end: int, out: np.ndarray) -> bool:
    """106015 ``^Deny (?:TCP|tcp) \\(no connection\\) from IP/PORT to IP/PORT(?: flags
    (?P<flags>[A-Z ]*?))?\\s+on interface IF[ \\t\\r]*$``; the flags, trimmed, are the note
    (empty without flags).
    Ports with more than 5 digits or above 65535 do not match (the line is rejected)."""
    p = _deny_tcp(data, at, end)
    p = match(data, p, end, _NO_CONNECTION) if p >= 0 else NO_MATCH
    p = _address_port(data, p, end, out, IP1, PORT1) if p >= 0 else NO_MATCH
    p = match(data, p, end, _TO) if p >= 0 else NO_MATCH
    p = _address_port(data, p, end, out, IP2, PORT2) if p >= 0 else NO_MATCH
    if p < 0:
        return False
    flags = match(data, p, end, _FLAGS)
    if flags >= 0:  # the shortest flags after which the interface tail matches
        k = flags
        while True:
            if k < end and is_space(data[k]):
                run = k
                while run < end and data[run] == _SPACE:
                    run += 1
                if _interface_tail(data, k, end, out):
                    first, last = flags, k
                    while first < last and data[first] == _SPACE:
                        first += 1
                    while last > first and data[last - 1] == _SPACE:
                        last -= 1
                    out[NOTE], out[NOTE_END] = first, last
                    return True
                if run == k:  # a tab or CR: flags hold only letters and spaces
                    break
                # a longer flags text ends after this run of spaces (the same tail follows)
                k = run
                continue
            if k < end and _A <= data[k] <= _Z:
                k += 1
                continue
            break
    out[NOTE] = out[NOTE_END] = p  # no flags logged: an empty note, as RE2 gave
    return _interface_tail(data, p, end, out)


@njit(nogil=True, cache=True)
def _acl_endpoint(data: np.ndarray, at: int, end: int, out: np.ndarray, interface: int,
                  address: int, port: int) -> int:
    """``(?P<if>[^:\\s]+):IP/PORT(?:\\([^)\\n]*\\))?``; position after it, or -1."""
    colon = run_until(data, at, end, _COLON, True)
    if colon < 0:
        return NO_MATCH
    out[interface], out[interface + 1] = at, colon
    p = _address_port(data, colon + 1, end, out, address, port)
    if p >= 0 and p < end and data[p] == _OPEN:
        close = find_byte(data, p + 1, end, _CLOSE)
        return close + 1 if close >= 0 else p
    return p


@njit(nogil=True, cache=True)
def read_acl_deny(data: np.ndarray, at: int, end: int, out: np.ndarray) -> bool:
    """106023 ``^Deny (?:tcp|TCP) src ENDPOINT dst ENDPOINT by access-group "(?P<acl>[^"]*)"``
    and anything after; the access list's name is the note."""
    p = _deny_tcp(data, at, end)
    p = match(data, p, end, _SRC) if p >= 0 else NO_MATCH
    p = _acl_endpoint(data, p, end, out, IF1, IP1, PORT1) if p >= 0 else NO_MATCH
    p = match(data, p, end, _DST) if p >= 0 else NO_MATCH
    p = _acl_endpoint(data, p, end, out, IF2, IP2, PORT2) if p >= 0 else NO_MATCH
    p = match(data, p, end, _BY_ACCESS_GROUP) if p >= 0 else NO_MATCH
    quote = find_byte(data, p, end, _QUOTE) if p >= 0 else NO_MATCH
    if quote < 0:
        return False
    out[NOTE], out[NOTE_END] = p, quote
    return True
