"""What the kit says about each vendor's firewall: its words, its timeouts and its commands.

One table (``FAMILIES``), one entry per vendor family (the frame's ``vendor`` values, Cisco's
four products as one): the product's name, its TCP idle default, how to read the timeout in force
and a per-port (per-application) one, what its start and end messages are called, how its logs
give each session's idle wait, and the remedies' commands: raise the idle timeout globally, raise
it on some service ports only, dead-connection detection (only Cisco ASA/FTD has it: ``set
connection timeout idle ... dcd``). Every sentence that names a vendor's command (the timeout
sentence, the Findings, the remedy caveats, the report) takes it from here.

Sources: domain.md §A4 and §B (ASA, defaults), evidence-sources.md §3.6-§3.7 (PAN-OS), §4.5
(FortiGate), §5.4 (SRX), §7 (conntrack), §8 (defaults). Remedy placeholders: ``{timeout}``
(h:mm:ss), ``{seconds}``, ``{ports}``, ``{each_port}`` (a family's ``per_port`` part written
once per scope port, its ``{port}`` and ``{n}`` filled in).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..analysis.format import hms

CISCO = "cisco"


@dataclass(frozen=True)
class Family:
    """One vendor family's facts (see the module docstring)."""

    #: how a sentence names the product
    product: str
    #: its TCP idle timeout out of the box
    default_timeout: pd.Timedelta
    #: how to read the global idle timeout in force
    show_timeout: str
    #: what a timeout of its own on some ports or applications is on this device
    scoped: str
    #: how to find such a timeout
    show_scoped: str
    #: (start, end): what its connection start and end messages are called
    events: tuple[str, str]
    #: remedy -> what to change (None: the device has no such feature)
    remedies: dict[str, str | None] = field(default_factory=dict)
    #: how its logs give each session's idle wait (None: they do not)
    idle_wait: str | None = None
    #: why durations alone do not prove this device's timeout (None: they do, as on ASA/FTD)
    duration_caveat: str | None = None
    #: remedy -> (the part written once per scope port, what joins them): its ``{each_port}``
    per_port: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: what to collect from this device for a case (its logs and how to turn them on)
    collect: str = ""


