"""Small wording helpers for the Findings sentences: lists, counts, times, shares, services."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..report.display import in_zone, zone_label

#: lists in a sentence name at most this many items, then say how many more
LIST_LIMIT = 6


def listing(items: Iterable[str], limit: int = LIST_LIMIT) -> str:
    """``a, b and c``; beyond ``limit`` items ``a, b, ... and 4 more``."""
    items = list(items)
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def when(value: pd.Timestamp, tz: str | None = None) -> str:
    """A time as the case shows it, with its zone: ``2024-06-04 18:05 EDT``."""
    return f"{in_zone(value, tz):%Y-%m-%d %H:%M} {zone_label(tz, value)}"


def share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else "n/a"


def service(name: Any, port: Any) -> str:
    if pd.isna(port):
        return "an unknown port"
    return f"{name}/{int(port)}" if not pd.isna(name) else f"port {int(port)}"


def services(rows: pd.DataFrame) -> list[str]:
    """The distinct services of some rows, in port order."""
    pairs = {(int(r.service_port), service(r.service, r.service_port))
             for r in rows.itertuples() if not pd.isna(r.service_port)}
    return [name for _, name in sorted(pairs)]
