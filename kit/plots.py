"""The kit's charts: one function per chart, each returns a matplotlib ``Figure``.

Figures are built with the object-oriented API (``matplotlib.figure.Figure``), never through
pyplot's global state, so they render under any backend (Agg in tests, inline in notebooks) and
never pop up a window. Every figure has a fixed size, a title and units on its axes. Text from
the data (host, service, remedy names) goes through ``_plain``: matplotlib would read ``$...$`` in
it as math. Duration axes tick at round durations; times are shown in the case's ``display_tz``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator, PercentFormatter

from .analysis import Concurrency, host_at_risk
from .analysis.affected import endpoint_names
from .analysis.format import hms
from .analysis.frames import require_frame
from .case.facts import close_class, duration_tally, histogram_of, whole_facts
from .findings.text import plural
from .report.display import zone_label, zone_of

SIZE = (9.0, 4.5)
WIDE = (13.0, 4.5)
#: the RFC 1122 / OS default keepalive time every OS ships (domain.md §C1)
OS_DEFAULT_KEEPALIVE = pd.Timedelta(hours=2)
CLOSE_COLOURS = {
    "idle-timeout": "tab:red", "fin": "tab:blue", "reset": "tab:orange",
    "syn-timeout": "tab:purple", "half-closed-timeout": "tab:brown", "policy": "tab:pink",
    "other": "tab:gray", "no reason": "tab:cyan", "open": "tab:olive",
}
RISK_COLOURS = {True: "tab:red", False: "tab:green"}


def _figure(size: tuple[float, float] = SIZE, ncols: int = 1):
    fig = Figure(figsize=size, layout="constrained")
    axes = fig.subplots(1, ncols)
    return fig, axes


def _seconds(values: pd.Series) -> np.ndarray:
    return values.dt.total_seconds().to_numpy(dtype=float)


#: where a log duration axis ticks: durations people name (1 s, 1 min, 15 min, 1 h, 1 day ...)
ROUND_SECONDS = (1, 10, 60, 300, 900, 1800, 3600, 7200, 4 * 3600, 8 * 3600, 86400, 2 * 86400,
                 7 * 86400, 30 * 86400)


def _plain(text: object) -> str:
    """Text from the data, shown as written: a ``$`` would start matplotlib math text."""
    return str(text).replace("$", r"\$")


def _hms_axis(ax: Any) -> None:
    """Tick a log-seconds x axis at round durations, labelled H:MM:SS (the firewall's notation).

    Between 1 s and the data's end at most about eight ticks, thinned evenly when there are more.
    """
    low, high = ax.get_xlim()
    ticks = [t for t in ROUND_SECONDS if max(low, 1) <= t <= high]
    ticks = ticks[:: max(1, -(-len(ticks) // 8))]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: hms(pd.Timedelta(seconds=x))))


def _zone_name(tz: str | None, times: Any) -> str:
    first = None if times is None else pd.Series(times).dropna()
    return zone_label(tz, first.iloc[0] if first is not None and len(first) else None)


def _mark(ax: Any, at: pd.Timedelta | None, label: str, colour: str, style: str = "--") -> None:
    if at is not None and not pd.isna(at):
        seconds = pd.Timedelta(at).total_seconds()
        ax.axvline(seconds, color=colour, linestyle=style, linewidth=1.5,
                   label=f"{label} ({hms(at)})")


def _no_data(ax: Any, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what}", transform=ax.transAxes, ha="center", va="center")


def duration_histogram(sessions: pd.DataFrame, *,
                       firewall_timeout: pd.Timedelta | None = None) -> Figure:
    """Connection durations on a log time axis (20 bins a decade), stacked by close class.

    The firewall timeout and the 2-hour OS keepalive default are marked: idle-timeout teardowns
    pile up just right of the timeout. Durations under 1 s are drawn at 1 s. The count axis is
    logarithmic so that a handful of idle-timeout teardowns stays visible beside thousands of
    normal connections. Given the sessions of a case computed on Dask (``case.sessions``, which
    holds only the longer sessions), it draws every session from the case's duration tally.
    """
    require_frame(sessions, "sessions", ("duration", "close", "open"),
                  caller="plots.duration_histogram")
    fig, ax = _figure()
    ax.set_title("Connection durations by how they closed")
    ax.set_xlabel("duration (H:MM:SS, log scale)")
    ax.set_ylabel("connections (count, log scale)")
    whole = whole_facts(sessions)
    counts = (whole.duration_histogram if whole is not None and
              whole.duration_histogram is not None else histogram_of(duration_tally(sessions)))
    if counts.empty:
        _no_data(ax, "connections")
        return fig
    present = [c for c in CLOSE_COLOURS if (counts["close"] == c).any()]
    rows = [counts.loc[(counts["close"] == c).to_numpy()] for c in present]
    edges = np.union1d(counts["left"], counts["right"])
    edges = np.geomspace(edges[0], edges[-1], round(np.log10(edges[-1] / edges[0]) * 20) + 1)
    ax.hist([np.sqrt(r["left"] * r["right"]).to_numpy() for r in rows], bins=edges,
            weights=[r["sessions"].to_numpy() for r in rows], stacked=True,
            color=[CLOSE_COLOURS[c] for c in present],
            label=[f"{c} ({int(r['sessions'].sum())})" for c, r in zip(present, rows,
                                                                        strict=True)])
    ax.set_xscale("log")
    ax.set_yscale("log")
    _mark(ax, firewall_timeout, "firewall idle timeout", "black")
    _mark(ax, OS_DEFAULT_KEEPALIVE, "OS keepalive default", "gray", ":")
    _hms_axis(ax)
    ax.legend(fontsize="small", loc="upper left")
    return fig


def chart_services(sessions: pd.DataFrame, top: int = 6) -> list[str]:
    """The services a per-service chart shows: those with idle-timeout teardowns first (most
    first), then the busiest others, ``top`` in all."""
    done = sessions.loc[~sessions["open"]]
    idle = done.loc[(done["close"] == "idle-timeout").fillna(False).to_numpy(dtype=bool)]
    torn = idle["service"].dropna().astype(str).value_counts()
    total = done["service"].dropna().astype(str).value_counts()
    hit = sorted(torn.index, key=lambda s: (-torn[s], -total[s], s))
    busy = sorted(total.index, key=lambda s: (-total[s], s))
    return [*hit, *(s for s in busy if s not in torn.index)][:max(top, len(hit))]


def duration_ecdf(sessions: pd.DataFrame, *, top: int = 6,
                  firewall_timeout: pd.Timedelta | None = None) -> Figure:
    """The cumulative share of connections by duration, one line per service: the services with
    idle-timeout teardowns first, then the busiest (``chart_services``)."""
    require_frame(sessions, "sessions", ("duration", "open", "service"),
                  caller="plots.duration_ecdf")
    fig, ax = _figure()
    ax.set_title("Duration distribution per service (ECDF)")
    ax.set_xlabel("duration (H:MM:SS, log scale)")
    ax.set_ylabel("connections at most this long (%)")
    done = sessions.loc[~sessions["open"]]
    shown = chart_services(sessions, top)
    if not shown:
        _no_data(ax, "closed connections")
        return fig
    names = done["service"].astype("string")
    idle = (done["close"] == "idle-timeout").fillna(False).to_numpy(dtype=bool)
    for service in shown:
        pick = (names == service).fillna(False).to_numpy(dtype=bool)
        seconds = np.clip(_seconds(done.loc[pick, "duration"]), 1, None)
        torn = int((pick & idle).sum())
        extra = f", {plural(torn, 'idle teardown')}" if torn else ""
        ax.ecdf(seconds, label=_plain(f"{service} (n={int(pick.sum())}{extra})"))
    ax.set_xscale("log")
    _mark(ax, firewall_timeout, "firewall idle timeout", "black")
    _hms_axis(ax)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.legend(fontsize="small", loc="upper left")
    return fig


def bytes_vs_duration(sessions: pd.DataFrame, *,
                      firewall_timeout: pd.Timedelta | None = None) -> Figure:
    """Bytes against duration (log-log): idle victims sit low and just right of the timeout."""
    require_frame(sessions, "sessions", ("duration", "bytes", "close", "open"),
                  caller="plots.bytes_vs_duration")
    fig, ax = _figure()
    ax.set_title("Bytes against duration")
    ax.set_xlabel("duration (H:MM:SS, log scale)")
    ax.set_ylabel("bytes (both directions, log scale)")
    done = sessions.loc[~sessions["open"] & sessions["bytes"].notna()]
    if done.empty:
        _no_data(ax, "closed connections")
        return fig
    classes = close_class(done).to_numpy()
    seconds = np.clip(_seconds(done["duration"]), 1, None)
    nbytes = np.clip(done["bytes"].to_numpy(dtype=float), 1, None)
    for c in [c for c in CLOSE_COLOURS if (classes == c).any()]:
        pick = classes == c
        ax.scatter(seconds[pick], nbytes[pick], s=12 if c != "idle-timeout" else 28,
                   color=CLOSE_COLOURS[c], alpha=0.6 if c != "idle-timeout" else 0.9,
                   marker="x" if c == "idle-timeout" else "o", label=f"{c} ({int(pick.sum())})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    _mark(ax, firewall_timeout, "firewall idle timeout", "black")
    _hms_axis(ax)
    ax.legend(fontsize="small", loc="upper left")
    return fig


def teardown_timeline(sessions: pd.DataFrame, *, top: int = 15, tz: str | None = None) -> Figure:
    """When each host pair lost connections to the idle timeout (the ``top`` pairs), in the
    zone ``tz`` (the case's ``display_tz``; default UTC)."""
    require_frame(sessions, "sessions", ("close", "end", "src_host", "src_ip", "dst_host", "dst_ip",
                                         "service"),
                  caller="plots.teardown_timeline")
    fig, ax = _figure()
    ax.set_title("Idle-timeout teardowns over time per host pair")
    ax.set_xlabel(f"time of teardown ({_zone_name(tz, sessions.get('end'))})")
    ax.set_ylabel("host pair : service")
    idle = sessions.loc[(sessions["close"] == "idle-timeout").fillna(False).to_numpy(bool)]
    if idle.empty:
        _no_data(ax, "idle-timeout teardowns")
        return fig
    pair = (endpoint_names(idle, "src") + " → " + endpoint_names(idle, "dst") + " : "
            + idle["service"].astype(str))
    order = pair.value_counts().head(top).index.tolist()[::-1]
    for y, label in enumerate(order):
        times = idle.loc[pair == label, "end"].dt.tz_convert(zone_of(tz)).dt.tz_localize(None)
        ax.scatter(times.to_numpy(), np.full(len(times), y), marker="x", color="tab:red",
                   s=40, label=label)
    ax.set_yticks(range(len(order)), [_plain(o) for o in order], fontsize="small")
    ax.set_ylim(-0.5, len(order) - 0.5)
    ax.grid(axis="x", alpha=0.3)
    return fig


#: draw the capacity line only when it is at most this many times the peak
CAPACITY_IN_VIEW = 5


def concurrency_chart(today: Concurrency, remedy: Concurrency | None = None, *,
                      label: str = "under the remedy", capacity: int | None = None,
                      tz: str | None = None) -> Figure:
    """Open connections over time today and, if given, under a remedy (``kit.concurrency``),
    over the log's own span (today's window), in the zone ``tz`` (default UTC)."""
    fig, ax = _figure()
    ax.set_title("Connections open in the firewall's table")
    ax.set_xlabel(f"time ({_zone_name(tz, today.open.index.to_series())})")
    ax.set_ylabel("open connections (count)")
    drawn = False
    for conc, name, colour in ((today, "today", "tab:blue"), (remedy, label, "tab:red")):
        if conc is None or conc.open.empty:
            continue
        times = conc.open.index.tz_convert(zone_of(tz)).tz_localize(None)
        ax.step(times, conc.open.to_numpy(), where="post", color=colour,
                label=_plain(f"{name}: peak {conc.peak}, mean {conc.mean:.1f}"))
        drawn = True
    if not drawn:
        _no_data(ax, "connections")
        return fig
    if today.window is not None:  # the log's span, not the start of a connection before it
        ax.set_xlim(*(t.tz_convert(zone_of(tz)).tz_localize(None) for t in today.window))
    if capacity:
        peak = max(c.peak for c in (today, remedy) if c is not None)
        if capacity <= CAPACITY_IN_VIEW * max(peak, 1):
            ax.axhline(capacity, color="black", linestyle="--", label=f"capacity ({capacity:,})")
        else:  # a line far above the data would flatten it: state the share instead
            ax.plot([], [], " ", label=f"capacity {capacity:,}: peak is "
                                       f"{peak / capacity:.2%} of it")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize="small", loc="upper left")
    return fig


def keepalive_chart(hosts: pd.DataFrame, firewall_timeout: pd.Timedelta) -> Figure:
    """Each host's keepalive time against the firewall timeout; at-risk hosts in red."""
    require_frame(hosts, "hosts", ("host", "keepalive_time"), caller="plots.keepalive_chart")
    fig, ax = _figure()
    ax.set_title(f"Host keepalive time against the firewall timeout ({hms(firewall_timeout)})")
    ax.set_xlabel("keepalive time before the first probe (minutes)")
    ax.set_ylabel("host")
    if hosts.empty:
        _no_data(ax, "keepalive exports")
        return fig
    risk = host_at_risk(hosts, firewall_timeout)
    frame = hosts.drop_duplicates("host").sort_values("keepalive_time")
    minutes = frame["keepalive_time"].dt.total_seconds().to_numpy(dtype=float) / 60
    at_risk = frame["host"].astype(str).map(risk).fillna(False).to_numpy(dtype=bool)
    names = [_plain(n) for n in frame["host"].astype(str)]
    for flag, text in ((True, "at risk"), (False, "probes in time")):
        pick = at_risk == flag
        if pick.any():
            ax.barh(np.flatnonzero(pick), minutes[pick], color=RISK_COLOURS[flag],
                    label=f"{text} ({int(pick.sum())})")
    ax.set_yticks(range(len(names)), names, fontsize="small")
    ax.axvline(pd.Timedelta(firewall_timeout).total_seconds() / 60, color="black",
               linestyle="--", label=f"firewall idle timeout ({hms(firewall_timeout)})")
    ax.legend(fontsize="small", loc="lower right")
    return fig


def remedy_chart(comparison: pd.DataFrame) -> Figure:
    """The remedies side by side: teardowns prevented, packets added, table peak change."""
    comparison = comparison.drop(index="today", errors="ignore")  # the baseline: all zero
    fig, axes = _figure(WIDE, ncols=3)
    fig.suptitle("Remedies compared on this case's connections")
    names = [_plain(n) for n in comparison.index]
    y = np.arange(len(names))
    panels = (
        ("prevented", "teardowns prevented (count)", "tab:green"),
        ("extra_packets_per_hour", "extra packets per hour", "tab:orange"),
        ("peak_connections_change", "peak open connections change (count)", "tab:red"),
    )
    for ax, (column, xlabel, colour) in zip(axes, panels, strict=True):
        values = comparison[column].to_numpy(dtype=float)
        ax.barh(y, values, color=colour)
        if len(values) and not np.nan_to_num(values).any():  # say it rather than show nothing
            ax.text(0.5, 0.5, "0 for every remedy", transform=ax.transAxes, ha="center",
                    va="center")
        ax.set_title(column.replace("_", " "))
        ax.set_xlabel(xlabel)
        ax.set_yticks(y, names if ax is axes[0] else [""] * len(names), fontsize="small")
        ax.invert_yaxis()
    axes[0].set_ylabel("remedy")
    if len(comparison):
        victims = int(comparison["victims"].max())
        axes[0].axvline(victims, color="black", linestyle="--", label=f"victims ({victims})")
        axes[0].legend(fontsize="small", loc="lower right")
    return fig
