"""The tables behind the Findings (teardown reasons, the remedies' assumptions, the timeout), and
``table``: any of the kit's frames as people read it in a notebook or the report."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..analysis.format import hms
from ..report.display import Table
from ..units import host_key


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
    from ..case.facts import reason_tally

    # a case's counts cover every event, whichever engine computed it
    table = case.event_facts.reasons if hasattr(case, "event_facts") else reason_tally(case)
    table = table.loc[table["teardowns"] > 0].copy()
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


def table(frame: pd.DataFrame, case: Any = None, *, index: bool | None = None) -> Table:
    """``frame`` as people read it: human headers with units, whole values (commands one per
    line), words for flags, "unknown" for anything missing, times in the case's ``display_tz``
    (labelled); the frame keeps its column names. In a redacted case, a table without an ``os``
    column names each host with its inventory OS (``client-28607c (aix)``).

    Parameters
    ----------
    frame : DataFrame
    case : kit.Case, optional
        Its ``[case] display_tz`` sets the zone of the times shown (default UTC); when it is
        redacted (``case.redacted``), its inventory gives the hosts' OS.
    index : bool, optional
        Show the index as the first column; default: when it is not a plain row number.
    """
    tz = getattr(getattr(case, "settings", None), "display_tz", None)
    host_os = inventory_os(case.inventory) if getattr(case, "redacted", False) else None
    return Table(frame, tz=tz, index=index, host_os=host_os)


def inventory_os(inventory: pd.DataFrame) -> dict[str, str]:
    """Host key (``kit.units.host_key``) -> the OS the inventory gives it; a host whose rows
    (one per IP) give several shows them all (``linux/windows``), one without none."""
    found: dict[str, list[str]] = {}
    for host, os_name in zip(inventory["host"], inventory["os"], strict=True):
        key = host_key(host)
        text = str(os_name).strip() if isinstance(os_name, str) else ""
        if key is not None and text and text not in found.setdefault(key, []):
            found[key].append(text)
    return {key: "/".join(names) for key, names in found.items()}
