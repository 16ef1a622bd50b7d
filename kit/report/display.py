"""Show generated sentences and tables in a notebook as text, never as markup.

Findings quote values from log lines (user and interface names), which anyone who reaches the
firewall can choose. Rendering them through ``Markdown(...)`` would turn ``<img src=x onerror=..>``
into markup; ``Findings`` escapes every sentence for HTML and keeps a plain-text form for nbval and
exported reports.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable, Mapping
from datetime import tzinfo
from typing import Any

import numpy as np
import pandas as pd

from ..redaction.redactor import column_kind
from ..units import host_key


class Findings:
    """A titled, numbered list of sentences, displayed escaped.

    Parameters
    ----------
    sentences
        The sentences, already written from the data (counts, hosts, ports, the timeout, ...).
    title
        Shown above the list.
    """

    def __init__(self, sentences: Iterable[str], title: str = "Findings"):
        self.title = title
        self.sentences = [str(s) for s in sentences]

    def __str__(self) -> str:
        lines = [self.title]
        lines += [f"{n}. {s}" for n, s in enumerate(self.sentences, 1)] or ["(none)"]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(s)}</li>" for s in self.sentences) or \
            "<li>(none)</li>"
        return f"<h3>{html.escape(self.title)}</h3><ol>{items}</ol>"


def zone_of(tz: str | None) -> tzinfo:
    """The ``tzinfo`` of a case's zone setting (``UTC``, ``+02:00``, ``America/New_York``)."""
    from ..firewall.zones import parse_zone

    zone = parse_zone(tz or "UTC", parameter="display_tz")
    if zone.iana is not None:
        return zone.iana
    return dt.timezone(dt.timedelta(minutes=zone.minutes or 0))


def in_zone(value: pd.Timestamp, tz: str | None) -> pd.Timestamp:
    """A stored (UTC) time as the case shows it."""
    return value.tz_convert(zone_of(tz)) if value.tzinfo is not None else value


def zone_label(tz: str | None, when: pd.Timestamp | None = None) -> str:
    """How a zone is named next to a time: ``UTC``, ``EST``/``EDT``, ``UTC-05:00``."""
    if not tz or tz == "UTC":
        return "UTC"
    zone = zone_of(tz)
    moment = when if when is not None and when.tzinfo is not None else pd.Timestamp.now("UTC")
    return moment.tz_convert(zone).strftime("%Z") or str(tz)


#: readable headers (with units) for the columns of the kit's frames; others: ``_`` -> space
HEADERS: dict[str, str] = {
    "keepalive_time": "keepalive time (first probe after, H:MM:SS)",
    "keepalive_interval": "probe interval (H:MM:SS)",
    "keepalive_probes": "probes",
    "time_to_detect": "dead peer detected after (H:MM:SS)",
    "defaulted": "OS default used for",
    "firewall_timeout": "firewall timeout (H:MM:SS)",
    "margin": "margin before the timeout (H:MM:SS)",
    "at_risk": "at risk",
    "src_at_risk": "source at risk",
    "dst_at_risk": "destination at risk",
    "recommended": "recommended keepalive (H:MM:SS)",
    "value": "value (in the unit)",
    "commands": "commands (one per line)",
    "src": "source", "dst": "destination", "src_role": "source role",
    "dst_role": "destination role", "src_host": "source host", "dst_host": "destination host",
    "service_port": "port", "idle_teardowns": "idle teardowns",
    "typical_duration": "typical duration (H:MM:SS)", "typical_bytes": "typical bytes",
    "duration": "duration (H:MM:SS)", "longest_timer": "longest keepalive timer (H:MM:SS)",
    "peer_ip": "peer address", "no_keepalive": "without keepalive",
    "keepalive": "with keepalive",
    "prevented_share": "prevented (%)", "extra_packets_per_hour": "extra packets per hour",
    "extra_bytes_per_hour": "extra bytes per hour", "peak_connections": "peak open connections",
    "peak_connections_change": "peak change", "mean_connections": "mean open connections",
    "hosts_to_change": "hosts to change", "devices_to_change": "devices to change",
    "sessions_in_scope": "sessions in scope",
}
#: words for the flags of these columns (True, False)
FLAG_WORDS: dict[str, tuple[str, str]] = {
    "at_risk": ("at risk", "safe"), "src_at_risk": ("at risk", "safe"),
    "dst_at_risk": ("at risk", "safe"),
}
#: the one spelling of a missing value in a shown table
UNKNOWN = "unknown"
SHARES = ("prevented_share",)
#: the columns that name a host: the redaction's host columns (``host``, ``*_host``,
#: ``client``, ``server``, ``peer``, ...) and the endpoints of ``kit.affected`` (``src``, ``dst``)
ENDPOINT_COLUMNS = ("src", "dst")


