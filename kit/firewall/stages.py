"""Cisco connection-message layouts read as a chain of short RE2 stages, each byte once.

Measured on Arrow's ``extract_regex``: every capture group costs about as much as scanning the
whole line, and RE2's fast one-pass engine needs anchored patterns with at most four groups. So
a layout is a chain of anchored stages that capture only the *text* that is output (interfaces,
addresses, connection id, what follows an endpoint); each stage starts where the previous one
stopped (its start plus the byte lengths of its groups plus its fixed text), on a zero-copy view
of the block (``blocks.views``). Numbers - ports, durations, byte counts - are matched by the
patterns but not captured: they are read straight from the block's bytes with numpy
(:func:`digits`) at the positions the captured lengths give.

Every pattern is written so that the next byte decides the path, and none crosses a newline.
Layouts (domain.md §A1): the ASA one (``for IF:addr/port [(mapped)][(user)] to ...``, also FWSM
3.x+ and the state-bypass ``from ... to``) and the legacy PIX/FWSM ``faddr/gaddr/laddr`` one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .blocks import views

_PAREN = r"\([^()\n]*\)"
#: after an endpoint's port: a glued identity user, a mapped address after a space, a user glued
#: to that (``/5 (1.2.3.4/5)(LOCAL\u) to``)
_ENDPOINT_TAIL = rf"(?:{_PAREN})? (?:{_PAREN}(?:{_PAREN})? )?"
_LINE_REST = r"[^\d\r\n][^\r\n]*"
_ZERO, _B, _I, _O, _P, _S = 48, ord("B"), ord("i"), ord("o"), ord("P"), ord("s")

EVENT = {
    "asa": r"^(?:Built (?:(?:inbound|outbound) )?(?:Probe )?|Teardown )(?:TCP|UDP) "
           r"(?:state-bypass )?connection (?P<conn_id>\S+) (?:for|from) ",
    "legacy": r"^(?:Built (?:(?:inbound|outbound) )?|Teardown )(?:TCP|UDP) "
              r"connection (?P<conn_id>\S+) (?:for )?faddr ",
}
ENDPOINT = {
    ("asa", 1): rf"^(?P<if1>[^:\n]+):(?P<ip1>[^/\s]+)/\d+(?P<tail1>{_ENDPOINT_TAIL}to )",
    ("asa", 2): r"^(?P<if2>[^:\n]+):(?P<ip2>[^/\s]+)/\d+",
    ("legacy", 1): rf"^(?P<ip1>[^/\s]+)/\d+(?P<tail1>(?:{_PAREN})? gaddr \S+ laddr )",
    ("legacy", 2): r"^(?P<ip2>[^/\s]+)/\d+",
}
TEARDOWN_END = (rf"^(?P<tail2>{_ENDPOINT_TAIL})duration \d+:\d\d:\d\d bytes \d+"
                rf"(?P<rest>{_LINE_REST})?")
BUILT_END = rf"^(?P<built_tail>{_LINE_REST})?"
LAYOUTS = tuple(EVENT)


def digits(data: np.ndarray, start: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """The decimal numbers starting at byte positions ``start``: (value, number of digits),
    reading at most ``width`` (<= 20) digits; values of up to 19 digits are exact."""
    value = np.zeros(len(start), np.uint64)
    length = np.zeros(len(start), np.int64)
    if not len(data) or not len(start):
        return value, length
    reading = np.ones(len(start), bool)
    for k in range(width):  # Horner's rule, one digit column at a time, while any is left
        digit = data[np.clip(start + k, 0, len(data) - 1)] - np.uint8(_ZERO)  # wraps if not
        reading &= digit <= 9
        if not reading.any():
            break
        value = np.where(reading, value * np.uint64(10) + digit, value)
        length += reading
    return value, length


@dataclass
class Chain:
    """Rows being matched along one layout: where each stands, and what was read so far."""

    buffer: pa.Buffer
    position: np.ndarray
    alive: np.ndarray
    text: dict[str, tuple[np.ndarray, pa.Array]] = field(default_factory=dict)
    numbers: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def data(self) -> np.ndarray:
        return np.frombuffer(self.buffer, dtype=np.uint8)

    def match(self, pattern: str, rows: np.ndarray) -> dict[str, pa.Array]:
        """Match ``pattern`` at the rows' positions; failed rows drop out of the chain."""
        result = pc.extract_regex(views(self.buffer, self.position[rows]), pattern)
        self.alive[rows[~result.is_valid().to_numpy(zero_copy_only=False)]] = False
        fields = {result.type.field(i).name: pc.struct_field(result, [i])
                  for i in range(result.type.num_fields)}
        self.text.update({name: (rows, values) for name, values in fields.items()})
        return fields

    def advance(self, rows: np.ndarray, *parts: pa.Array | int | np.ndarray) -> None:
        """Move the rows past captured groups (their byte lengths) and fixed widths."""
        for part in parts:
            if isinstance(part, (pa.Array, pa.ChunkedArray)):
                part = pc.fill_null(pc.binary_length(part), 0).to_numpy(zero_copy_only=False)
            self.position[rows] += part

    def number(self, name: str, rows: np.ndarray, width: int) -> np.ndarray:
        """Read the number at the rows' positions into ``numbers[name]``; returns its length."""
        value, length = digits(self.data, self.position[rows], width)
        self.numbers.setdefault(name, np.zeros(len(self.position), np.uint64))[rows] = value
        self.numbers.setdefault(name + "_digits", np.zeros(len(self.position), np.int64))[
            rows] = length
        return length

    def living(self, rows: np.ndarray) -> np.ndarray:
        return rows[self.alive[rows]]


