"""The kit's charts: one function per chart, each returns a matplotlib ``Figure``.

Figures are built with the object-oriented API (``matplotlib.figure.Figure``), never through
pyplot's global state, so they render under any backend (Agg in tests, inline in notebooks) and
never pop up a window. Every figure has a fixed size, a title and units on its axes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .analysis import Concurrency, host_at_risk
from .analysis.affected import endpoint_names
from .analysis.format import hms
from .analysis.frames import require_frame

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


def _hms_axis(ax: Any) -> None:
    """Label a log-seconds x axis with H:MM:SS as well (the firewall's own notation)."""
    ax.xaxis.set_major_formatter(FuncFormatter(
        lambda x, _: f"{x:g}\n{hms(pd.Timedelta(seconds=x))}" if x >= 1 else f"{x:g}"))


def _mark(ax: Any, at: pd.Timedelta | None, label: str, colour: str, style: str = "--") -> None:
    if at is not None and not pd.isna(at):
        seconds = pd.Timedelta(at).total_seconds()
        ax.axvline(seconds, color=colour, linestyle=style, linewidth=1.5,
                   label=f"{label} ({hms(at)})")


def _no_data(ax: Any, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what}", transform=ax.transAxes, ha="center", va="center")


def _close_class(sessions: pd.DataFrame) -> pd.Series:
    """The close class to colour by: still open, or closed without a reason (UDP teardowns)."""
    return sessions["close"].astype("string").fillna("no reason").where(~sessions["open"], "open")


def duration_histogram(sessions: pd.DataFrame, *, firewall_timeout: pd.Timedelta | None = None,
                       bins: int = 60) -> Figure:
    """Connection durations on a log time axis, stacked by close class.

    The firewall timeout and the 2-hour OS keepalive default are marked: idle-timeout teardowns
    pile up just right of the timeout. Durations under 1 s are drawn at 1 s. The count axis is
    logarithmic so that a handful of idle-timeout teardowns stays visible beside thousands of
    normal connections.
    """
    require_frame(sessions, "sessions", ("duration", "close", "open"),
                  caller="plots.duration_histogram")
    fig, ax = _figure()
    ax.set_title("Connection durations by how they closed")
    ax.set_xlabel("duration (seconds, log scale; H:MM:SS below)")
    ax.set_ylabel("connections (count, log scale)")
    seconds = np.clip(_seconds(sessions["duration"].fillna(pd.Timedelta(0))), 1, None)
    if len(seconds) == 0:
        _no_data(ax, "connections")
        return fig
    classes = _close_class(sessions).to_numpy()
    present = [c for c in CLOSE_COLOURS if (classes == c).any()]
    edges = np.logspace(0, np.log10(max(seconds.max(), 10)) + 0.05, bins)
    ax.hist([seconds[classes == c] for c in present], bins=edges, stacked=True,
            color=[CLOSE_COLOURS[c] for c in present],
            label=[f"{c} ({int((classes == c).sum())})" for c in present])
    ax.set_xscale("log")
    ax.set_yscale("log")
    _mark(ax, firewall_timeout, "firewall idle timeout", "black")
    _mark(ax, OS_DEFAULT_KEEPALIVE, "OS keepalive default", "gray", ":")
    _hms_axis(ax)
    ax.legend(fontsize="small", loc="upper left")
    return fig


def duration_ecdf(sessions: pd.DataFrame, *, top: int = 6,
                  firewall_timeout: pd.Timedelta | None = None) -> Figure:
    """The cumulative share of connections by duration, one line per service (the ``top``)."""
    require_frame(sessions, "sessions", ("duration", "open", "service"),
                  caller="plots.duration_ecdf")
    fig, ax = _figure()
    ax.set_title("Duration distribution per service (ECDF)")
    ax.set_xlabel("duration (seconds, log scale; H:MM:SS below)")
    ax.set_ylabel("share of connections at most this long")
    done = sessions.loc[~sessions["open"]]
    counts = done["service"].value_counts().head(top)
    if counts.empty:
        _no_data(ax, "closed connections")
        return fig
    for service, n in counts.items():
        seconds = np.clip(_seconds(done.loc[done["service"] == service, "duration"]), 1, None)
        ax.ecdf(seconds, label=f"{service} (n={n})")
    ax.set_xscale("log")
    _mark(ax, firewall_timeout, "firewall idle timeout", "black")
    _hms_axis(ax)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize="small", loc="upper left")
    return fig


