"""Cisco connection-message layouts as chains of short RE2 stages that read each byte once.

RE2 uses its fast one-pass engine only for anchored patterns with at most four capture groups
(performance-notes.md), and its cost grows with the bytes it scans. So a layout is a chain of
anchored stages of up to four groups each; a stage starts where the previous one stopped, found by
adding the byte lengths of the groups it captured to the fixed text it matched. Every stage reads
a zero-copy view of the block starting at that position (``blocks.views``). Every pattern is
written so that the next byte decides the path, and none crosses a newline.

Layouts (domain.md §A1): the ASA one (``for IF:addr/port [(mapped)][(user)] to ...``, also FWSM
3.x+ and the state-bypass ``from ... to``) and the legacy PIX/FWSM ``faddr/gaddr/laddr`` one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .blocks import views

_PAREN = r"\([^()\n]*\)"
#: after an endpoint's port: a glued identity user, a mapped address after a space, a user glued
#: to that (``/5 (1.2.3.4/5)(LOCAL\u) to``)
_ENDPOINT_TAIL = rf"(?:{_PAREN})? (?:{_PAREN}(?:{_PAREN})? )?"
_LINE_REST = r"[^\d\r\n][^\r\n]*"


@dataclass(frozen=True)
class Stage:
    """One anchored pattern; the next stage starts after ``advance`` groups plus ``literal``
    bytes. ``only`` restricts it to Built or Teardown rows."""

    pattern: str
    advance: tuple[str, ...] = ()
    literal: int = 0
    only: str | None = None


def _event(separator: str, probe: str = "(?:Probe )?", bypass: str = "(?:state-bypass )?",
           ) -> Stage:
    return Stage(
        rf"^(?P<event>Built (?:(?:inbound|outbound) )?{probe}|Teardown )"
        rf"(?P<kind>(?:TCP|UDP) {bypass}connection )(?P<conn_id>\S+)(?P<sep> {separator} )",
        ("event", "kind", "conn_id", "sep"))


_TEARDOWN_END = Stage(
    rf"^(?P<tail2>{_ENDPOINT_TAIL})duration (?P<duration>\d+:\d\d:\d\d) bytes (?P<bytes>\d+)"
    rf"(?P<rest>{_LINE_REST})?", only="teardown")
_BUILT_END = Stage(rf"^(?P<built_tail>{_LINE_REST})?", only="built")

LAYOUTS: dict[str, tuple[Stage, ...]] = {
    "asa": (
        _event("(?:for|from)"),
        Stage(rf"^(?P<if1>[^:\n]+):(?P<ip1>[^/\s]+)/(?P<port1>\d+)(?P<tail1>{_ENDPOINT_TAIL}to )",
              ("if1", "ip1", "port1", "tail1"), 2),
        Stage(r"^(?P<if2>[^:\n]+):(?P<ip2>[^/\s]+)/(?P<port2>\d+)", ("if2", "ip2", "port2"), 2),
        _BUILT_END, _TEARDOWN_END),
    "legacy": (
        _event("(?:for )?faddr", probe="", bypass=""),
        Stage(rf"^(?P<ip1>[^/\s]+)/(?P<port1>\d+)(?P<tail1>(?:{_PAREN})? gaddr \S+ laddr )",
              ("ip1", "port1", "tail1"), 1),
        Stage(r"^(?P<ip2>[^/\s]+)/(?P<port2>\d+)", ("ip2", "port2"), 1),
        _BUILT_END, _TEARDOWN_END),
}


def run_layout(buffer: pa.Buffer, starts: np.ndarray, teardown: np.ndarray,
               stages: tuple[Stage, ...]) -> tuple[np.ndarray, dict[str, pa.Array]]:
    """Match ``stages`` at byte positions ``starts`` (increasing) of ``buffer``.

    Returns the indices (into ``starts``) of the rows every stage matched, and each captured
    field aligned with them (null where a stage did not apply to a row).
    """
    alive = np.arange(len(starts))
    position = np.asarray(starts, dtype=np.int64).copy()
    captured: dict[str, tuple[np.ndarray, pa.Array]] = {}
    for stage in stages:
        rows = alive
        if stage.only is not None:
            rows = alive[teardown[alive] == (stage.only == "teardown")]
        if not len(rows):
            continue
        result = pc.extract_regex(views(buffer, position[rows]), stage.pattern)
        matched = result.is_valid().to_numpy(zero_copy_only=False)
        fields = {result.type.field(i).name: pc.struct_field(result, [i])
                  for i in range(result.type.num_fields)}
        if "event" in fields:  # the text must agree with the message id
            built = pc.starts_with(fields["event"], "Built").to_numpy(zero_copy_only=False)
            matched &= built != teardown[rows]
        step = np.full(len(rows), stage.literal, dtype=np.int64)
        for name in stage.advance:
            step += pc.fill_null(pc.binary_length(fields[name]), 0).to_numpy(
                zero_copy_only=False)
        position[rows] += step
        captured.update({name: (rows, values) for name, values in fields.items()})
        alive = np.setdiff1d(alive, rows[~matched], assume_unique=True)
    return alive, {name: _align(rows, values, alive) for name, (rows, values) in
                   captured.items()}


def _align(rows: np.ndarray, values: pa.Array, wanted: np.ndarray) -> pa.Array:
    """``values`` (one per ``rows``) for the ``wanted`` rows, null where a row has none."""
    if len(rows) == len(wanted) and np.array_equal(rows, wanted):
        return values
    at = np.searchsorted(rows, wanted)
    found = (at < len(rows)) & (rows[np.minimum(at, len(rows) - 1)] == wanted)
    return values.take(pa.array(np.where(found, at, 0), mask=~found))