def _event_length(data: np.ndarray, start: np.ndarray, built: np.ndarray) -> np.ndarray:
    """Bytes from the event word to the connection id (``Built inbound Probe TCP state-bypass
    connection ``), read from the bytes: the event pattern has checked the words."""
    def at(offset: np.ndarray) -> np.ndarray:
        return data[np.clip(start + offset, 0, len(data) - 1)]

    length = np.where(built, 6, 9)  # "Built " / "Teardown "
    after = at(length)
    length += np.where(built & (after == _I), 8, np.where(built & (after == _O), 9, 0))
    length += np.where(built & (at(length) == _P), 6, 0)  # "Probe "
    length += 4  # "TCP " / "UDP "
    length += np.where(at(length) == _S, 13, 0)  # "state-bypass "
    return length + 11  # "connection "


def run_layout(layout: str, buffer: pa.Buffer, starts: np.ndarray, teardown: np.ndarray,
               users: np.ndarray) -> Chain:
    """Match one layout at byte positions ``starts`` (increasing) of ``buffer``.

    ``teardown`` flags the rows whose message id is a teardown, ``users`` those whose line has
    a character of an identity user (``\\``, ``@``, ``*``). The chain's ``alive`` marks the
    rows that matched throughout; its ``text`` holds each captured field with the rows it was
    captured for, its ``numbers`` the numbers read (see ``cisco`` for their use).
    """
    chain = Chain(buffer, np.asarray(starts, dtype=np.int64).copy(),
                  np.ones(len(starts), dtype=bool))
    data = chain.data
    rows = np.arange(len(starts))
    event = chain.match(EVENT[layout], rows)
    built = data[np.minimum(chain.position, len(data) - 1)] == _B
    chain.alive &= built != teardown  # the text must agree with the message id
    direction = data[np.minimum(chain.position + 6, len(data) - 1)]
    chain.numbers["direction"] = np.where(built & (direction == _I), 1,
                                          np.where(built & (direction == _O), 0, -1))
    chain.advance(rows, _event_length(data, chain.position, built), event["conn_id"])
    separator = data[np.minimum(chain.position + 2, len(data) - 1)] == _O  # " for" / " from"
    if layout == "asa":
        chain.advance(rows, np.where(separator, 5, 6))
    else:  # " faddr " or " for faddr "
        chain.advance(rows, np.where(separator, 11, 7))
    for n in (1, 2):
        rows = chain.living(rows)
        fields = chain.match(ENDPOINT[(layout, n)], rows)
        if f"if{n}" in fields:
            chain.advance(rows, fields[f"if{n}"], 1)
        chain.advance(rows, fields[f"ip{n}"], 1)
        chain.advance(rows, chain.number(f"port{n}", rows, 6))
        if f"tail{n}" in fields:
            chain.advance(rows, fields[f"tail{n}"])
    rows = chain.living(rows)
    chain.match(BUILT_END, rows[~teardown[rows] & users[rows]])  # only read for its users
    rows = rows[teardown[rows]]
    tail = chain.match(TEARDOWN_END, rows)
    chain.advance(rows, tail["tail2"], len("duration "))
    hours = chain.number("hours", rows, 10)
    chain.advance(rows, hours + 1)
    chain.number("minutes", rows, 2)
    chain.advance(rows, 3)
    chain.number("seconds", rows, 2)
    chain.advance(rows, 2 + len(" bytes "))
    chain.number("bytes", rows, 20)
    return chain
