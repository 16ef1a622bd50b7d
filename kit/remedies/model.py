"""The remedy model: which idle-timeout teardowns each remedy prevents, and what it costs.

The model (shown in the notebook too):

* An idle-timeout teardown is prevented by ``keepalive`` when an endpoint host gets a keepalive
  time below the firewall timeout T and that side's socket uses SO_KEEPALIVE (socket evidence
  where the case has it, else the ``so_keepalive_ports``); by ``firewall-timeout`` when an
  endpoint's *current* keepalive time is below the new timeout T2 (its probes now arrive in time)
  and its socket uses SO_KEEPALIVE; by ``firewall-timeout-scoped`` the same on the scope ports
  only; by ``traffic-generation`` (heartbeat shorter than T) and ``dcd`` on the scope ports (DCD
  assumes both ends answer its probes).
* Packets: an exchange is a probe and its ACK (two 70 B frames). ``keepalive`` costs one exchange
  per keepalive time of the life of every TCP session of the changed hosts (an upper bound: it
  assumes they idle); ``traffic-generation`` one per heartbeat of every session on its ports;
  ``dcd`` two exchanges (one per end) each time a rescued session reaches the timeout;
  ``firewall-timeout`` none.
* Connection table: the sessions are replayed with the remedy applied. A prevented teardown's
  connection lives on for the rescued lifetime; under a longer timeout an idle-timeout victim
  that is not prevented lingers until T2 after its last activity (T2 - T longer), and a rescued
  one at least as long. Peak and mean come from ``kit.concurrency`` over the data's window.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..analysis.format import hms, small_share
from .assumptions import AssumptionError, Assumptions, as_assumptions
from .commands import has_dcd, what_to_change
from .context import Context, base_key, register_replay, resolve

REMEDIES = ("keepalive", "firewall-timeout", "firewall-timeout-scoped", "traffic-generation",
            "dcd")
#: the first row of the comparison: nothing changed, the numbers every remedy is measured against
BASELINE = "today"
COLUMNS = ("victims", "prevented", "prevented_share", "extra_packets_per_hour",
           "extra_bytes_per_hour", "peak_connections", "peak_connections_change",
           "mean_connections", "hosts_to_change", "devices_to_change", "scope",
           "sessions_in_scope", "caveats")
PACKETS_PER_EXCHANGE = 2


@dataclass
class Outcome:
    """One remedy applied to the case's sessions."""

    prevented: np.ndarray          # per session
    shift: pd.Series               # per session: how much later its table entry ends
    packets: float                 # extra packets over the whole window
    hosts_to_change: int
    devices_to_change: int
    scope: str
    in_scope: np.ndarray           # per session: reached by the change
    caveats: list[str]


def _covered(ctx: Context, src_k: pd.Series, dst_k: pd.Series, limit: pd.Timedelta) -> np.ndarray:
    src = (src_k < limit).fillna(False).to_numpy(dtype=bool) & ctx.src_so_keepalive
    dst = (dst_k < limit).fillna(False).to_numpy(dtype=bool) & ctx.dst_so_keepalive
    return src | dst


def _shift(ctx: Context, prevented: np.ndarray, linger: pd.Timedelta | None = None,
           linger_scope: np.ndarray | None = None) -> pd.Series:
    """Per session, how much later the firewall frees its entry under the remedy."""
    shift = pd.Series(pd.Timedelta(0), index=ctx.sessions.index)
    rescue = ctx.rescue.reindex(ctx.sessions.index)
    if linger is not None:
        lingering = ctx.victim & linger_scope
        shift[lingering] = linger
        rescue = rescue.where(rescue >= linger, linger)
    shift[prevented] = rescue[prevented]
    return shift


def _life(ctx: Context, shift: pd.Series) -> pd.Series:
    """Each session's time in the firewall's table within the window, under the remedy."""
    start = ctx.sessions["start"].clip(lower=ctx.window[0])
    end = (ctx.sessions["end"] + shift).clip(upper=ctx.window[1])
    return (end - start).clip(lower=pd.Timedelta(0))


def _exchanges(life: pd.Series, every: pd.Timedelta) -> pd.Series:
    return np.floor(life / every)


def _devices(ctx: Context) -> int:
    devices = ctx.sessions.loc[ctx.victim, "device"].dropna().unique()
    if len(devices) == 0:
        devices = ctx.sessions["device"].dropna().unique()
    return len(devices)


