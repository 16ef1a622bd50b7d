"""The vendor registry: which firewall families ``read_firewall_log`` reads, and detection.

Each vendor is a module with ``NAME``, ``SIGNATURE`` (an RE2/Python regex that marks its lines)
and ``parse_block(block, settings)``. Cisco keeps its own block pipeline (``kit.firewall.
messages.parse_block`` -> ``frame.build_frame``), so its entry only names it; the others return
event tables (``common.Parsed``) built into a frame per file (``frame.file_frame``).

Detection is per file, from its first lines: the vendor whose signature marks the most of them
(ties go to the order of ``VENDORS``); a file none marks goes to Cisco, whose load report then
says what was expected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import ModuleType

from ...errors import SourceError
from ...sources import Source
from ..cisco import ANY_TAG
from . import fortinet, juniper, netfilter, paloalto

CISCO = "cisco"
#: bytes of a file looked at to tell its vendor
SNIFF_BYTES = 256 * 1024
SNIFF_LINES = 400


@dataclass(frozen=True)
class Vendor:
    """One registry entry; ``module`` is None for Cisco (its own pipeline)."""

    name: str
    signature: str
    module: ModuleType | None
    description: str
    #: the start of a line it reads, for a load report that found none
    example: str


VENDORS: dict[str, Vendor] = {v.name: v for v in (
    Vendor(CISCO, ANY_TAG, None, "Cisco ASA / PIX / FWSM / FTD syslog",
           "Jun  2 16:54:07 fw01 : %ASA-6-302014: Teardown TCP connection 7 for outside:"
           "192.0.2.1/51234 to inside:10.0.0.5/1556 duration 1:01:27 bytes 1546 Conn-timeout"),
    Vendor(paloalto.NAME, paloalto.SIGNATURE, paloalto, "Palo Alto PAN-OS TRAFFIC CSV",
           "<14>Mar  2 02:30:06 fw-edge-01 1,2026/03/02 02:30:06,013201009999,TRAFFIC,end,..."),
    Vendor(fortinet.NAME, fortinet.SIGNATURE, fortinet, "FortiGate traffic key=value",
           '<189>date=2026-03-02 time=02:30:05 devname="fgt-dmz-01" ... logid="0000000013" '
           'type="traffic" ... action="timeout" ...'),
    Vendor(juniper.NAME, juniper.SIGNATURE, juniper, "Juniper SRX RT_FLOW",
           "<14>Mar  2 02:30:05 srx-dc-01 RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed idle "
           "Timeout: 192.0.2.10/50412->198.51.100.20/1556 ..."),
    Vendor(netfilter.NAME, netfilter.SIGNATURE, netfilter,
           "Linux conntrack -E -o timestamp,extended,id",
           "[1772415005.123456]\t [DESTROY] ipv4     2 tcp      6 src=192.0.2.10 ..."),
)}
_COMPILED = {name: re.compile(v.signature) for name, v in VENDORS.items()}


@dataclass(frozen=True)
class Sniff:
    """What a file's first lines look like: the vendor chosen, and how many of ``lines`` each
    vendor's signature marked."""

    vendor: str
    counts: dict[str, int]
    lines: int


def sniff(source: Source) -> Sniff:
    """The file's first lines against every signature (nothing marked when the file cannot be
    read: the Cisco path reports the problem). The text is already decoded: ``Source`` settles
    the encoding (UTF-16 with or without a BOM) before any vendor is looked for."""
    try:
        head = source.read_bytes(limit=SNIFF_BYTES)
    except SourceError:
        return Sniff(CISCO, {}, 0)
    return sniff_text(head.decode("utf-8", errors="replace"))


def sniff_text(text: str) -> Sniff:
    lines = text.splitlines()[:SNIFF_LINES]
    counts: dict[str, int] = {name: 0 for name in VENDORS}
    for line in lines:
        for name, pattern in _COMPILED.items():
            if pattern.search(line):
                counts[name] += 1
    best = max(counts, key=lambda name: counts[name])  # first of equals: registry order
    return Sniff(best if counts[best] else CISCO, counts, len(lines))


def detect(source: Source) -> str:
    """The vendor whose signature marks most of the file's first lines (Cisco when none does
    or the file cannot be read: the Cisco path reports the problem)."""
    return sniff(source).vendor


def detect_text(text: str) -> str:
    return sniff_text(text).vendor


def other_vendors_note(found: Sniff, chosen: str) -> str | None:
    """The load-report problem for a file read as ``chosen`` whose first lines also hold
    another vendor's lines (a relay writing two firewalls into one file, or a forced vendor):
    those lines are not read, so say which and how many, or None."""
    others = [(name, n) for name, n in found.counts.items() if n and name != chosen]
    if not others:
        return None
    seen = " and ".join(f"{n:,} {VENDORS[name].description} line{'s' if n != 1 else ''}"
                        for name, n in others)
    head = "its only line is" if found.lines == 1 else f"its first {found.lines:,} lines hold"
    return (f"{head} {seen}, but the file is read as "
            f"{VENDORS[chosen].description}: those lines are not read (ignored or rejected); "
            "put each firewall's lines in a file of their own (or pass vendor= for the right "
            "one) to read them")


def expected_lines() -> str:
    """What each vendor's lines look like, for a file in which none was recognised."""
    return ("expected lines like " + "; or ".join(f"{v.description}: {v.example!r}"
                                                   for v in VENDORS.values())
            + "; CEF and LEEF exports are not read: send the firewall's own syslog")


def vendor(name: str) -> Vendor:
    """The registry entry of ``name`` (ValueError naming the choices otherwise)."""
    if name not in VENDORS:
        raise ValueError(f"vendor={name!r} is not supported: expected 'auto' or one of "
                         f"{sorted(VENDORS)}")
    return VENDORS[name]