def bytes_vs_duration(sessions: pd.DataFrame, *,
                      firewall_timeout: pd.Timedelta | None = None) -> Figure:
    """Bytes against duration (log-log): idle victims sit low and just right of the timeout."""
    require_frame(sessions, "sessions", ("duration", "bytes", "close", "open"),
                  caller="plots.bytes_vs_duration")
    fig, ax = _figure()
    ax.set_title("Bytes against duration")
    ax.set_xlabel("duration (seconds, log scale; H:MM:SS below)")
    ax.set_ylabel("bytes (both directions, log scale)")
    done = sessions.loc[~sessions["open"] & sessions["bytes"].notna()]
    if done.empty:
        _no_data(ax, "closed connections")
        return fig
    classes = _close_class(done).to_numpy()
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


def teardown_timeline(sessions: pd.DataFrame, *, top: int = 15) -> Figure:
    """When each host pair lost connections to the idle timeout (the ``top`` pairs)."""
    require_frame(sessions, "sessions", ("close", "end", "src_host", "src_ip", "dst_host", "dst_ip",
                                         "service"),
                  caller="plots.teardown_timeline")
    fig, ax = _figure()
    ax.set_title("Idle-timeout teardowns over time per host pair")
    ax.set_xlabel("time of teardown (UTC)")
    ax.set_ylabel("host pair : service")
    idle = sessions.loc[(sessions["close"] == "idle-timeout").fillna(False).to_numpy(bool)]
    if idle.empty:
        _no_data(ax, "idle-timeout teardowns")
        return fig
    pair = (endpoint_names(idle, "src") + " → " + endpoint_names(idle, "dst") + " : "
            + idle["service"].astype(str))
    order = pair.value_counts().head(top).index.tolist()[::-1]
    for y, label in enumerate(order):
        times = idle.loc[pair == label, "end"].dt.tz_convert("UTC").dt.tz_localize(None)
        ax.scatter(times.to_numpy(), np.full(len(times), y), marker="x", color="tab:red",
                   s=40, label=label)
    ax.set_yticks(range(len(order)), order, fontsize="small")
    ax.set_ylim(-0.5, len(order) - 0.5)
    ax.grid(axis="x", alpha=0.3)
    return fig


#: draw the capacity line only when it is at most this many times the peak
CAPACITY_IN_VIEW = 5


def concurrency_chart(today: Concurrency, remedy: Concurrency | None = None, *,
                      label: str = "under the remedy", capacity: int | None = None) -> Figure:
    """Open connections over time today and, if given, under a remedy (``kit.concurrency``)."""
    fig, ax = _figure()
    ax.set_title("Connections open in the firewall's table")
    ax.set_xlabel("time (UTC)")
    ax.set_ylabel("open connections (count)")
    drawn = False
    for conc, name, colour in ((today, "today", "tab:blue"), (remedy, label, "tab:red")):
        if conc is None or conc.open.empty:
            continue
        times = conc.open.index.tz_convert("UTC").tz_localize(None)
        ax.step(times, conc.open.to_numpy(), where="post", color=colour,
                label=f"{name}: peak {conc.peak}, mean {conc.mean:.1f}")
        drawn = True
    if not drawn:
        _no_data(ax, "connections")
        return fig
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
    names = frame["host"].astype(str).tolist()
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
    fig, axes = _figure(WIDE, ncols=3)
    fig.suptitle("Remedies compared on this case's connections")
    names = [str(n) for n in comparison.index]
    y = np.arange(len(names))
    panels = (
        ("prevented", "teardowns prevented (count)", "tab:green"),
        ("extra_packets_per_hour", "extra packets per hour", "tab:orange"),
        ("peak_connections_change", "peak open connections change (count)", "tab:red"),
    )
    for ax, (column, xlabel, colour) in zip(axes, panels, strict=True):
        ax.barh(y, comparison[column].to_numpy(dtype=float), color=colour)
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