#: family -> its facts, in the order sentences list them
FAMILIES: dict[str, Family] = {
    CISCO: Family(
        product="Cisco ASA/FTD",
        collect=("The syslog of 302013 (Built) and 302014 (Teardown), severity 6: `logging trap "
                 "informational` with `logging timestamp` on; ASA 106015 and 106023 denies help "
                 "match failed jobs."),
        default_timeout=pd.Timedelta(hours=1),
        show_timeout="`show running-config timeout` (`timeout conn`)",
        scoped="a policy-map class timeout (`set connection timeout idle`)",
        show_scoped=("any policy-map class with `set connection timeout idle` "
                     "(`show running-config policy-map`)"),
        events=("Built", "Teardown"),
        remedies={
            "firewall-timeout": "ASA/FTD: `timeout conn {timeout}`.",
            "firewall-timeout-scoped": (
                "ASA/FTD: {each_port}; `class-map backup-ports` / `match access-list "
                "backup-ports`, then in the policy map `class backup-ports` / `set connection "
                "timeout idle {timeout}`."),
            "dcd": ("ASA/FTD: `set connection timeout idle {timeout} dcd` in a class map "
                    "matching ports {ports} (retry 15 s, 5 retries by default)."),
        },
        per_port={"firewall-timeout-scoped": (
            "`access-list backup-ports extended permit tcp any any eq {port}`", " / ")}),
    "paloalto": Family(
        product="PAN-OS",
        collect=("TRAFFIC logs forwarded as syslog (BSD, IETF or octet-counted; Panorama and the "
                 "Strata/Cortex forwarder are fine) with *Log at Session End* on the rules the "
                 "backup traffic matches (*Log at Session Start* too, if you can)."),
        default_timeout=pd.Timedelta(hours=1),
        show_timeout="`show session info` (the TCP timeout)",
        scoped="an application (App-ID) TCP timeout or a service-based session timeout",
        show_scoped=("the application's TCP timeout (Objects > Applications) and any service "
                     "object with a session timeout override (Objects > Services); `show "
                     "session id <id>` shows a session's own timeout"),
        events=("TRAFFIC start", "TRAFFIC end"),
        idle_wait="Generated - Start - Elapsed",
        remedies={
            "firewall-timeout": ("PAN-OS: Device > Setup > Session > Session Timeouts, TCP "
                                 "{seconds} s (`set deviceconfig setting session timeout-tcp "
                                 "{seconds}`)."),
            "firewall-timeout-scoped": (
                "PAN-OS: a service object for ports {ports} with a service-based session "
                "timeout (Objects > Services, Override, TCP timeout {seconds} s; PAN-OS 8.1+) "
                "used in the rule, or the application's TCP timeout (Objects > Applications)."),
            "dcd": None,
        }),
    "fortinet": Family(
        product="FortiGate",
        collect=("Traffic logs (`config log syslogd setting`, default key=value format) with "
                 "`set logtraffic all` on the policies the backup traffic matches."),
        default_timeout=pd.Timedelta(hours=1),
        show_timeout="`show system session-ttl` (`set default`)",
        scoped="a `session-ttl` port entry or a policy or custom service `session-ttl`",
        show_scoped=("the `config port` entries of `config system session-ttl` and any policy "
                     "or custom service `session-ttl`; `diagnose sys session list` shows each "
                     "session's `timeout=`"),
        events=("session start", "session end"),
        duration_caveat=("a FortiGate `duration` may or may not include the idle wait "
                         "(not confirmed yet)"),
        remedies={
            "firewall-timeout": ("FortiGate: `config system session-ttl` / `set default "
                                 "{seconds}`."),
            "firewall-timeout-scoped": (
                "FortiGate: `config system session-ttl` / `config port` / {each_port} / `end`; "
                "or `set session-ttl {seconds}` on the policy or custom service."),
            "dcd": None,
        },
        per_port={"firewall-timeout-scoped": (
            "`edit {n}` / `set protocol 6` / `set start-port {port}` / `set end-port {port}` / "
            "`set timeout {seconds}` / `next`", " / ")}),
    "juniper": Family(
        product="Junos SRX",
        collect=("`RT_FLOW_SESSION_CREATE` and `RT_FLOW_SESSION_CLOSE` messages (`then log "
                 "session-init session-close` on the policies), structured-data or BSD syslog."),
        default_timeout=pd.Timedelta(minutes=30),
        show_timeout=("`show configuration applications` (each application's "
                      "`inactivity-timeout`; junos-* applications default to 1800 s for TCP)"),
        scoped="an application `inactivity-timeout`",
        show_scoped=("the `inactivity-timeout` of the application the policy matches (`show "
                     "configuration applications`); `show security flow session "
                     "destination-port <port>` shows each session's `Timeout:`"),
        events=("RT_FLOW_SESSION_CREATE", "RT_FLOW_SESSION_CLOSE"),
        duration_caveat=("an SRX `elapsed-time` may or may not include the idle wait (not "
                         "confirmed yet), so SRX logs alone do not prove the timeout"),
        remedies={
            "firewall-timeout": ("SRX: `set applications application <app> term t1 protocol "
                                 "tcp inactivity-timeout {seconds}` for each application in "
                                 "use (junos-* applications carry their own)."),
            "firewall-timeout-scoped": (
                "SRX: {each_port}, each used in the policy's `match application`."),
            "dcd": None,
        },
        per_port={"firewall-timeout-scoped": (
            "`set applications application backup-{port} protocol tcp destination-port {port} "
            "inactivity-timeout {seconds}`", "; ")}),
    "netfilter": Family(
        product="Linux conntrack",
        collect=("`conntrack -E -o timestamp,extended,id > $(hostname).conntrack.log` running "
                 "across the failures, with `sysctl -w net.netfilter.nf_conntrack_timestamp=1` "
                 "(durations) and `net.netfilter.nf_conntrack_acct=1` (bytes) set first."),
        default_timeout=pd.Timedelta(days=5),
        show_timeout="`sysctl net.netfilter.nf_conntrack_tcp_timeout_established`",
        scoped="an nftables conntrack timeout policy (`ct timeout`)",
        show_scoped="any `ct timeout` policy in `nft list ruleset`",
        events=("NEW", "DESTROY"),
        duration_caveat=("a conntrack DESTROY gives no reason: these idle teardowns are "
                         "inferred (no close seen before it)"),
        remedies={
            "firewall-timeout": ("Linux: `sysctl -w net.netfilter.nf_conntrack_tcp_timeout_"
                                 "established={seconds}` (and in /etc/sysctl.d)."),
            "firewall-timeout-scoped": (
                "Linux: an nftables conntrack timeout policy (`ct timeout`) with established "
                "{seconds} assigned to ports {ports}."),
            "dcd": None,
        }),
}


