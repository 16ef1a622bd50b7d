"""The tables behind the Findings: teardown reasons, the remedies' assumptions, the timeout."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..analysis.format import hms


def firewall_timeout(case: Any) -> pd.Timedelta | None:
    """The firewall idle timeout the notebooks work with: ``case.timeout.value`` (case.toml's,
    else inferred from the idle-timeout teardowns, else None)."""
    return case.timeout.value


def teardown_reasons(case: Any) -> pd.DataFrame:
    """How the teardowns closed: one row per protocol, normalised close class and verbatim
    reason, with its count, most frequent first (the table behind the Findings' counts).

    Parameters
    ----------
    case : kit.Case or DataFrame
        A case, or a connection-event frame.

    Returns
    -------
    DataFrame
        protocol, close, reason, teardowns; "none" / "(no reason logged)" where the firewall
        gave no reason (UDP).
    """
    events = case.connections if hasattr(case, "connections") else case
    tear = events.loc[(events["event"] == "teardown").fillna(False).to_numpy(dtype=bool)]
    table = (tear.groupby(["protocol", "close", "reason"], dropna=False, observed=True)
             .size().rename("teardowns").reset_index())
    table = table.loc[table["teardowns"] > 0]
    # UDP teardowns carry no reason: say so rather than show NaN / <NA>
    table["close"] = table["close"].astype("string").fillna("none")
    table["reason"] = table["reason"].astype("string").fillna("(no reason logged)")
    return table.sort_values(["teardowns", "protocol", "close"], ascending=[False, True, True],
                             kind="stable", ignore_index=True)


def _value_text(value: Any) -> str:
    if isinstance(value, pd.Timedelta):
        return hms(value)
    if isinstance(value, tuple) and len(value) == 2 and \
            all(isinstance(v, pd.Timestamp) for v in value):
        return f"{_value_text(value[0])} to {_value_text(value[1])}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_value_text(v) for v in value) or "none"
    if isinstance(value, pd.Timestamp):
        return f"{value:%Y-%m-%d %H:%M:%S} UTC"
    return "" if value is None else str(value)


def assumptions(comparison: pd.DataFrame) -> pd.DataFrame:
    """The assumptions a ``kit.compare_remedies`` table rests on, one row each, readable.

    Returns
    -------
    DataFrame
        Indexed by assumption name: ``value`` (durations as H:MM:SS) and ``why`` (the sentence
        that justifies it).
    """
    rows = comparison.attrs.get("assumptions", {})
    table = pd.DataFrame({
        "value": [_value_text(a.get("value")) for a in rows.values()],
        "why": [str(a.get("why", "")) for a in rows.values()],
    }, index=pd.Index(list(rows), name="assumption"))
    return table
