"""Teardown reasons: the vendor's words, their normalised ``close`` class, and the AAA user.

What follows ``bytes N`` on a teardown is ``[reason [from <interface>]] [(user)]``, or the legacy
``(reason)``. Reasons repeat (a few dozen strings), so each distinct tail is read once in Python and
mapped back onto the rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .schema import CLOSES

#: normalised reason (lower case, single spaces) -> close class; the rest go through _POLICY
_CLOSE_BY_REASON = {
    "conn-timeout": "idle-timeout",
    "idle timeout": "idle-timeout",
    "connection timeout": "idle-timeout",
    "tcp fins": "fin",
    "tcp reset": "reset",
    "tcp reset-i": "reset",
    "tcp reset-o": "reset",
    "tcp reset-appliance": "reset",
    "syn timeout": "syn-timeout",
    "fin timeout": "half-closed-timeout",
}
#: deny, inspection, IPS, TCP-intercept and TCP-normaliser teardowns: the firewall's policy acted
_POLICY = re.compile(
    r"\b(?:deny|denied|unauth|inspection|ips|intercept|invalid syn|syn control"
    r"|bad retransmission|partial overlap|window size variation|fail-close)\b")
#: `` from <interface>``: the lookbehind starts a match only where a whitespace run begins, so a
#: long run of blanks is scanned once, not once per start position (linear, not quadratic)
_INITIATOR = re.compile(r"(?<!\s)\s+from\s+\S")
_PARENTHESISED = re.compile(r"^\((?P<reason>[^()]*)\)$")
_SPACES = re.compile(r"\s+")

#: code stored per row for "no reason" (the close column is then missing)
NO_CLOSE = -1


@dataclass(frozen=True)
class Reason:
    """One teardown tail, read: ``reason`` without ``from <if>``, ``close`` code, AAA ``user``."""

    reason: str | None
    close: int
    user: str | None


@lru_cache(maxsize=4096)
def read_reason(tail: str | None, udp: bool = False) -> Reason:
    """Read what follows ``bytes N`` on a teardown (None or blank: no reason, as on UDP).

    A UDP teardown (302016) has no reason: a parenthesised token there is the user
    (``bytes 148 (jdoe)``), not the legacy ``(reason)`` of a TCP teardown.

    >>> read_reason("TCP FINs from outside (jdoe)")
    Reason(reason='TCP FINs', close=1, user='jdoe')
    >>> read_reason("(Conn-timeout)")
    Reason(reason='Conn-timeout', close=0, user=None)
    """
    text = (tail or "").strip()
    user = None
    if udp and (only_user := _PARENTHESISED.match(text)):
        return Reason(None, NO_CLOSE, only_user.group("reason").strip() or None)
    if not _PARENTHESISED.match(text) and (aaa := _split_user(text)):
        text, user = aaa
    if initiator := _INITIATOR.search(text):
        text = text[:initiator.start()]
    if legacy := _PARENTHESISED.match(text.strip()):
        text = legacy.group("reason")
    text = text.strip()
    if not text:
        return Reason(None, NO_CLOSE, user)
    return Reason(text, CLOSES.index(close_class(text)), user)


def _split_user(text: str) -> tuple[str, str | None] | None:
    """``reason (user)`` -> (reason, user), when a reason precedes the last parenthesised word.

    Done with ``rfind`` rather than a lazy regex: ``^(.*?)\\s*\\((.*)\\)$`` rescans a run of blanks
    from every position, which took minutes on a tail holding 100,000 spaces.
    """
    if not text.endswith(")"):
        return None
    start = text.rfind("(")
    user = text[start + 1:-1]
    reason = text[:start].rstrip()
    if start < 0 or ")" in user or not reason:
        return None
    return reason, user.strip() or None


def close_class(reason: str) -> str:
    """The normalised close class of a reason (case-insensitive, parentheses optional)."""
    key = _SPACES.sub(" ", reason.strip().strip("()").strip().lower())
    if key in _CLOSE_BY_REASON:
        return _CLOSE_BY_REASON[key]
    if _POLICY.search(key):
        return "policy"
    return "other"