def names_host(label: Any) -> bool:
    """Whether a column holds host names (see ``ENDPOINT_COLUMNS``)."""
    return column_kind(label) == "host" or label in ENDPOINT_COLUMNS


class Table:
    """A frame shown for people: human headers with units, whole values (commands one per line,
    long text wrapped, never cut), words for flags, one spelling of unknown, no positional index,
    times in the case's zone (labelled). The frame itself keeps its column names.

    Parameters
    ----------
    frame
        Any of the kit's frames.
    tz
        The zone to show times in (``case.settings.display_tz``); default UTC.
    index
        Keep the frame's index as the first column (when it names something, e.g. the remedy).
    host_os
        Host key (``kit.units.host_key``) -> OS. When given and the frame has no ``os``
        column, each host name is shown with its OS (``client-28607c (aix)``): a redacted
        case's pseudonyms no longer say it.
    """

    def __init__(self, frame: pd.DataFrame, *, tz: str | None = None, index: bool | None = None,
                 host_os: Mapping[str, str] | None = None):
        keep = index if index is not None else _meaningful_index(frame.index)
        data = frame.reset_index() if keep else frame.reset_index(drop=True)
        self.columns = [_header(c, data[c], tz) for c in data.columns]
        self.rows = [[_cell(c, v, tz) for c, v in zip(data.columns, row, strict=True)]
                     for row in data.itertuples(index=False, name=None)]
        if host_os and "os" not in data.columns:
            hosts = [i for i, c in enumerate(data.columns) if names_host(c)]
            for row in self.rows:
                for i in hosts:
                    row[i] = _with_os(row[i], host_os)

    def __repr__(self) -> str:
        if not self.rows:
            return "(no rows)"
        shown = pd.DataFrame([[v.replace("\n", " | ") for v in r] for r in self.rows],
                             columns=self.columns)
        with pd.option_context("display.max_colwidth", None, "display.width", 10_000):
            return shown.to_string(index=False)

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>"
                       for row in self.rows)
        if not self.rows:
            body = f'<tr><td colspan="{len(self.columns)}">(no rows)</td></tr>'
        return (f'<div class="kit-table" style="overflow-x:auto">'
                f'<table class="kit-table"><thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table></div><style>{TABLE_STYLE}</style>")


#: in notebooks and report.html alike: whole values, wrapped between words (a word is split only
#: when it alone is wider than the column); left-aligned even inside JupyterLab, whose own rule
#: right-aligns output tables with a more specific selector; the key column stays in view
TABLE_STYLE = (
    "table.kit-table td, table.kit-table th { white-space: pre-wrap; overflow-wrap: break-word; "
    "text-align: left !important; vertical-align: top; max-width: 32em; } "
    "table.kit-table td:first-child, table.kit-table th:first-child { position: sticky; "
    "left: 0; background: #fafafa; }")


def _header(name: Any, column: pd.Series, tz: str | None) -> str:
    text = HEADERS.get(str(name), str(name).replace("_", " "))
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        first = column.dropna()
        text += f" ({zone_label(tz, first.iloc[0] if len(first) else None)})"
    return text


def _with_os(shown: str, host_os: Mapping[str, str]) -> str:
    os_name = host_os.get(host_key(shown) or "") if shown != UNKNOWN else None
    return f"{shown} ({os_name})" if os_name else shown


def _meaningful_index(index: pd.Index) -> bool:
    """An index worth a column: named, or labels (the remedy), not row positions left over
    from filtering a frame."""
    return index.name is not None or not pd.api.types.is_integer_dtype(index.dtype)


#: integer columns that name something (a port, a job, a status code, a line) rather than count:
#: shown without thousands separators
LABEL_SUFFIXES = ("port", "id", "status", "line", "number", "code", "pid")


def _is_label(name: Any) -> bool:
    return str(name).lower().replace(" ", "_").endswith(LABEL_SUFFIXES)


def _cell(name: Any, value: Any, tz: str | None) -> str:
    from ..analysis.format import hms

    if value is None or (not isinstance(value, (list, tuple, str)) and pd.isna(value)):
        return UNKNOWN
    if isinstance(value, (pd.Timedelta, dt.timedelta)):
        return hms(pd.Timedelta(value))
    if isinstance(value, pd.Timestamp):
        return f"{in_zone(value, tz):%Y-%m-%d %H:%M:%S}"
    if isinstance(value, (bool, np.bool_)):
        yes, no = FLAG_WORDS.get(str(name), ("yes", "no"))
        return yes if value else no
    if str(name) in SHARES and isinstance(value, (int, float, np.number)):
        return f"{float(value):.0%}"
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value) or float(value).is_integer():
            return f"{value:,.0f}"
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, (int, np.integer)):
        return str(int(value)) if _is_label(name) else f"{int(value):,}"
    text = str(value)
    return UNKNOWN if text in ("n/a", "<NA>", "nan", "NaT") else text
