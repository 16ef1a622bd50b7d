"""One block of log bytes -> its connection rows and an account of every other line.

Each line lands in exactly one place: a parsed connection row, an ignored count (other Cisco
messages by message id, ``blank``, ``non-firewall`` lines of other programs), or a reject with its
reason (damaged connection messages, unreadable headers, binary data, text that is not syslog).
This runs in worker threads: it only reads its arguments and returns a :class:`BlockResult`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .blocks import split_lines
from .cisco import ANY_TAG, MESSAGE_NUMBERS, Connections, parse_connections
from .cisco_tags import find_tags
from .clock import known_times
from .denies import ACL_DENY, is_acl_candidate
from .header_reader import Heads, read_heads
from .zones import Zone

BLANK = "blank"
NON_FIREWALL = "non-firewall"
_SYSLOG_START = (
    r"^(?:<\d{1,3}>)?\s*(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),? +)?"
    r"(?:(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d|\d{4}-\d\d-\d\d"
    r"|\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}[: ])")
_BLANK = r"^[ \t\r\n]*$"
_CONTROL = "binary data or control characters (not a syslog text line)"
_DAMAGED_TAG = "damaged Cisco message tag (expected %ASA-<severity>-<6-digit id>: <message>)"
_NOT_SYSLOG = ("not a syslog line (expected '[<PRI>]<timestamp> <host> : "
               "%ASA-6-302014: Teardown TCP connection ...')")
_SNIPPET = 80
#: rejects per block quoted with the start of their line (the report keeps only the first few)
_QUOTED = 20


@dataclass(frozen=True)
class BlockSettings:
    """What a worker needs besides the bytes: the two clocks' zones and a year for offsets."""

    device_zone: Zone
    relay_zone: Zone
    year_guess: int
    #: read TCP 106023 lines as deny candidates (the pandas reader matches them to teardowns
    #: once the load is read, :mod:`.acl`); False counts every 106023 as ignored
    acl_denies: bool = False


@dataclass
class BlockResult:
    """Counts and rows of one block; row indices are 0-based within the block."""

    lines: int
    decode_errors: int
    firewall_lines: int
    ignored: Counter[str]
    reject_rows: np.ndarray
    reject_reasons: list[str]
    connections: Connections
    #: per connection row: index into ``devices``, UTC ns (local ns while year-less, see
    #: ``clock.known_times``), zone code, year-less flag
    devices: list[str | None]
    device_index: np.ndarray
    time_ns: np.ndarray
    zone: np.ndarray
    yearless: np.ndarray
    #: (device, relay-minus-device seconds, lines) for headers with both clocks
    offsets: list[tuple[str | None, float, int]] = field(default_factory=list)