def _ports_text(ctx: Context) -> str:
    return ", ".join(str(p) for p in ctx.scope_ports) or "none"


def _keepalive(ctx: Context) -> Outcome:
    changed = list(ctx.changed_hosts)
    on_changed_src = ctx.src.isin(changed).fillna(False).to_numpy(dtype=bool)
    on_changed_dst = ctx.dst.isin(changed).fillna(False).to_numpy(dtype=bool)
    src_k = ctx.src_keepalive.where(~on_changed_src, ctx.keepalive)
    dst_k = ctx.dst_keepalive.where(~on_changed_dst, ctx.keepalive)
    prevented = ctx.victim & _covered(ctx, src_k, dst_k, ctx.firewall_timeout)
    shift = _shift(ctx, prevented)
    reached = ctx.tcp & (on_changed_src | on_changed_dst)
    packets = PACKETS_PER_EXCHANGE * _exchanges(_life(ctx, shift)[reached], ctx.keepalive).sum()
    caveats = ["Only sockets with SO_KEEPALIVE send probes; the packet cost assumes every TCP "
               "session of the changed hosts idles (an upper bound).",
               "Windows needs a reboot for KeepAliveTime to take effect."]
    if ctx.keepalive >= ctx.firewall_timeout:
        caveats.insert(0, f"The keepalive {hms(ctx.keepalive)} is not below the firewall "
                          f"timeout {hms(ctx.firewall_timeout)}: it cannot prevent a teardown.")
    return Outcome(prevented, shift, float(packets), len(changed), 0,
                   f"{len(changed)} at-risk hosts, all their TCP sessions", reached, caveats)


def _firewall(ctx: Context, scoped: bool) -> Outcome:
    ports = ctx.on_ports(ctx.scope_ports) if scoped else np.ones(len(ctx.sessions), bool)
    covered = _covered(ctx, ctx.src_keepalive, ctx.dst_keepalive, ctx.new_firewall_timeout)
    prevented = ctx.victim & ports & covered
    linger = ctx.new_firewall_timeout - ctx.firewall_timeout
    shift = _shift(ctx, prevented, linger, ports)
    where = f"ports {_ports_text(ctx)}" if scoped else "all traffic"
    caveats = [f"Idle and dead connections hold table entries {hms(ctx.new_firewall_timeout)} "
               f"instead of {hms(ctx.firewall_timeout)} after their last packet ({where})."]
    caveats.append("What to change: " + what_to_change(
        "firewall-timeout-scoped" if scoped else "firewall-timeout", ctx.sessions["vendor"],
        timeout=ctx.new_firewall_timeout, ports=ctx.scope_ports))
    if ctx.new_firewall_timeout <= ctx.firewall_timeout:
        caveats.insert(0, f"The new timeout {hms(ctx.new_firewall_timeout)} is not above the "
                          f"current {hms(ctx.firewall_timeout)}.")
    return Outcome(prevented, shift, 0.0, 0, _devices(ctx),
                   f"idle timeout {hms(ctx.new_firewall_timeout)} on {where}",
                   ctx.tcp & ports, caveats)


def _traffic_generation(ctx: Context) -> Outcome:
    ports = ctx.on_ports(ctx.scope_ports)
    beats = ctx.heartbeat < ctx.firewall_timeout
    prevented = ctx.victim & ports & beats
    shift = _shift(ctx, prevented)
    reached = ctx.tcp & ports
    packets = PACKETS_PER_EXCHANGE * _exchanges(_life(ctx, shift)[reached], ctx.heartbeat).sum()
    apps = pd.concat([ctx.sessions["src_host"][reached], ctx.sessions["dst_host"][reached]])
    caveats = ["Needs the application to send heartbeats on these connections; its payload "
               "is not counted (a minimal exchange is assumed).",
               "Works through proxies that end TCP, where OS keepalives would not."]
    if not beats:
        caveats.insert(0, f"The heartbeat {hms(ctx.heartbeat)} is not shorter than the firewall "
                          f"timeout {hms(ctx.firewall_timeout)}: it cannot prevent a teardown.")
    return Outcome(prevented, shift, float(packets), int(apps.dropna().nunique()), 0,
                   f"heartbeat every {hms(ctx.heartbeat)} on ports {_ports_text(ctx)}",
                   reached, caveats)


