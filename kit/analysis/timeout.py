"""Infer the firewall's idle timeout from the durations of its idle-timeout teardowns.

An idle teardown lasts the timeout plus the connection's active time, so the durations pile up
just above the timeout: the timeout is the lower edge of that pile (domain.md §0). A few shorter
teardowns (another class's timeout, accelerated aging, a misread line) sit below the edge,
separated by a gap, and are set aside. The edge overstates the timeout by the shortest active
time (seconds to minutes), and timeouts are configured in whole minutes in practice, so the
estimate is the edge rounded down to the minute: conservative for judging keepalives.

Some vendors report the wait itself: a PAN-OS session's ``idle_wait`` (Generated - Start -
Elapsed, evidence-sources.md §3.6) is the timeout that fired. Where a device's idle teardowns
carry it, the estimate comes from it instead: the wait most service ports share is the global
timeout, and a port whose teardowns waited another constant has an application- or
service-specific timeout (``by_port``). ``method`` says which evidence was used.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from .format import hms
from .frames import require_frame
from .sessions import idle_teardowns, is_case

#: a teardown counts as "at the edge" within this of the edge (or 2 % of it, if larger)
EDGE_WINDOW = 60
#: reject at most this share of the teardowns as low outliers
MAX_OUTLIER_SHARE = 0.10
#: idle waits within this of each other are one timeout (the device logs -1 to +2 s late)
WAIT_TOLERANCE = 5
DURATION, IDLE_WAIT = "duration pile-up", "idle_wait"


@dataclass(frozen=True)
class TimeoutEstimate:
    """The inferred idle timeout with its evidence.

    ``value`` is None when there is no evidence. ``edge`` is the shortest teardown of the
    cluster (the timeout is at most that), ``value`` the edge rounded down to the minute. ``n``
    counts the teardowns used, ``outliers`` those set aside below the edge, ``spread`` is the
    interquartile range of the used durations. ``by_device`` holds one estimate per device when
    the data has several.
    """

    value: pd.Timedelta | None
    n: int
    spread: pd.Timedelta | None
    confidence: str
    explanation: str
    device: str | None = None
    outliers: int = 0
    edge: pd.Timedelta | None = None
    by_device: dict[str, TimeoutEstimate] = field(default_factory=dict)
    #: which evidence: ``"duration pile-up"`` (Cisco and most vendors) or ``"idle_wait"``
    method: str = DURATION
    #: service port -> its own timeout, where it differs from ``value`` (idle_wait evidence)
    by_port: dict[int, pd.Timedelta] = field(default_factory=dict)
    #: the frame's ``vendor`` values behind the estimate: the sentences name their commands
    vendors: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.explanation


def _edge_index(secs: np.ndarray) -> int:
    """How many of the sorted durations lie below the cluster, set apart by a clear gap."""
    n = len(secs)
    if n < 3:
        return 0
    limit = max(1, int(n * MAX_OUTLIER_SHARE))
    best = 0
    for i in range(1, limit + 1):
        if n - i < 2:
            break
        ahead = np.diff(secs[i:i + 11])
        typical = float(np.median(ahead)) if len(ahead) else 0.0
        gap = secs[i] - secs[i - 1]
        if gap > max(EDGE_WINDOW, 0.02 * secs[i], 10 * typical):
            best = i
    return best


def _vendors(frame: pd.DataFrame) -> tuple[str, ...]:
    """The ``vendor`` values present in ``frame`` (none when it has no such column)."""
    if "vendor" not in frame.columns:
        return ()
    return tuple(sorted(str(v) for v in frame["vendor"].dropna().unique()))


def _estimate(idle: pd.DataFrame, device: str | None,
              vendors: tuple[str, ...] = ()) -> TimeoutEstimate:
    """One device's estimate: from the idle waits where its teardowns report them."""
    vendors = _vendors(idle) or vendors
    if "idle_wait" in idle.columns:
        waited = idle.loc[idle["idle_wait"].notna().to_numpy(dtype=bool)]
        if len(waited):
            return _from_idle_wait(waited, device, vendors)
    estimate = _from_durations(idle["duration"], device)
    from ..remedies.commands import duration_caveats  # remedies import us

    caveat = duration_caveats(vendors) if estimate.value is not None else ""
    explanation = estimate.explanation + (f" Note: {caveat}." if caveat else "")
    return replace(estimate, vendors=vendors, explanation=explanation)