def family(vendor: object) -> str:
    """``cisco-asa`` -> ``cisco``; other vendor values are their own family (a missing or
    unknown one is Cisco's, the kit's first reader)."""
    text = str(vendor) if vendor is not None and not pd.isna(vendor) else CISCO
    text = CISCO if text.startswith(CISCO) else text
    return text if text in FAMILIES else CISCO


def families(vendors: Iterable[object]) -> list[str]:
    """The distinct families of ``vendors``, in ``FAMILIES`` order (Cisco's when none)."""
    seen = {family(v) for v in pd.Series(list(vendors), dtype=object).dropna().unique()}
    return [f for f in FAMILIES if f in seen] or [CISCO]


def per_family(vendors: Iterable[object], say, *, joiner: str = "; ") -> str:
    """``say(Family)`` for each family among ``vendors``, prefixed with the product's name
    when there are several (a mixed case names each)."""
    present = families(vendors)
    if len(present) == 1:
        return say(FAMILIES[present[0]])
    return joiner.join(f"{FAMILIES[f].product}: {say(FAMILIES[f])}" for f in present)


def products(vendors: Iterable[object]) -> str:
    """``PAN-OS``, or ``Cisco ASA/FTD and PAN-OS`` for a mixed case."""
    names = [FAMILIES[f].product for f in families(vendors)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def duration_caveats(vendors: Iterable[object]) -> str:
    """Why an estimate from durations needs confirming on these vendors' devices, with where
    to read the timeout; empty when their durations prove it (ASA/FTD, PAN-OS)."""
    said = [f"{FAMILIES[f].duration_caveat}: confirm it with {FAMILIES[f].show_timeout}"
            for f in families(vendors) if FAMILIES[f].duration_caveat]
    return "; ".join(said)


def timeout_check(vendors: Iterable[object]) -> str:
    """Where to read the timeouts in force, globally and per port, on each family's device."""
    return per_family(vendors, lambda f: f"check {f.show_timeout} and {f.show_scoped}")


def has_dcd(vendors: pd.Series) -> np.ndarray:
    """Per session: its firewall has dead-connection detection (ASA/FTD only)."""
    values = pd.Series(vendors, copy=False).astype(object)
    table = {v: FAMILIES[family(v)].remedies.get("dcd") is not None
             for v in values.dropna().unique()}
    return values.map(table).fillna(True).to_numpy(dtype=bool)


def what_to_change(remedy: str, vendors: Iterable[object], *, timeout: pd.Timedelta,
                   ports: Iterable[int]) -> str:
    """The commands for ``remedy`` on each family among ``vendors``, or why there are none."""
    ports = list(ports)
    values = {"timeout": hms(timeout), "seconds": int(timeout.total_seconds()),
              "ports": ", ".join(str(p) for p in ports) or "none"}
    parts = []
    for name in families(vendors):
        facts = FAMILIES[name]
        command = facts.remedies.get(remedy)
        if command is None:
            parts.append(f"{facts.product}: no equivalent on this device (this row does not "
                         "apply to its sessions).")
            continue
        template, joiner = facts.per_port.get(remedy, ("", ""))
        each = joiner.join(template.format(**{**values, "n": n, "port": port})
                           for n, port in enumerate(ports or ["<port>"], start=1))
        parts.append(command.format(**values, each_port=each))
    return " ".join(parts)
