"""``read_firewall_log(..., engine="dask")``: the connection-event frame as a ``dask.dataframe``.

Two passes over the partitions (:mod:`.partitions`), both on the cluster:

1. each partition is parsed and only a :class:`~.partitions.Summary` comes back; the client
   combines them (:mod:`.combine`) into the load report and each partition's file-level state;
2. a lazy frame re-parses each partition with that state (line numbers, years) and settles
   who initiated each connection across partitions: a Teardown takes the direction of the
   first Built with its device and connection id *anywhere* in the data (as the pandas reader
   does), found by a shuffle on (device, connection id) rather than on one machine.

Rows, order, index (0..n-1), columns, dtypes and values equal the pandas engine's, except
for ASA ``106023`` access-list denies: matching them to earlier teardowns of their endpoints
(:mod:`kit.firewall.acl`) is pandas-engine only, so this engine counts every 106023 as ignored
and a 106023 the pandas engine reads as ``deny-no-connection`` is missing here. The report is
on ``frame.load_report`` (a lazy frame has no ``attrs``; derived frames lose it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..firewall.frame import Collected, build_frame
from ..firewall.messages import BlockSettings, parse_block
from ..firewall.orientation import BUILT
from ..firewall.schema import (
    CONNECTION_COLUMNS,
    CONNECTION_DTYPES,
    FEW_VALUE_COLUMNS,
    conform,
)
from ..firewall.zones import parse_zone
from ..loadreport import OnBadLines
from .cluster import RETRIES, connect, progress_bar
from .combine import combine
from .partitions import ROW, USER, Part, Placement, matching, plan, rows, summarise

#: bytes per partition of a plain file (compressed or re-encoded files are one partition each):
#: a worker holds ~0.45 GB of libraries plus ~15x its partition while parsing, so 8 MiB (the
#: reader's block) keeps each worker near 0.65 GB (benchmarks/README.md, bench_scale)
BLOCKSIZE = 8 * 1024 * 1024
_HIDDEN = {"_first": bool, "_key": USER, "_user1": USER, "_user2": USER, "_aaa_user": USER}
_SAMPLE = (b"Jun  2 2024 16:54:07 fw : %ASA-6-302013: Built inbound TCP connection 1 for "
           b"outside:192.0.2.1/51234 (192.0.2.1/51234) to inside:10.0.0.5/1556 (10.0.0.5/1556)\n")
#: what the Built/Teardown matching needs of a Built: its key, whether its first logged endpoint
#: initiated, and its ports
MATCHING = ("_key", "_first", "src_port", "dst_port")
_SWAPPED = (("src_if", "dst_if"), ("src_ip", "dst_ip"), ("src_port", "dst_port"))


def read_dask(source: Any, *, tz: Any = "UTC", relay_tz: Any = "UTC", year: int | None = None,
              on_bad_lines: OnBadLines = "warn", progress: bool | None = None,
              blocksize: int = BLOCKSIZE, scheduler: Any = None,
              earlier_builts: Any = None, matching_columns: bool = False) -> Any:
    """The connection-event frame of ``source`` as a ``dask.dataframe.DataFrame``.

    Parameters are those of :func:`kit.read_firewall_log`, plus ``blocksize`` (bytes per
    partition of a plain file) and ``scheduler`` (see :func:`kit.scale.cluster.connect`).
    Every worker must see the paths (a shared file system on a real cluster).

    ASA 106023 denies all stay ignored (see the module docstring).

    ``earlier_builts`` (Builts read before, as :data:`MATCHING` columns with a negative index)
    and ``matching_columns`` (keep ``_key`` and ``_first`` in the result) let ``kit parse``
    orient Teardowns whose Built is in an earlier run.
    """
    import dask.dataframe as dd
    from distributed import as_completed

    device_zone = parse_zone(tz, parameter="tz")
    relay_zone = parse_zone(relay_tz, parameter="relay_tz")
    parts = plan(source, int(blocksize))
    client = connect(scheduler)
    settings = [BlockSettings(device_zone, relay_zone, year or _year_of(part)) for part in parts]
    with client.as_current():
        futures = client.map(summarise, parts, settings, retries=RETRIES, pure=False)
        with progress_bar(progress, len(futures), "parsing on the cluster") as bar:
            for _ in as_completed(futures):
                bar.update(1)
        summaries = client.gather(futures)
        client.cancel(futures)  # only the summaries are kept
    report, placements = combine(parts, summaries, year=year)
    if on_bad_lines == "error":
        report.enforce("error")
    # known before the rows (as Dask needs): the load's vocabulary, a superset of the values
    # that occur; ``schema.text_categories(frame.compute())`` gives the pandas frame's
    categories = {name: pd.Index(sorted(set().union(*(s.categories.get(name, ())
                                                      for s in summaries))), dtype="str")
                  for name in FEW_VALUE_COLUMNS}
    live = [(part, setting, placement) for part, setting, placement, summary
            in zip(parts, settings, placements, summaries, strict=True) if summary.parsed]
    if not live:
        from ..firewall.reader import no_events_error

        raise no_events_error(report)
    counts = [s.parsed for s in summaries if s.parsed]
    starts = np.concatenate(([0], np.cumsum(counts)))
    divisions = (*(int(s) for s in starts[:-1]), int(starts[-1]) - 1)
    first_rows = [int(s) for s in starts[:-1]]
    meta = _internal_meta(categories)
    internal = dd.from_map(_rows, live, first_rows, categories=categories, meta=meta,
                           divisions=divisions, label="read-firewall-log",
                           enforce_metadata=False)
    # the matching reads the partitions on its own (a third parse, without building frames)
    # rather than sharing them: shared partitions would all be held across the shuffle's barrier
    matching_rows = dd.from_map(_matching_rows, live, first_rows,
                                meta=meta[list(MATCHING)].assign(_built=pd.Series(dtype=bool)),
                                divisions=divisions, label="match-built-teardown",
                                enforce_metadata=False)
    frame = _orient_across(internal, matching_rows, earlier_builts, matching_columns)
    report.enforce(on_bad_lines)
    object.__setattr__(frame, "load_report", report)
    return frame


def _year_of(part: Part) -> int:
    from datetime import UTC, datetime

    return (part.mtime or datetime.now(UTC)).year


def _rows(item: tuple[Part, BlockSettings, Placement], start: int,
          categories: dict[str, list[str]]) -> pd.DataFrame:
    part, settings, placement = item
    return rows(part, settings, placement, start, categories)


def _matching_rows(item: tuple[Part, BlockSettings, Placement], start: int) -> pd.DataFrame:
    part, settings, _ = item
    return matching(part, settings, start)


def frame_meta() -> pd.DataFrame:
    """A zero-row frame with the exact dtypes the frame builder gives (categories included),
    made by the builder itself from one sample line."""
    settings = BlockSettings(parse_zone("UTC"), parse_zone("UTC"), 2024)
    result = parse_block(_SAMPLE, settings)
    collected = Collected()
    collected.add(result.connections, np.zeros(1, np.int32), np.ones(1, np.int64))
    collected.add_times(result.time_ns, "<meta>")
    return build_frame(collected, ["fw"]).iloc[:0]


def _internal_meta(categories: dict[str, list[str]]) -> pd.DataFrame:
    meta = frame_meta()
    for name, values in categories.items():
        meta[name] = meta[name].cat.set_categories(values)
    for name, dtype in _HIDDEN.items():
        meta[name] = pd.Series(dtype=dtype)
    meta.index = pd.RangeIndex(0, name=ROW)
    return meta


def _orient_across(internal: Any, rows: Any, earlier_builts: Any,
                   matching_columns: bool) -> Any:
    """Teardowns take the direction of the first Built (in row order) with their device and
    connection id, wherever it is: one shuffle of the Builts and Teardowns (``rows``) on that
    key, where each Teardown finds its Built, then back to row order."""
    import dask.dataframe as dd

    if earlier_builts is not None:
        rows = dd.concat([earlier_builts[list(MATCHING)].assign(_built=True), rows])
    rows = rows.reset_index()
    matched = rows.shuffle(on="_key").map_partitions(_pair, meta=_pair(rows._meta))
    matched = matched.set_index(ROW, divisions=internal.divisions)
    meta = _reorient(internal._meta, matched._meta, matching_columns)
    return internal.map_partitions(_reorient, matched, matching_columns, meta=meta,
                                   align_dataframes=False)


def _pair(rows: pd.DataFrame) -> pd.DataFrame:
    """Each Teardown with the first Built (lowest row) of its key, if any."""
    builts = rows[rows["_built"]].sort_values(ROW, kind="stable").drop_duplicates("_key")
    builts = pd.DataFrame({"_key": builts["_key"], "built_first": builts["_first"],
                           "built_src": builts["src_port"], "built_dst": builts["dst_port"]})
    teardowns = rows.loc[~rows["_built"], [ROW, "_key"]]
    return teardowns.merge(builts, on="_key", how="inner").drop(columns="_key")


def _reorient(part: pd.DataFrame, matched: pd.DataFrame, matching_columns: bool,
              ) -> pd.DataFrame:
    """Apply ``orientation.orient``'s Teardown rule with the Built found across partitions."""
    if len(matched):
        at = part.index.get_indexer(matched.index)
        was = part["_first"].to_numpy()[at]
        src = part["src_port"].to_numpy(np.int64)[at]
        dst = part["dst_port"].to_numpy(np.int64)[at]
        port1, port2 = np.where(was, src, dst), np.where(was, dst, src)
        b_src = matched["built_src"].to_numpy(np.int64)
        b_dst = matched["built_dst"].to_numpy(np.int64)
        same = (port1 == b_src) & (port2 == b_dst)
        swapped = (port2 == b_src) & (port1 == b_dst)
        now = np.where(same != swapped, same, matched["built_first"].to_numpy(bool))
        flip = at[now != was]
        if len(flip):
            part = part.copy()
            for a, b in _SWAPPED:
                ia, ib = part.columns.get_loc(a), part.columns.get_loc(b)
                values = part.iloc[flip, [ib, ia]].to_numpy()
                part.iloc[flip, [ia, ib]] = values
            user1, user2, aaa = (part[c].iloc[flip].reset_index(drop=True)
                                 for c in ("_user1", "_user2", "_aaa_user"))
            keep = pd.Series(~was[now != was])  # the first endpoint initiates after the flip
            user = user1.where(keep, user2).fillna(user2.where(keep, user1)).fillna(aaa)
            part.iloc[flip, part.columns.get_loc("user")] = user.to_numpy()
        codes = part["orientation"].cat.codes.to_numpy().copy()
        codes[at] = BUILT
        part["orientation"] = pd.Categorical.from_codes(
            codes, dtype=CONNECTION_DTYPES["orientation"])
    frame = conform(part.loc[:, list(CONNECTION_COLUMNS)]).rename_axis(None)
    if matching_columns:
        frame[list(MATCHING[:2])] = part[list(MATCHING[:2])]
    return frame
