"""The client-side combine of pass 1: tiny per-partition summaries -> the load report and, per
partition, the file-level state pass 2 needs (first line number, year of year-less stamps).

Year-less stamps roll over to the next year whenever the months go back (``clock.year_turns``,
``np.unwrap`` with period 12). Whether a step rolls over depends only on the two neighbouring
months, so a file's turns are chained across its partitions from each partition's first and last
month; the file's first year then comes from its last stamp, exactly as in the pandas reader.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

import numpy as np

from ..firewall.clock import ClockOffsets, year_of_first
from ..firewall.reader import NO_FIREWALL_LINES
from ..loadreport import FileReport, LoadReport
from .partitions import Part, Placement, Summary


def combine(parts: Sequence[Part], summaries: Sequence[Summary], *, year: int | None,
            ) -> tuple[LoadReport, list[Placement]]:
    """The load report of all partitions and each partition's :class:`Placement`."""
    report = LoadReport()
    offsets = ClockOffsets()
    placements: list[Placement] = []
    start = 0
    while start < len(parts):
        end = start + 1
        while end < len(parts) and parts[end].index > 0:
            end += 1
        file, placed = _file(parts[start:end], summaries[start:end], year)
        report.files.append(file)
        placements += placed
        for summary in summaries[start:end]:
            for device, seconds, lines in summary.offsets:
                offsets.add(device, seconds, lines)
        start = end
    report.clock_offsets = offsets.medians()
    return report, placements


def _file(parts: Sequence[Part], summaries: Sequence[Summary], year: int | None,
          ) -> tuple[FileReport, list[Placement]]:
    file = FileReport(parts[0].name)
    firewall_lines = 0
    first_lines, turns = [], []
    previous: tuple[int, float] | None = None  # (raw month, unwrapped month) of the last stamp
    last: tuple[int, int] | None = None  # (local time, year turns) of the file's last stamp
    for summary in summaries:
        first_lines.append(file.read + 1)
        for line, why in summary.rejects:
            file.reject(file.read + line, why)
        file.rejected += summary.rejected - len(summary.rejects)
        file.read += summary.lines
        file.parsed += summary.parsed
        file.decode_errors += summary.decode_errors
        for key, count in summary.ignored.items():
            file.ignore(key, count)
        file.problems += summary.problems
        firewall_lines += summary.firewall_lines
        turn = 0
        if summary.first_month is not None:
            if previous is not None:
                raw, unwrapped = previous
                step = np.unwrap([raw, summary.first_month], period=12)[1] - raw
                turn = round((unwrapped + step - summary.first_month) / 12)
            previous = (summary.last_month, summary.last_unwrapped + 12 * turn)
            last = (summary.last_based, turn + math.floor(summary.last_unwrapped / 12))
        turns.append(turn)
    if file.read == 0 and not file.problems:
        file.problems.append("empty file (no lines)")
    elif file.read and not firewall_lines:
        file.problems.append(NO_FIREWALL_LINES)
    first_year = _first_year(year, last, parts[0].mtime)
    return file, [Placement(line, turn, first_year)
                  for line, turn in zip(first_lines, turns, strict=True)]


def _first_year(year: int | None, last: tuple[int, int] | None, modified: datetime | None,
                ) -> int:
    if year is not None:
        return year
    if last is None:
        return 1970  # no year-less stamp in the file: unused
    return year_of_first(np.int64(last[0]), last[1], modified)
