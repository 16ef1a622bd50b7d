"""The notebooks' "Findings": plain sentences written from a case's data, never by hand.

One function per notebook (``teardown_findings`` for 01, ``duration_findings`` for 02,
``remedy_findings`` for 03) and ``case_findings`` for the whole case (04). Each returns a
``kit.report.Findings``, which a notebook displays as the last expression of a cell: it renders
as a numbered list whose every sentence is HTML-escaped (host, interface and user names come from
log lines anyone can write), with a plain-text form for nbval and the exported report.

The sentences quote the numbers (counts, hosts, ports, the timeout, the recommendation) so that a
test can check them against a generated case's ground truth.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..analysis import affected
from ..analysis.affected import endpoint_names
from ..analysis.format import hms, small_share
from ..analysis.timeout import TimeoutEstimate, timeout_in_force
from ..loadreport import offset_label, signed
from ..remedies.commands import FAMILIES, families
from ..report.display import Findings, zone_label, zone_of
from ..units import host_key
from .facts import Facts, tcp_only
from .tables import assumptions, firewall_timeout, table, teardown_reasons
from .text import listing, plural, service, services, share, when

__all__ = ["assumptions", "case_findings", "duration_findings", "firewall_timeout",
           "remedy_findings", "table", "teardown_findings", "teardown_reasons",
           "timeout_sentence"]


def timeout_sentence(configured: pd.Timedelta | None, estimate: TimeoutEstimate) -> str:
    """The firewall idle timeout: configured vs inferred, with the evidence (the sentence of
    ``kit.analysis.CaseTimeout``; a case says it as ``str(case.timeout)``)."""
    return timeout_in_force(configured, estimate).explanation


def _load_sentences(facts: Facts) -> list[str]:
    case = facts.case
    events = case.event_facts  # over every event, whichever engine computed the case
    files = [f for f in case.load_report.files if f.kind == "firewall"]
    read, rejected = sum(f.read for f in files), sum(f.rejected for f in files)
    devices, kinds = sorted(events.devices), events.kinds  # sorted as shown (pseudonyms)
    tz = facts.tz
    span = (f", {when(events.first, tz)} to {when(events.last, tz)}"
            if events.first is not None else "")
    built, torn = int(kinds.get("built", 0)), int(kinds.get("teardown", 0))
    refused = int(kinds.get("deny-no-connection", 0))
    denies = (f", {plural(refused, 'packet')} refused after a teardown (deny-no-connection)"
              if refused else "")
    names = [FAMILIES[f].events for f in families(events.vendors)]
    start, end = ("/".join(dict.fromkeys(n[k] for n in names)) for k in (0, 1))
    out = [f"Loaded {plural(events.events, 'connection event')} ({built:,} {start}, {torn:,} {end}"
           f"{denies}) "
           f"from {plural(len(files), 'firewall file')} of {plural(len(devices), 'device')} "
           f"({listing(devices)}){span}; "
           f"{rejected:,} of {plural(read, 'line')} {'was' if rejected == 1 else 'were'} rejected "
           "(see the load report)."]
    relays, own = [], []
    for key, offset in sorted(case.load_report.clock_offsets.items()):
        device, what = offset_label(key)
        if what == "relay - device":
            relays.append(f"{device} {hms(offset)}")
        else:  # a vendor's two clocks on one line (FortiGate date/time and eventtime)
            own.append(f"{what[:1].upper()}{what[1:]} on {device}: {signed(offset)} (the "
                       "device's own UTC stamps are used).")
    if relays:
        out.append("Relay header stamp minus device stamp: " + listing(relays)
                   + " (the device's own stamps are used).")
    return out + own


def _teardown_sentences(facts: Facts) -> list[str]:
    closes = facts.case.session_facts.closes  # TCP teardowns per close class, most first
    n_tear = int(closes.sum())
    idle, n_idle = facts.idle, len(facts.idle)
    rest = listing(f"{close} {n:,}" for close, n in closes.items()
                   if n and close != "idle-timeout")
    if not n_idle:
        return [f"None of the {plural(n_tear, 'TCP teardown')} was for idleness: the "
                "firewall did not kill any connection for being idle in this data (the others: "
                f"{rest or 'none'})."]
    reasons = listing(f"'{r}'" for r in sorted(idle["reason"].dropna().astype(str).unique()))
    out = [f"{n_idle:,} of {plural(n_tear, 'TCP teardown')} ({share(n_idle, n_tear)}) "
           f"{'was an idle-timeout teardown' if n_idle == 1 else 'were idle-timeout teardowns'} "
           f"(reason {reasons}); the others: {rest or 'none'}."]
    pairs = affected(facts.sessions)
    out.append(f"By host pair and service port ({len(pairs):,}): " + listing(
        f"{r.src} → {r.dst} on {service(r.service, r.service_port)}: {r.idle_teardowns:,}"
        for r in pairs.itertuples()) + ".")
    ports = idle.groupby(["service_port", "service"], dropna=False, observed=True).size()
    ports = ports.sort_values(ascending=False, kind="stable")
    out.append("By service port: " + listing(
        f"{service(name, port)}: {n:,}" for (port, name), n in ports.items()) + ".")
    return out


def teardown_findings(case: Any) -> Findings:
    """Findings of notebook 01: what was loaded, the idle-timeout teardowns, who and which ports,
    and the firewall idle timeout (configured vs inferred, with the evidence).

    Parameters
    ----------
    case : kit.Case
        From ``kit.load_case`` or ``kit.open_case`` (redacted cases give redacted sentences).

    Returns
    -------
    kit.report.Findings
    """
    facts = Facts(case)
    return Findings([*_load_sentences(facts), *_teardown_sentences(facts),
                     case.timeout.explanation, *_missing_sentences(case)])


def _duration_sentences(facts: Facts) -> list[str]:
    s, idle, timeout = facts.sessions, facts.idle, facts.timeout
    out = []
    if len(idle):
        low, high = idle["duration"].min(), idle["duration"].max()
        text = (f"The {plural(len(idle), 'idle-timeout teardown')} lasted {hms(low)} to "
                f"{hms(high)} (median {hms(idle['duration'].median())})")
        if timeout is not None:
            active = idle["duration"] - facts.timeout_of(idle)
            short = int((active < pd.Timedelta(0)).sum())
            text += (f": {facts.timeouts_text()} plus "
                     f"{hms(max(active.min(), pd.Timedelta(0)))} to {hms(active.max())} of "
                     "activity, the signature of an idle timeout")
            if short:
                text += (f"; {short:,} lasted less than the timeout, so another timeout "
                         "applies to them")
        out.append(text + ".")
        # the TCP sessions of the same service ports that closed otherwise: count, median
        n_normal, normal = facts.case.session_facts.normal_bytes
        sentence = f"They carried a median of {float(idle['bytes'].median()):,.0f} bytes"
        if n_normal:
            sentence += (f", against {normal:,.0f} for the "
                         f"{plural(n_normal, 'session')} of the same service ports that closed "
                         "otherwise")
        out.append(sentence + ".")
        ends = idle["end"]
        local = ends.dt.tz_convert(zone_of(facts.tz))
        hours = local.dt.hour.value_counts().sort_index().sort_values(ascending=False,
                                                                     kind="stable")
        days = local.dt.normalize().nunique()
        out.append(f"They came between {when(ends.min(), facts.tz)} and "
                   f"{when(ends.max(), facts.tz)}, on "
                   f"{plural(days, 'day')}; the busiest hour began at {hours.index[0]:02d}:00 "
                   f"{zone_label(facts.tz, ends.min())} ({hours.iloc[0]:,}).")
    else:
        out.append("There are no idle-timeout teardowns: no durations pile up at a timeout.")
    if timeout is not None:
        tcp = tcp_only(s)
        lived = tcp.loc[((tcp["duration"] > facts.timeout_of(tcp))
                         & (tcp["close"] != "idle-timeout").fillna(True)).to_numpy(dtype=bool)]
        still_open = int(lived["open"].sum())
        out.append(f"{plural(len(lived), 'TCP session')} lived longer than "
                   f"{facts.timeouts_text().removesuffix(f' ({facts.timeout_source})')} "
                   f"without an idle teardown ({still_open:,} of them still open at the end of "
                   "the data): traffic or keepalive probes kept them alive.")
    busy = facts.case.session_facts.concurrency
    if busy.peak_time is not None:
        text = (f"The firewall held at most {busy.peak:,} of these connections at once "
                f"({when(busy.peak_time, facts.tz)}), {busy.mean:,.1f} on average")
        capacity = facts.case.settings.capacity
        if capacity:
            text += f"; the peak is {small_share(busy.peak, capacity)} of its capacity " \
                    f"({capacity:,})"
        out.append(text + ".")
    return out


def duration_findings(case: Any) -> Findings:
    """Findings of notebook 02: idle-teardown durations against the timeout, their bytes, when
    they happened, the sessions that outlived the timeout, and the connection table's peak.

    Parameters
    ----------
    case : kit.Case

    Returns
    -------
    kit.report.Findings
    """
    return Findings(_duration_sentences(Facts(case)))


def _missing_sentences(case: Any) -> list[str]:
    return [f"Missing: {what}." for what in case.missing]


def _risk_sentences(facts: Facts) -> list[str]:
    case, timeout = facts.case, facts.timeout
    hosts = case.hosts
    if not len(hosts):
        return ["No keepalive exports in hosts/: which hosts are at risk cannot be judged "
                "(collect them as the case README shows)."]
    if timeout is None:
        return [f"{plural(len(hosts), 'host')} {'has' if len(hosts) == 1 else 'have'} a "
                "keepalive export, but with no firewall "
                "timeout (configured or inferred) their risk cannot be judged."]
    risk = case.risk
    at_risk = risk.loc[risk["at_risk"].fillna(False).to_numpy(dtype=bool)]
    out = []
    if len(at_risk):
        out.append(f"{len(at_risk):,} of {plural(len(risk), 'host')} with a keepalive export "
                   f"{'is' if len(at_risk) == 1 else 'are'} at risk (first keepalive probe at or "
                   f"after the {hms(timeout)} timeout): "
                   + listing((f"{r.host} ({r.os}, {hms(r.keepalive_time)})"
                               for r in at_risk.itertuples()), limit=12) + ".")
    else:
        out.append(f"None of the {plural(len(risk), 'host')} with a keepalive export is at "
                   f"risk: every first keepalive probe comes before the {hms(timeout)} timeout.")
    out.extend(_doubt_sentences(hosts))
    unknown = list(risk.loc[risk["at_risk"].isna().to_numpy(dtype=bool), "host"].astype(str))
    exported = {host_key(h) for h in risk["host"].astype(str)}
    for name in case.inventory["host"].dropna().astype(str):  # one mention per host
        if host_key(name) not in exported:
            exported.add(host_key(name))
            unknown.append(name)
    unknown = sorted(set(unknown), key=str.casefold)
    if unknown:
        lost = {host_key(h) for side in ("src", "dst") for h in endpoint_names(facts.idle, side)}
        hit = [host for host in unknown if host_key(host) in lost]
        text = (f"No keepalive value for {plural(len(unknown), 'host')} of the inventory "
                f"({listing(unknown)}), so their risk is unknown")
        text += (f"; {listing(hit)} lost connections to the idle timeout: collect "
                 f"{'its export' if len(hit) == 1 else 'their exports'}" if hit else
                 "; none of them lost a connection to the idle timeout")
        out.append(text + ".")
    if len(facts.idle):
        pairs = affected(facts.sessions, hosts=hosts, firewall_timeout=timeout)
        explained = int(pairs.loc[pairs["at_risk"].fillna(False).to_numpy(dtype=bool),
                                  "idle_teardowns"].sum())
        total = int(pairs["idle_teardowns"].sum())
        text = (f"{explained:,} of the {plural(total, 'idle-timeout teardown')} "
                f"{'has' if explained == 1 else 'have'} an "
                "at-risk host on one side")
        if explained < total:
            rest_n = total - explained
            text += (f"; the other {rest_n:,} {'does' if rest_n == 1 else 'do'} not (check those "
                     "hosts' exports "
                     "and whether their application sets SO_KEEPALIVE)")
        out.append(text + ".")
    return out


def _doubt_sentences(hosts: pd.DataFrame) -> list[str]:
    """Hosts whose export contradicts itself or holds a suspicious value, with what was found:
    such a warning can decide the answer, so it is never left in a table column alone."""
    warned = hosts.loc[hosts["warnings"].fillna("").str.len().gt(0).to_numpy(dtype=bool)]
    return [f"Check the keepalive export of {row.host} ({row.os}): {row.warnings}; its risk is "
            f"judged on the worst value found (keepalive time {hms(row.keepalive_time)})."
            for row in warned.itertuples()]


def _socket_sentences(case: Any) -> list[str]:
    from .. import keepalive_coverage

    captures = [f for f in case.load_report.files if f.kind == "sockets"]
    if not captures:
        return []
    if not len(case.sockets):
        return [f"The {plural(len(captures), 'socket capture')} in sockets/ held no TCP socket "
                "the kit could read (see the load report), so they show no keepalive coverage."]
    coverage = keepalive_coverage(case.sockets, services=case.settings.services)
    out = _silent_capture_sentences(case.sockets, coverage)
    for state, meaning in (("none", "show no keepalive timer: SO_KEEPALIVE is off there, so "
                                    "the OS keepalive setting cannot keep them alive"),
                           ("all", "show keepalive timers: SO_KEEPALIVE is on")):
        rows = coverage.loc[(coverage["coverage"] == state).to_numpy(dtype=bool)]
        if len(rows):
            per_host = rows.groupby(rows["host"].astype(str), sort=True)
            named = [f"{host} on {listing(services(group))}" for host, group in per_host]
            out.append(f"Socket captures: the established sockets of {listing(named)} "
                       f"{meaning}.")
    return out


def _silent_capture_sentences(sockets: pd.DataFrame, coverage: pd.DataFrame) -> list[str]:
    """Hosts whose capture was read but says nothing about keepalive, and why."""
    out = []
    for host, rows in sockets.groupby(sockets["host"].astype(str), sort=True):
        shown = coverage.loc[(coverage["host"].astype(str) == host).to_numpy(dtype=bool)]
        if (shown["coverage"] != "unknown").any():
            continue
        if not (rows["state"] == "established").any():
            why = ("it lists no established socket (capture during a backup, with "
                   "`ss -tino state established`)")
        elif rows["timer"].isna().all():
            why = "it shows no timers (capture with `ss -tino`: -o prints them)"
        else:
            why = "its established sockets had data in flight, which hides the keepalive timer"
        out.append(f"The socket capture of {host} was read ({plural(len(rows), 'socket')}) but "
                   f"gives no keepalive coverage: {why}.")
    return out


def _recommendation_sentences(comparison: pd.DataFrame) -> list[str]:
    from ..remedies import recommend

    advice = recommend(comparison)
    resolved = comparison.attrs.get("resolved")
    used = [] if resolved is None else [
        f"{label} {hms(getattr(resolved, name))}" for name, label in
        (("firewall_timeout", "firewall timeout"), ("keepalive", "keepalive"),
         ("new_firewall_timeout", "new firewall timeout"), ("heartbeat", "heartbeat"))]
    out = list(advice.reasons[:2])
    if used:
        out.append("The comparison assumed " + listing(used) + ".")
    return out


def remedy_findings(case: Any, comparison: pd.DataFrame | None = None,
                    assumptions: Any = None) -> Findings:
    """Findings of notebook 03: the at-risk hosts, the socket evidence and the recommendation.

    Parameters
    ----------
    case : kit.Case
    comparison : DataFrame, optional
        A ``kit.compare_remedies`` table; default: compared under ``assumptions``.
    assumptions : kit.Assumptions, optional
        Used when ``comparison`` is not given (default: ``kit.Assumptions()``).

    Returns
    -------
    kit.report.Findings
    """
    from ..remedies import compare_remedies

    facts = Facts(case)
    table = compare_remedies(case, assumptions) if comparison is None else comparison
    return Findings([*_risk_sentences(facts), *_socket_sentences(case),
                     *_recommendation_sentences(table)])


def _failure_sentences(case: Any) -> list[str]:
    """Notebook 05 in one line, when the case holds failed jobs or application errors."""
    from .failures import failure_summary

    if not len(getattr(case, "jobs", ())) and not len(getattr(case, "app_errors", ())):
        return []
    return [failure_summary(case)]


def case_findings(case: Any, comparison: pd.DataFrame | None = None,
                  assumptions: Any = None) -> Findings:
    """All findings of the case (notebook 04): the case, then those of notebooks 01 to 03 and
    05, recomputed from the data.

    Parameters
    ----------
    case : kit.Case
    comparison : DataFrame, optional
        A ``kit.compare_remedies`` table; default: compared under ``assumptions``.
    assumptions : kit.Assumptions, optional
        Used when ``comparison`` is not given (default: ``kit.Assumptions()``).

    Returns
    -------
    kit.report.Findings
    """
    from ..remedies import compare_remedies

    facts = Facts(case)
    settings = case.settings
    header = f"Case {settings.id}"
    if settings.title:
        header += f": {settings.title}"
    if settings.opened:
        header += f" (opened {settings.opened.isoformat()})"
    table = compare_remedies(case, assumptions) if comparison is None else comparison
    return Findings([
        header + ".", *_load_sentences(facts), *_teardown_sentences(facts),
        case.timeout.explanation, *_duration_sentences(facts),
        *_risk_sentences(facts), *_socket_sentences(case), *_recommendation_sentences(table),
        *_failure_sentences(case),
    ], title="Findings of the case")