def parse_block(block: bytes, settings: BlockSettings) -> BlockResult:
    """Classify and parse every line of ``block`` (see the module docstring)."""
    lines = split_lines(block)
    n = len(lines)
    data, line_end = lines.data, lines.ends
    body, number, product = find_tags(data, lines.cut, line_end, lines.has_tag & ~lines.control)
    tagged = number >= 0
    msg = np.searchsorted(MESSAGE_NUMBERS, number)
    is_connection = tagged & (MESSAGE_NUMBERS[np.minimum(msg, len(MESSAGE_NUMBERS) - 1)]
                              == number)
    _acl_candidates(data, body, number, is_connection, settings.acl_denies)

    ignored: Counter[str] = Counter()
    other = np.flatnonzero(tagged & ~is_connection)
    if len(other):
        ids, counts = np.unique(number[other], return_counts=True)
        ignored.update({f"{i:06d}": int(c) for i, c in zip(ids, counts, strict=True)})
    reject_rows, reject_reasons = _untagged(lines.text, tagged, lines.control, ignored)

    head_rows = np.flatnonzero(is_connection)  # the connection lines: their headers are read
    heads = read_heads(data, lines.starts[head_rows], lines.cut[head_rows], settings.device_zone,
                       settings.relay_zone, settings.year_guess)
    bad_head = np.flatnonzero(heads.status)
    reject_rows.append(head_rows[bad_head])
    reject_reasons += heads.reasons(bad_head)
    rows = head_rows[heads.status == 0]

    connections, failed, why = parse_connections(
        data, lines.starts[rows], body[rows], line_end[rows], rows, msg[rows].astype(np.int8),
        product[rows])
    reject_rows.append(failed)
    reject_reasons += why

    head_of_line = np.empty(n, dtype=np.int64)
    head_of_line[head_rows] = np.arange(len(head_rows))
    result = _with_heads(heads, head_of_line[connections.row])
    result["time_ns"] = known_times(result.pop("local_ns"), result["zone"], result["yearless"],
                                    device_zone=settings.device_zone,
                                    relay_zone=settings.relay_zone)
    all_rejects = np.concatenate(reject_rows).astype(np.int64)
    order = np.argsort(all_rejects, kind="stable")
    reasons = [reject_reasons[i] for i in order]
    all_rejects = all_rejects[order]
    for k in range(min(_QUOTED, len(all_rejects))):
        reasons[k] = f"{reasons[k]}: {_snippet(lines.text[int(all_rejects[k])].as_py())!r}"
    return BlockResult(
        lines=n, decode_errors=lines.decode_errors, firewall_lines=int(tagged.sum()),
        ignored=ignored, reject_rows=all_rejects, reject_reasons=reasons,
        connections=connections, **result)


def _acl_candidates(data: np.ndarray, body: np.ndarray, number: np.ndarray,
                    is_connection: np.ndarray, wanted: bool) -> None:
    """Keep as connection lines only the TCP 106023 (when ``wanted``): UDP, ICMP and all of them
    otherwise go back to the ignored other messages (``is_connection`` is updated in place)."""
    acl = np.flatnonzero(is_connection & (number == _ACL_NUMBER))
    if not len(acl):
        return
    tcp = is_acl_candidate(data, body[acl]) if wanted else np.zeros(len(acl), bool)
    is_connection[acl[~tcp]] = False


_ACL_NUMBER = int(ACL_DENY)


def _snippet(line: str) -> str:
    """The start of a rejected line's message (from its ``%``), else of the line."""
    start = max(line.find("%"), 0)
    return line[start:start + _SNIPPET].rstrip("\r\n")


def _untagged(text: pa.Array, tagged: np.ndarray, control: np.ndarray, ignored: Counter[str],
              ) -> tuple[list[np.ndarray], list[str]]:
    """Lines without a Cisco tag: blank and other programs' lines are ignored, the rest rejected."""
    rows = np.flatnonzero(~tagged & ~control)
    sample = text.take(pa.array(rows))
    blank = pc.match_substring_regex(sample, _BLANK).to_numpy(zero_copy_only=False)
    damaged = pc.match_substring_regex(sample, ANY_TAG).to_numpy(zero_copy_only=False) & ~blank
    syslog = pc.match_substring_regex(sample, _SYSLOG_START).to_numpy(zero_copy_only=False)
    other = syslog & ~blank & ~damaged
    if blank.any():
        ignored[BLANK] += int(blank.sum())
    if other.any():
        ignored[NON_FIREWALL] += int(other.sum())
    not_syslog = ~blank & ~damaged & ~other
    control_rows = np.flatnonzero(control)
    reject_rows = [control_rows, rows[damaged], rows[not_syslog]]
    reasons = ([_CONTROL] * len(control_rows) + [_DAMAGED_TAG] * int(damaged.sum())
               + [_NOT_SYSLOG] * int(not_syslog.sum()))
    return reject_rows, reasons


def _with_heads(heads: Heads, used: np.ndarray) -> dict:
    """Per-row device, local time and zone of the headers ``used``, plus clock offsets."""
    return {"devices": [*heads.devices, None],  # device -1 (no name) picks the trailing None
            "device_index": heads.device[used], "local_ns": heads.local_ns[used],
            "zone": heads.zone[used], "yearless": heads.yearless[used],
            "offsets": heads.offsets(used)}
