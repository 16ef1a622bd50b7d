"""The sample incident's hosts: NetBackup master and media inside, DMZ clients of every OS.

Each client template fixes the OS, the export format it is collected in and the story's
keepalive (seconds). Presets rewrite the keepalive of every host for other parameter sets.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

DEFAULT_KEEPALIVE = 7200
TUNED_KEEPALIVE = 300
ASA, FWSM = "asa-dmz01", "fwsm-core01"
#: interface -> security level per firewall: the lower side is the ``for`` endpoint
SECURITY = {ASA: {"outside": 0, "dmz": 50, "inside": 100}, FWSM: {"outside": 0, "inside": 100}}


@dataclass(frozen=True)
class Host:
    """One host of the case: who it is, where it sits, and how its keepalive is set."""

    name: str
    role: str  # master, media, client, other
    os: str  # linux, windows, aix, solaris, hpux, macos
    ip: str
    export: str  # the export format written to hosts/ ("" = no export)
    keepalive_s: int
    so_keepalive: bool  # does the backup application's socket have SO_KEEPALIVE on?
    device: str  # the firewall between this host and the NetBackup servers
    interface: str  # its interface on that firewall


#: (name, os, export format, story keepalive s, SO_KEEPALIVE on backup sockets, behind FWSM)
CLIENT_TEMPLATES: tuple[tuple[str, str, str, int, bool, bool], ...] = (
    ("dmz-web", "linux", "sysctl", 600, True, False),
    ("dmz-app", "linux", "sysctl-prompt", DEFAULT_KEEPALIVE, False, False),
    ("dmz-win", "windows", "reg", DEFAULT_KEEPALIVE, True, False),
    ("dmz-win", "windows", "reg-query", 300, True, False),
    ("dmz-aix", "aix", "no", DEFAULT_KEEPALIVE, True, False),
    ("dmz-sol", "solaris", "ndd", 1800, True, False),
    ("dmz-hpux", "hpux", "ndd", DEFAULT_KEEPALIVE, True, True),
    ("dmz-mac", "macos", "sysctl-bsd", DEFAULT_KEEPALIVE, True, False),
)
PRESETS = ("sample", "all-tuned", "all-default")


def build_hosts(clients: int, keepalive: str | dict[str, Any] = "sample") -> list[Host]:
    """The master, the media server and ``clients`` DMZ clients, keepalive set per ``keepalive``.

    ``keepalive`` is a preset name (``"sample"``: the story's mix; ``"all-tuned"``: every host
    at 300 s with SO_KEEPALIVE on; ``"all-default"``: every host at 7200 s), or a dict of host
    name -> seconds applied on top of the sample (``{"preset": "all-tuned", "dmz-app01": 7200}``
    picks another base).
    """
    if clients < 1:
        raise ValueError(f"clients must be >= 1, not {clients}")
    overrides = dict(keepalive) if isinstance(keepalive, dict) else {"preset": keepalive}
    preset = overrides.pop("preset", "sample")
    if preset not in PRESETS:
        raise ValueError(f"unknown keepalive preset {preset!r}: expected one of {PRESETS}")
    hosts = [Host("nbu-master01", "master", "linux", "10.10.1.10", "sysctl-a",
                  DEFAULT_KEEPALIVE, True, ASA, "inside"),
             Host("nbu-media01", "media", "linux", "10.10.1.20", "sysctl",
                  DEFAULT_KEEPALIVE, True, ASA, "inside")]
    seen: dict[str, int] = {}
    for k in range(clients):
        base, os, export, seconds, so_keepalive, fwsm = CLIENT_TEMPLATES[k % len(CLIENT_TEMPLATES)]
        seen[base] = seen.get(base, 0) + 1
        ip = f"10.30.1.{20 + k}" if fwsm else f"10.20.1.{10 + k}"
        hosts.append(Host(f"{base}{seen[base]:02d}", "client", os, ip, export, seconds,
                          so_keepalive, FWSM if fwsm else ASA, "inside" if fwsm else "dmz"))
    if preset == "all-tuned":
        hosts = [replace(h, keepalive_s=TUNED_KEEPALIVE, so_keepalive=True) for h in hosts]
    elif preset == "all-default":
        hosts = [replace(h, keepalive_s=DEFAULT_KEEPALIVE) for h in hosts]
    names = {h.name for h in hosts}
    unknown = set(overrides) - names
    if unknown:
        raise ValueError(f"keepalive for unknown hosts {sorted(unknown)}; hosts: {sorted(names)}")
    return [replace(h, keepalive_s=int(overrides.get(h.name, h.keepalive_s))) for h in hosts]


def effective_keepalive(*hosts: Host | None) -> int | None:
    """The shortest keepalive among endpoints whose socket has SO_KEEPALIVE (None: no probes)."""
    values = [h.keepalive_s for h in hosts if h is not None and h.so_keepalive]
    return min(values) if values else None
