"""Benchmark-size ASA logs of whole sessions: every Built followed by its Teardown.

:func:`kit.synth.write_log` draws Builts and Teardowns independently (fine for timing a reader,
but most of its Builts never close). Here each connection is a session with a start and a
duration drawn from a realistic mix: most short (``TCP FINs``/resets after seconds), SYN and
half-closed timeouts, a few long backup transfers (hours), idle-timeout teardowns (the firewall's
one-hour ``Conn-timeout`` after some activity) and a rare multi-day connection. Its Built is
written at the start, its Teardown at the end, so nearly every Built has its Teardown: only
sessions still running at the end of the file stay open, and the sessions already running at
its start log only their Teardown, as in a real capture.

Generated in bounded memory: time windows of ``BLOCK_LINES`` lines, each rendered with the
vectorised templates of :mod:`kit.synth.biglog` and written before the next; the Teardowns not
yet due are carried to the next windows (a few minutes' worth of sessions). Same seed, same bytes.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from .biglog import Conns, builts, headed, make_pools, others, teardowns
from .text import write_lines

BLOCK_LINES = 200_000
#: share of the lines that are Builts (as many Teardowns; the rest: denies, xlates, ICMP)
_BUILT_SHARE = 0.45
_FIRST_ID = 1_000_000
#: the firewall's idle timeout (the ASA default ``timeout conn 1:00:00``)
IDLE_TIMEOUT_S = 3600
#: sessions start this long before the file does, so the file opens mid-stream
_WARMUP_S = 9 * 3600
#: (reason, share of sessions, duration kind) of the session mix
_MIX = (
    ("TCP FINs", 0.7545, "short"),
    ("TCP Reset-I", 0.07, "short"),
    ("TCP Reset-O", 0.07, "short"),
    ("SYN Timeout", 0.03, "syn"),
    ("FIN Timeout", 0.02, "half-closed"),
    ("Flow closed by inspection", 0.01, "short"),
    ("Conn-timeout", 0.025, "idle"),
    ("Idle Timeout", 0.005, "idle"),
    ("TCP FINs", 0.015, "backup"),
    ("TCP FINs", 0.0005, "days"),
)
_REASONS = np.array([r for r, _, _ in _MIX])
_WEIGHTS = np.array([w for _, w, _ in _MIX])
_KINDS = np.array([k for _, _, k in _MIX])


class _Pending:
    """Sessions started but not yet torn down: columns (end time, id, duration, reason, bytes)."""

    def __init__(self) -> None:
        self.columns: list[np.ndarray] = [np.zeros(0), np.zeros(0, np.int64),
                                          np.zeros(0, np.int64), np.zeros(0, _REASONS.dtype),
                                          np.zeros(0, np.int64)]

    def add(self, *columns: np.ndarray) -> None:
        self.columns = [np.concatenate([old, new])
                        for old, new in zip(self.columns, columns, strict=True)]

    def due(self, before: float) -> tuple[np.ndarray, ...]:
        """Remove and return the sessions ending before ``before``."""
        now = self.columns[0] < before
        out = tuple(x[now] for x in self.columns)
        self.columns = [x[~now] for x in self.columns]
        return out


def write_session_log(path: str | Path, *, lines: int = 5_000_000, seed: int = 0,
                      start: str = "2024-06-03 00:00:00", rate: float = 60.0,
                      relay_tz: str = "America/Chicago") -> Path:
    """Write a synthetic multi-device ASA/FWSM log of paired Built/Teardown sessions.

    Parameters
    ----------
    path : str or Path
        Output file (plain text; parent folders are created).
    lines : int
        Number of lines (20,000,000 make ~4 GB).
    seed : int
        Same seed, same bytes.
    start : str
        UTC time of the first line; the file covers about ``lines / rate`` seconds.
    rate : float
        Lines per second (on average).
    relay_tz : str
        Zone of the relay header's clock (device stamps are UTC with the year).

    Returns
    -------
    Path
        The file written, ``BLOCK_LINES`` lines (one time window) at a time.
    """
    if lines < 0:
        raise ValueError(f"lines must be >= 0, not {lines}")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    window = BLOCK_LINES / rate
    warmup = -(-_WARMUP_S // window)  # whole windows, so none straddles the file's start
    first_s = float(pd.Timestamp(start, tz="UTC").timestamp())
    pools = make_pools(np.random.default_rng([seed, 0xA11]))
    pending = _Pending()
    next_id, written, k = _FIRST_ID, 0, 0
    with open(out, "wb") as stream:
        while written < lines:
            rng = np.random.default_rng([seed, 0x5E55, k])
            t0 = first_s + (k - warmup) * window
            n = int(rng.poisson(_BUILT_SHARE * rate * window))
            starts = np.sort(t0 + rng.random(n) * window)
            ids = next_id + np.arange(n, dtype=np.int64)
            next_id += n
            duration, reason, nbytes = _sessions(rng, n)
            pending.add(starts + duration, ids, duration, reason, nbytes)
            due = pending.due(t0 + window)
            if k >= warmup:  # warm-up windows only start sessions
                block = _window(rng, pools, seed, starts, ids, due, t0, window, rate, relay_tz)
                block = block.slice(0, lines - written)
                write_lines(stream, block)
                written += len(block)
            k += 1
    return out


def _sessions(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Duration (whole seconds), teardown reason and bytes of ``n`` new sessions."""
    pick = rng.choice(len(_MIX), size=n, p=_WEIGHTS / _WEIGHTS.sum())
    kind = _KINDS[pick]
    # short: median 8 s, 1 in 100 past 5 minutes
    duration = rng.lognormal(np.log(8.0), 1.6, n)
    duration[kind == "syn"] = 30
    half = kind == "half-closed"  # the 10-minute half-closed timeout after some activity
    duration[half] += 600
    idle = kind == "idle"  # activity, then the idle timeout
    duration[idle] = rng.exponential(600.0, idle.sum()) + IDLE_TIMEOUT_S
    backup = kind == "backup"
    duration[backup] = rng.uniform(1800, 8 * 3600, backup.sum())
    days = kind == "days"
    duration[days] = rng.uniform(86_400, 400_000, days.sum())
    nbytes = rng.lognormal(8.0, 2.0, n)
    nbytes[backup] = rng.lognormal(22.0, 1.0, backup.sum())
    nbytes[kind == "syn"] = 0
    return duration.astype(np.int64), _REASONS[pick], nbytes.astype(np.int64)


def _window(rng: np.random.Generator, pools, seed: int, starts: np.ndarray, ids: np.ndarray,
            due: tuple[np.ndarray, ...], t0: float, window: float, rate: float,
            relay_tz: str) -> pa.Array:
    """The lines of one time window in time order: the Builts of the sessions starting in it,
    the Teardowns falling due in it, and other messages."""
    end, torn_ids, duration, reason, nbytes = due
    n_other = int(rng.poisson((1 - 2 * _BUILT_SHARE) * rate * window))
    other_at = t0 + rng.random(n_other) * window
    parts = [builts(Conns(ids, pools, seed)),
             teardowns(rng, Conns(torn_ids, pools, seed), reason, duration, nbytes),
             others(rng, pools, n_other)]
    at = np.concatenate([starts, end, other_at])
    order = np.argsort(at, kind="stable")
    device = pa.concat_arrays([p[0] for p in parts]).take(pa.array(order))
    body = pa.concat_arrays([p[1] for p in parts]).take(pa.array(order))
    return headed(rng, np.floor(at[order]).astype(np.int64), device, body, relay_tz)
