"""Rank the remedies from the comparison table alone, and say why in sentences with its numbers.

The order: teardowns prevented (more first), then risk to the firewall's connection table (peak
growth, less first), then blast radius (sessions the change reaches), then things to touch (hosts
and devices), then packets per hour. Nothing here knows any remedy by name.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

#: (column or derived key, True when larger is better, how to say a row loses on it)
Criterion = tuple[str, bool, Callable[[pd.Series, pd.Series], str]]


def _rate(value: float) -> str:
    """Packets per hour: one decimal when small, whole numbers otherwise."""
    return f"{value:,.1f}" if abs(value) < 10 else f"{value:,.0f}"


def _touch(row: pd.Series) -> int:
    return int(row["hosts_to_change"]) + int(row["devices_to_change"])


CRITERIA: tuple[Criterion, ...] = (
    ("prevented", True,
     lambda r, b: f"it prevents fewer teardowns ({r['prevented']} vs {b['prevented']})"),
    ("peak_connections_change", False,
     lambda r, b: f"it grows the connection table's peak more ({r['peak_connections_change']:+d} "
                  f"vs {b['peak_connections_change']:+d})"),
    ("sessions_in_scope", False,
     lambda r, b: f"it reaches more sessions ({r['sessions_in_scope']:,} vs "
                  f"{b['sessions_in_scope']:,})"),
    ("things_to_change", False,
     lambda r, b: f"it needs more hosts and devices changed ({_touch(r)} vs {_touch(b)})"),
    ("extra_packets_per_hour", False,
     lambda r, b: f"it adds more packets per hour ({_rate(r['extra_packets_per_hour'])} vs "
                  f"{_rate(b['extra_packets_per_hour'])})"),
)


@dataclass(frozen=True)
class Recommendation:
    """The ranked remedies and the reasons, in plain sentences quoting the table.

    ``best`` is None when no change is needed (no idle-timeout teardowns) or nothing helps.
    ``assumptions`` is the ``kit.Assumptions`` the comparison rested on (every default
    resolved), so the recommendation says under which assumptions it holds.
    """

    best: str | None
    ranking: list[str]
    reasons: list[str] = field(default_factory=list)
    assumptions: Any = None

    @property
    def text(self) -> str:
        return " ".join(self.reasons)

    def __str__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:
        return "\n".join(f"- {reason}" for reason in self.reasons)


def _keys(table: pd.DataFrame) -> pd.DataFrame:
    keys = table.assign(things_to_change=table["hosts_to_change"] + table["devices_to_change"])
    return keys.loc[:, [c for c, _, _ in CRITERIA]]


def _summary(name: str, row: pd.Series) -> str:
    return (f"{name} prevents {row['prevented']} of {row['victims']} idle-timeout teardowns "
            f"({row['prevented_share']:.0%}), changes the peak of open connections by "
            f"{row['peak_connections_change']:+d} (to {row['peak_connections']:,}), reaches "
            f"{row['sessions_in_scope']:,} sessions, needs {row['hosts_to_change']} hosts and "
            f"{row['devices_to_change']} devices changed, and adds "
            f"{_rate(row['extra_packets_per_hour'])} packets "
            f"({row['extra_bytes_per_hour'] / 1000:,.1f} kB) per hour.")


def _why_below(row: pd.Series, best: pd.Series, keys: pd.DataFrame) -> str:
    for column, larger_better, say in CRITERIA:
        mine, theirs = keys.loc[row.name, column], keys.loc[best.name, column]
        if mine != theirs:
            worse = mine < theirs if larger_better else mine > theirs
            if worse:
                return say(row, best)
    return f"it ties with {best.name} on every criterion and comes later in the table"


def recommend(comparison: pd.DataFrame) -> Recommendation:
    """Rank the remedies of ``kit.compare_remedies`` and explain the choice.

    Parameters
    ----------
    comparison : DataFrame
        The comparison table (indexed by remedy); its ``attrs["resolved"]`` (the
        ``kit.Assumptions`` of ``compare_remedies``) is kept on the recommendation.

    Returns
    -------
    Recommendation
        ``best`` (None when there are no idle-timeout teardowns, i.e. no change is needed, or
        when no remedy prevents any), ``ranking`` (best first) and ``reasons``.
    """
    resolved = comparison.attrs.get("resolved")
    keys = _keys(comparison)
    order = sorted(range(len(keys)), key=lambda i: tuple(
        -keys.iloc[i][c] if larger else keys.iloc[i][c] for c, larger, _ in CRITERIA))
    ranking = [str(comparison.index[i]) for i in order]
    victims = int(comparison["victims"].max()) if len(comparison) else 0
    if victims == 0:
        return Recommendation(None, ranking, [
            "There are no idle-timeout teardowns in the data: no change is needed."], resolved)
    best = comparison.loc[ranking[0]]
    if best["prevented"] == 0:
        return Recommendation(None, ranking, [
            f"None of the remedies prevents any of the {victims} idle-timeout teardowns under "
            "these assumptions; check the assumptions (timeouts, keepalive, ports)."], resolved)
    reasons = [f"Recommended: {ranking[0]}.", _summary(ranking[0], best)]
    for position, name in enumerate(ranking[1:], start=2):
        row = comparison.loc[name]
        reasons.append(f"{name} ranks {position}: {_why_below(row, best, keys)}.")
    return Recommendation(ranking[0], ranking, reasons, resolved)