def _dcd(ctx: Context) -> Outcome:
    ports = ctx.on_ports(ctx.scope_ports) & has_dcd(ctx.sessions["vendor"])
    prevented = ctx.victim & ports
    shift = _shift(ctx, prevented)
    lived = ((ctx.sessions["end"] + shift).clip(upper=ctx.window[1]) - ctx.sessions["end"])
    rounds = 1 + np.floor(lived[prevented].clip(lower=pd.Timedelta(0)) / ctx.firewall_timeout)
    packets = 2 * PACKETS_PER_EXCHANGE * rounds.sum()
    caveats = ["Assumes both ends answer the firewall's probes (a host firewall or another "
               "stateful device on the path may not); dead connections are still removed.",
               "What to change: " + what_to_change("dcd", ctx.sessions["vendor"],
                                                   timeout=ctx.firewall_timeout,
                                                   ports=ctx.scope_ports)]
    return Outcome(prevented, shift, float(packets), 0, _devices(ctx),
                   f"dead-connection detection on ports {_ports_text(ctx)}",
                   ctx.tcp & ports, caveats)


_MODELS: dict[str, Callable[[Context], Outcome]] = {
    "keepalive": _keepalive,
    "firewall-timeout": lambda ctx: _firewall(ctx, scoped=False),
    "firewall-timeout-scoped": lambda ctx: _firewall(ctx, scoped=True),
    "traffic-generation": _traffic_generation,
    "dcd": _dcd,
}


#: the assumptions each remedy's row depends on beyond the slider-independent base
_DEPENDS: dict[str, tuple[str, ...]] = {
    "keepalive": ("keepalive",),
    "firewall-timeout": ("new_firewall_timeout",),
    "firewall-timeout-scoped": ("new_firewall_timeout",),
    "traffic-generation": ("heartbeat",),
    "dcd": (),
}


def _after(ctx: Context, shift: pd.Series) -> tuple[int, float]:
    """Peak and mean of the connection table with the remedy's ends moved: today's sweep with
    only the moved sessions' ends replaced (``kit.analysis.concurrency.Sweep.moved``)."""
    delta = shift.to_numpy(dtype="timedelta64[ns]").astype(np.int64)
    moved = np.flatnonzero(delta != 0)
    after = ctx.today_sweep.moved(ctx.start_ns[moved], ctx.end_ns[moved],
                                  ctx.end_ns[moved] + delta[moved])
    return after.peak()[0], after.mean()


def _row(ctx: Context, outcome: Outcome) -> dict[str, Any]:
    today = ctx.today
    after = _after(ctx, outcome.shift)
    victims = int(ctx.victim.sum())
    prevented = int(outcome.prevented.sum())
    per_hour = outcome.packets / ctx.hours if ctx.hours > 0 else 0.0
    caveats = list(outcome.caveats)
    if ctx.capacity:
        caveats.append(f"Peak {after[0]:,} is {small_share(after[0], ctx.capacity)} of the "
                       f"firewall's capacity ({ctx.capacity:,}).")
    return {
        "victims": victims, "prevented": prevented,
        "prevented_share": prevented / victims if victims else float("nan"),
        "extra_packets_per_hour": per_hour, "extra_bytes_per_hour": per_hour * ctx.frame_bytes,
        "peak_connections": after[0], "peak_connections_change": after[0] - today.peak,
        "mean_connections": after[1], "hosts_to_change": outcome.hosts_to_change,
        "devices_to_change": outcome.devices_to_change, "scope": outcome.scope,
        "sessions_in_scope": int(ctx.weight[outcome.in_scope].sum()),
        "caveats": " ".join(caveats),
    }


def _baseline(ctx: Context) -> dict[str, Any]:
    """The comparison's "today" row: no change, the same definitions as every remedy's row."""
    today, victims = ctx.today, int(ctx.victim.sum())
    return {
        "victims": victims, "prevented": 0, "prevented_share": 0.0 if victims else float("nan"),
        "extra_packets_per_hour": 0.0, "extra_bytes_per_hour": 0.0,
        "peak_connections": today.peak, "peak_connections_change": 0,
        "mean_connections": today.mean, "hosts_to_change": 0, "devices_to_change": 0,
        "scope": "no change", "sessions_in_scope": 0, "caveats": "",
    }