def _from_idle_wait(idle: pd.DataFrame, device: str | None,
                    vendors: tuple[str, ...]) -> TimeoutEstimate:
    """The global timeout is the wait most service ports share (then: most teardowns, then
    the shorter); ports whose median wait differs by more than ``WAIT_TOLERANCE`` have their
    own timeout."""
    where = f" on {device}" if device else ""
    wait = np.round(idle["idle_wait"].dt.total_seconds().to_numpy()).astype(np.int64)
    port = idle["dst_port"].fillna(0).to_numpy(dtype=np.int64)
    ports = np.unique(port)
    median = {int(p): int(np.median(wait[port == p])) for p in ports}
    count = {int(p): int(np.sum(port == p)) for p in ports}
    groups: dict[int, list[int]] = {}
    for p in sorted(median, key=lambda q: (median[q], q)):
        home = next((g for g in groups if abs(g - median[p]) <= WAIT_TOLERANCE), median[p])
        groups.setdefault(home, []).append(p)
    best = min(groups, key=lambda g: (-len(groups[g]), -sum(count[p] for p in groups[g]), g))
    members = groups[best]
    used = np.isin(port, members)
    value = pd.Timedelta(seconds=int(np.median(wait[used])))
    q1, q3 = np.percentile(wait[used], [25, 75])
    n = int(used.sum())
    confidence = "high" if n >= 10 else "medium" if n >= 3 else "low"
    by_port = {p: pd.Timedelta(seconds=median[p]) for g, ps in groups.items() if g != best
               for p in ps}
    from ..remedies.commands import FAMILIES, families, per_family  # remedies import us

    scope = per_family(vendors, lambda f: f.scoped, joiner=" or ")
    others = "; ".join(f"port {p} waited {hms(t)} ({count[p]} teardown"
                       f"{'s' if count[p] != 1 else ''}): a timeout of its own, {scope}"
                       for p, t in sorted(by_port.items()))
    shared = ", ".join(str(p) for p in members)
    source = ", ".join(f"{FAMILIES[f].product} {FAMILIES[f].idle_wait}"
                       for f in families(vendors) if FAMILIES[f].idle_wait) or "duration - active"
    explanation = (
        f"{len(idle)} idle-timeout teardown{'s' if len(idle) != 1 else ''}{where} report how "
        f"long the firewall waited after their last packet ({source}): {n} on "
        f"port{'s' if len(members) > 1 else ''} {shared} waited {hms(value)}"
        f", the global idle timeout (confidence {confidence})"
        + (f"; {others}." if others else "."))
    return TimeoutEstimate(value, n, pd.Timedelta(seconds=float(q3 - q1)), confidence,
                           explanation, device=device, edge=value, method=IDLE_WAIT,
                           by_port=by_port, vendors=vendors)


