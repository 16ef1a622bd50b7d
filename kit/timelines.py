"""One failure's timeline as a chart: the job try, its connection (built, last traffic, idle
teardown), the refused packet and the failure, on one UTC time axis (notebook 05)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure

from .analysis.format import hms

SIZE = (9.0, 4.2)


def _naive(t: pd.Timestamp) -> pd.Timestamp:
    return pd.Timestamp(t).tz_convert("UTC").tz_localize(None)


def failure_timeline(explained: pd.DataFrame, sessions: pd.DataFrame, *,
                     job_id: int | None = None) -> Figure:
    """The chain of one explained failure (the first explained one unless ``job_id`` is given).

    Parameters
    ----------
    explained : DataFrame
        ``kit.explain_failures`` output.
    sessions : DataFrame
        ``kit.sessions`` of the same case (the connection's Built, teardown and silence).
    job_id : int, optional
        The job to draw.

    Returns
    -------
    matplotlib.figure.Figure
    """
    missing = [c for c in ("explained", "teardown_conn_id", "teardown_device", "job_id")
               if c not in explained.columns]
    if missing:
        raise KeyError(f"expected kit.explain_failures output; it lacks {missing}")
    fig = Figure(figsize=SIZE, layout="constrained")
    ax = fig.subplots()
    rows = explained[explained["explained"].to_numpy(bool)]
    if job_id is not None:
        rows = rows[(rows["job_id"] == job_id).fillna(False).to_numpy(bool)]
    if rows.empty:
        ax.text(0.5, 0.5, "no explained failure to draw", transform=ax.transAxes,
                ha="center", va="center")
        return fig
    failure = rows.iloc[0]
    conn = sessions[(sessions["conn_id"] == failure["teardown_conn_id"]).fillna(False)
                    & (sessions["device"] == failure["teardown_device"]).fillna(False)].iloc[0]
    _draw(ax, failure, conn)
    return fig


def _draw(ax: Any, failure: pd.Series, conn: pd.Series) -> None:
    built, torn = _naive(conn["start"]), _naive(conn["end"])
    idle = conn["idle_before_teardown"]
    quiet = torn - idle if not pd.isna(idle) else None
    if not pd.isna(failure["try_started"]):
        start, end = _naive(failure["try_started"]), _naive(failure["try_ended"])
        ax.barh(1, end - start, left=start, height=0.4, color="tab:blue", alpha=0.35,
                label=f"job {failure['job_id']} try {failure['try_number']}")
    busy_until = quiet if quiet is not None else torn
    ax.barh(0, busy_until - built, left=built, height=0.4, color="tab:green",
            label="connection carrying traffic")
    if quiet is not None:
        ax.barh(0, torn - quiet, left=quiet, height=0.4, color="tab:orange", alpha=0.6,
                label=f"silent {hms(idle)} (the firewall's idle timeout)")
    ax.axvline(torn, color="tab:red", linewidth=2, label=f"idle teardown {torn:%H:%M:%S}")
    if not pd.isna(failure["resumed"]):
        resumed = _naive(failure["resumed"])
        ax.axvline(resumed, color="tab:purple", linestyle="--",
                   label=f"next packet refused {resumed:%H:%M:%S} (deny-no-connection)")
    failed = _naive(failure["time"])
    ax.axvline(failed, color="black", linestyle=":", linewidth=2,
               label=f"job failed {failed:%H:%M:%S}, status {failure['error_code']}")
    ax.set_yticks([0, 1], [f"conn {conn['conn_id']}\n{conn['service']}/{conn['service_port']}",
                           "job try"])
    ax.set_ylim(-0.6, 1.6)
    ax.set_xlabel(f"time (UTC) on {built:%Y-%m-%d}; teardown to failure {hms(failure['lag'])}")
    ax.set_title(f"{failure['peer']} ↔ {failure['host']}: the connection the job lost")
    ax.xaxis.set_major_formatter(DateFormatter("%H:%M"))
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), fontsize="small", ncols=2)
    ax.grid(axis="x", alpha=0.3)