def _cached_row(case: Any, ctx: Context, a: Assumptions, name: str) -> dict[str, Any]:
    """A remedy's row, recomputed only when an assumption it depends on changed."""
    memo = getattr(case, "memo", None)
    key = ("remedy-row", name, base_key(a), *(getattr(ctx, d) for d in _DEPENDS[name]))
    if memo is not None and key in memo:
        return memo[key]
    row = _row(ctx, _MODELS[name](ctx))
    if memo is not None:
        memo[key] = row
    return row


def compare_remedies(case: Any, assumptions: Assumptions | None = None, *,
                     firewall_timeout: Any = None, keepalive: Any = None,
                     new_firewall_timeout: Any = None, heartbeat: Any = None,
                     scope_ports: Any = None, so_keepalive_ports: Any = None,
                     rescued_lifetime: Any = None) -> pd.DataFrame:
    """Compare the remedies on the case's own connections (the model: this module's docstring).

    Parameters
    ----------
    case : kit.Case
    assumptions : kit.Assumptions, optional
        Every assumption in one typed value (see ``kit.Assumptions`` for each field and its
        default); the keyword arguments below override its fields one by one. Durations follow
        the kit's grammar (``kit.units``): ``keepalive=900`` is 900 seconds.
    firewall_timeout, keepalive, new_firewall_timeout, heartbeat : duration, optional
        As the fields of ``kit.Assumptions``; None keeps the field's value.
    scope_ports, so_keepalive_ports : list of int, optional
        As the fields of ``kit.Assumptions``; None keeps the field's value.
    rescued_lifetime : duration, optional
        As the fields of ``kit.Assumptions``; None keeps the field's value.

    Returns
    -------
    DataFrame
        Indexed by remedy: ``BASELINE`` ("today", nothing changed) then ``REMEDIES``; columns
        ``COLUMNS``. ``attrs["resolved"]`` is the
        ``kit.Assumptions`` used, every default filled in; ``attrs["assumptions"]`` maps each
        resolved input to ``{"value": ..., "why": sentence}`` (for display);
        ``attrs["today"]`` holds today's peak and mean and the window's hours.

    Notes
    -----
    The slider-independent part (sessions, victims, rescued lifetimes, today's connection table)
    is computed once per case, and each remedy's row only when an assumption it depends on
    changes, so a what-if move recomputes one or two rows.
    """
    a = as_assumptions(assumptions, firewall_timeout=firewall_timeout, keepalive=keepalive,
                       new_firewall_timeout=new_firewall_timeout, heartbeat=heartbeat,
                       scope_ports=scope_ports, so_keepalive_ports=so_keepalive_ports,
                       rescued_lifetime=rescued_lifetime)
    ctx = resolve(case, a)
    rows = {BASELINE: _baseline(ctx)}
    rows.update({name: _cached_row(case, ctx, a, name) for name in _MODELS})
    table = pd.DataFrame.from_dict(rows, orient="index").loc[:, list(COLUMNS)]
    table.index.name = "remedy"
    table.attrs["assumptions"] = ctx.assumptions
    table.attrs["resolved"] = a.replace(
        firewall_timeout=ctx.firewall_timeout, new_firewall_timeout=ctx.new_firewall_timeout,
        heartbeat=ctx.heartbeat, scope_ports=ctx.scope_ports)
    table.attrs["today"] = {"peak": ctx.today.peak, "mean": ctx.today.mean, "hours": ctx.hours,
                            "victims": int(ctx.victim.sum())}
    return table


def replay_remedy(case: Any, remedy: str, assumptions: Assumptions | None = None,
                  **overrides: Any) -> pd.DataFrame:
    """The case's sessions with ``end`` moved as under ``remedy`` (for the concurrency chart).

    Takes the same assumptions as ``compare_remedies`` (a ``kit.Assumptions`` and/or its fields
    as keywords); adds a ``prevented`` column.
    """
    if remedy not in _MODELS:
        raise AssumptionError(f"unknown remedy {remedy!r}; expected one of {list(_MODELS)}")
    ctx = resolve(case, as_assumptions(assumptions, **overrides))
    outcome = _MODELS[remedy](ctx)
    out = ctx.sessions.copy()
    out["end"] = out["end"] + outcome.shift
    out["prevented"] = outcome.prevented
    register_replay(case, ctx, out, outcome.shift)  # a Dask case: its table covers every session
    return out