def _from_durations(durations: pd.Series, device: str | None) -> TimeoutEstimate:
    where = f" on {device}" if device else ""
    secs = np.sort(np.floor(durations.dropna().dt.total_seconds().to_numpy()).astype(np.int64))
    if len(secs) == 0:
        return TimeoutEstimate(
            None, 0, None, "none",
            f"No idle-timeout teardowns{where}: there is no evidence of the firewall's idle "
            "timeout in this data, so it cannot be inferred (state it in case.toml).",
            device=device)
    low = _edge_index(secs)
    kept = secs[low:]
    edge = int(kept[0])
    window = max(EDGE_WINDOW, int(0.02 * edge))
    at_edge = int(np.sum(kept <= edge + window))
    q1, median, q3 = np.percentile(kept, [25, 50, 75])
    n = len(kept)
    if n >= 10 and at_edge >= 3:
        confidence = "high"
    elif n >= 3 and at_edge >= 2:
        confidence = "medium"
    else:
        confidence = "low"
    lower = pd.Timedelta(seconds=edge)
    value = pd.Timedelta(minutes=edge // 60)
    ignored = f"; {low} shorter outlier{'s' if low > 1 else ''} ignored" if low else ""
    explanation = (
        f"{n} idle-timeout teardown{'s' if n != 1 else ''}{where} lasted at least {hms(lower)} "
        f"(median {hms(pd.Timedelta(seconds=float(median)))}), {at_edge} of them within "
        f"{hms(pd.Timedelta(seconds=window))} of that edge{ignored}, so the idle timeout is at "
        f"most {hms(lower)}: about {hms(value)} in whole minutes (confidence {confidence}).")
    return TimeoutEstimate(value, n, pd.Timedelta(seconds=float(q3 - q1)), confidence,
                           explanation, device=device, outliers=low, edge=lower)


def infer_idle_timeout(connections: Any, *, device: str | None = None) -> TimeoutEstimate:
    """Infer the idle timeout T from the idle-timeout teardowns' durations.

    Parameters
    ----------
    connections : DataFrame or Case
        Connection events or sessions (anything with ``close`` and ``duration``).
    device : str, optional
        Only this device's teardowns. Without it, each device is estimated on its own
        (``by_device``) and ``value`` is the shortest of them: the one a keepalive must beat.

    Returns
    -------
    TimeoutEstimate
        The lower edge of the cluster of idle-teardown durations (TCP only), or where the
        vendor reports each session's idle wait (PAN-OS) the wait most ports share, with
        ``by_port`` holding ports with their own timeout; the number of teardowns used, their
        spread, a confidence (high / medium / low / none), ``method`` and a sentence saying
        why; ``value`` is None when there is no evidence.
    """
    idle = idle_teardowns(connections)
    require_frame(idle, "sessions", ("duration", "device"), caller="kit.infer_idle_timeout")
    everything = connections.connections if is_case(connections) else connections
    vendors = _vendors(everything) if isinstance(everything, pd.DataFrame) else ()
    if "protocol" in idle.columns:
        idle = idle.loc[(idle["protocol"] == "tcp").fillna(False).to_numpy(dtype=bool)]
    if device is not None:
        return _estimate(idle.loc[(idle["device"] == device).fillna(False)], device, vendors)
    devices = sorted(idle["device"].dropna().unique().tolist()) if len(idle) else []
    if len(devices) <= 1:
        return _estimate(idle, devices[0] if devices else None, vendors)
    per = {d: _estimate(idle.loc[(idle["device"] == d).fillna(False)], d, vendors)
           for d in devices}
    evidence = [e for e in per.values() if e.value is not None]
    if len(evidence) <= 1:
        return evidence[0] if evidence else _estimate(idle, None, vendors)
    confident = [e for e in evidence if e.confidence in ("high", "medium")] or evidence
    reference = min(confident, key=lambda e: e.value)
    # Few teardowns only bound a device's timeout from above (the edge): they contradict the
    # others only when that bound lies below the best-supported estimate.
    differ = (len({e.value for e in confident}) > 1
              or any(e.edge < reference.value for e in evidence))
    chosen = min(evidence, key=lambda e: e.value) if differ else reference
    listing = ", ".join(f"{d} {hms(e.value)} (n={e.n}, {e.confidence})" for d, e in per.items())
    total = sum(e.n for e in per.values())
    if differ:
        explanation = (
            f"{total} idle-timeout teardowns on {len(per)} devices: the estimates differ "
            f"({listing}); each is at most the device's shortest teardown, and the shortest, "
            f"{hms(chosen.value)} on {chosen.device}, is the one a keepalive must beat.")
    else:
        explanation = (
            f"{total} idle-timeout teardowns on {len(per)} devices ({listing}): consistent with "
            f"one idle timeout of about {hms(chosen.value)}, best supported on {chosen.device}.")
    return TimeoutEstimate(chosen.value, total, chosen.spread, chosen.confidence,
                           explanation, device=None,
                           outliers=sum(e.outliers for e in per.values()), edge=chosen.edge,
                           by_device=per, method=chosen.method, by_port=chosen.by_port,
                           vendors=vendors)


@dataclass(frozen=True)
class CaseTimeout:
    """The one firewall idle timeout in force, by one precedence rule: stated in case.toml >
    inferred from the data > none (``kit.Case.timeout``).

    ``value`` is the timeout every table, Finding and chart uses (None when neither is known),
    ``source`` says where it came from (``"case.toml"``, ``"inferred"`` or ``"none"``),
    ``stated`` is case.toml's value and ``estimate`` the inference with its evidence;
    ``disagrees`` is True when both exist and the data's edge lies more than ``EDGE_WINDOW``
    seconds (or 2 %) from the stated value.
    """

    value: pd.Timedelta | None
    source: str
    stated: pd.Timedelta | None
    estimate: TimeoutEstimate

    @property
    def disagrees(self) -> bool:
        if self.stated is None or self.estimate.value is None:
            return False
        tolerance = max(pd.Timedelta(seconds=EDGE_WINDOW), 0.02 * self.stated)
        return abs(self.estimate.value - self.stated) > tolerance

    @property
    def label(self) -> str:
        """``1:00:00 (case.toml)``: the value and where it came from, for table cells."""
        return "unknown" if self.value is None else f"{hms(self.value)} ({self.source})"

    @property
    def explanation(self) -> str:
        """The timeout in force in one or two sentences, with the evidence and any disagreement."""
        from ..remedies.commands import per_family, timeout_check  # the vendors' commands

        stated, estimate = self.stated, self.estimate
        if stated is None and estimate.value is None:
            shown = per_family(estimate.vendors, lambda f: f.show_timeout)
            return ("The firewall idle timeout is neither stated in case.toml nor visible in the "
                    "data (no idle-timeout teardowns); set [firewall] idle_timeout from "
                    f"{shown}.")
        if stated is None:
            return (f"The firewall idle timeout is not stated in case.toml; inferred from the "
                    f"data: {hms(estimate.value)}. {estimate.explanation}")
        if estimate.value is None:
            return (f"The firewall idle timeout is {hms(stated)} (case.toml); the data has no "
                    "idle-timeout teardowns to confirm it.")
        if not self.disagrees:
            return (f"The firewall idle timeout is {hms(stated)} (case.toml), and the data "
                    f"agrees: {estimate.explanation}")
        check = timeout_check(estimate.vendors)
        return (f"The firewall idle timeout is {hms(stated)} (case.toml), used everywhere; the "
                f"data disagrees: it suggests {hms(estimate.value)}: {estimate.explanation} "
                f"{check[:1].upper()}{check[1:]} for these ports.")

    def __str__(self) -> str:
        return self.explanation


def timeout_in_force(stated: pd.Timedelta | None, estimate: TimeoutEstimate) -> CaseTimeout:
    """Apply the one precedence rule: stated > inferred > none (see ``CaseTimeout``)."""
    if stated is not None:
        return CaseTimeout(pd.Timedelta(stated), "case.toml", pd.Timedelta(stated), estimate)
    if estimate.value is not None:
        return CaseTimeout(estimate.value, "inferred", None, estimate)
    return CaseTimeout(None, "none", None, estimate)
