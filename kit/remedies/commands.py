"""What to change on each vendor's firewall: the commands and scopes of the firewall remedies.

One table per vendor family (the frame's ``vendor`` values, Cisco's four products as one):
how to raise the idle timeout globally, how to raise it on some service ports only, and whether
dead-connection detection exists (only Cisco ASA/FTD has it: ``set connection timeout idle ...
dcd``). Sources: domain.md §A4 (ASA), evidence-sources.md §3.7 (PAN-OS), §4.5 (FortiGate), §5.4
(SRX), §7 (conntrack). Placeholders: ``{timeout}`` (h:mm:ss), ``{seconds}``, ``{ports}``,
``{port}`` (the first scope port).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..analysis.format import hms

CISCO = "cisco"
#: family -> remedy -> what to change (None: the device has no such feature)
COMMANDS: dict[str, dict[str, str | None]] = {
    CISCO: {
        "firewall-timeout": "ASA/FTD: `timeout conn {timeout}`.",
        "firewall-timeout-scoped": (
            "ASA/FTD: a class map per port: `class-map backup-ports` / `match port tcp eq "
            "{port}`, then in the policy map `class backup-ports` / `set connection timeout "
            "idle {timeout}`."),
        "dcd": ("ASA/FTD: `set connection timeout idle {timeout} dcd` in a class map matching "
                "ports {ports} (retry 15 s, 5 retries by default)."),
    },
    "paloalto": {
        "firewall-timeout": ("PAN-OS: Device > Setup > Session > Session Timeouts, TCP "
                             "{seconds} s (`set deviceconfig setting session timeout-tcp "
                             "{seconds}`)."),
        "firewall-timeout-scoped": (
            "PAN-OS: a service object for ports {ports} with a service-based session timeout "
            "(Objects > Services, Override, TCP timeout {seconds} s; PAN-OS 8.1+) used in the "
            "rule, or the application's TCP timeout (Objects > Applications)."),
        "dcd": None,
    },
    "fortinet": {
        "firewall-timeout": "FortiGate: `config system session-ttl` / `set default {seconds}`.",
        "firewall-timeout-scoped": (
            "FortiGate: `config system session-ttl` / `config port` / `edit 1` / `set "
            "protocol 6` / `set start-port {port}` / `set end-port {port}` / `set timeout "
            "{seconds}`; or `set session-ttl {seconds}` on the policy or custom service."),
        "dcd": None,
    },
    "juniper": {
        "firewall-timeout": ("SRX: `set applications application <app> term t1 protocol tcp "
                             "inactivity-timeout {seconds}` for each application in use "
                             "(junos-* applications carry their own)."),
        "firewall-timeout-scoped": (
            "SRX: `set applications application backup-{port} protocol tcp "
            "destination-port {port} inactivity-timeout {seconds}`, used in the policy's "
            "`match application`."),
        "dcd": None,
    },
    "netfilter": {
        "firewall-timeout": ("Linux: `sysctl -w net.netfilter.nf_conntrack_tcp_timeout_"
                             "established={seconds}` (and in /etc/sysctl.d)."),
        "firewall-timeout-scoped": (
            "Linux: an nftables conntrack timeout policy (`ct timeout`) with established "
            "{seconds} assigned to ports {ports}."),
        "dcd": None,
    },
}


def family(vendor: object) -> str:
    """``cisco-asa`` -> ``cisco``; other vendor values are their own family."""
    text = str(vendor) if vendor is not None and not pd.isna(vendor) else CISCO
    return CISCO if text.startswith(CISCO) else text


def families(vendors: Iterable[object]) -> list[str]:
    """The distinct families of ``vendors``, in ``COMMANDS`` order."""
    seen = {family(v) for v in vendors}
    return [f for f in COMMANDS if f in seen] or [CISCO]


def has_dcd(vendors: pd.Series) -> np.ndarray:
    """Per session: its firewall has dead-connection detection (ASA/FTD only)."""
    values = pd.Series(vendors, copy=False).astype(object)
    table = {v: COMMANDS.get(family(v), {}).get("dcd") is not None
             for v in values.dropna().unique()}
    return values.map(table).fillna(True).to_numpy(dtype=bool)


def what_to_change(remedy: str, vendors: Iterable[object], *, timeout: pd.Timedelta,
                   ports: Iterable[int]) -> str:
    """The commands for ``remedy`` on each family among ``vendors``, or why there are none."""
    ports = list(ports)
    values = {"timeout": hms(timeout), "seconds": int(timeout.total_seconds()),
              "ports": ", ".join(str(p) for p in ports) or "none",
              "port": ports[0] if ports else "<port>"}
    parts = []
    for name in families(vendors):
        command = COMMANDS.get(name, {}).get(remedy)
        if command is None:
            parts.append(f"{name}: no equivalent on this device (this row does not apply "
                         "to its sessions).")
        else:
            parts.append(command.format(**values))
    return " ".join(parts)
