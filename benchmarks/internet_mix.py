"""The benchmark's ``--mix internet`` log: an internet-facing ASA, nearly every address distinct.

Issue 16's mix: ~45 % TCP Built, ~45 % TCP Teardown (with reasons, ``from <if>`` initiators,
some AAA and identity users), ~5 % UDP (Built and Teardown), ~5 % other messages; public
addresses drawn from the whole IPv4 range and inside ones from 10.0.0.0/8, so almost no address
string repeats (the case that defeats dictionary encoding). A relay header on every line, the
device's own stamp on most. Endpoints are a hash of the connection id, so a Teardown repeats its
Built's; same seed, same bytes. Built from ``kit.synth``'s templates, block by block.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa

from kit.synth import asa
from kit.synth.text import join, optional, where, write_lines

BLOCK_LINES = 200_000
_OPEN = 20_000  # connections open between a Built and its Teardown
_REASONS = np.array(["TCP FINs", "Conn-timeout", "TCP Reset-I", "TCP Reset-O", "SYN Timeout",
                     "Idle Timeout", "Flow closed by inspection"])
_WEIGHTS = np.array([0.6, 0.12, 0.1, 0.09, 0.05, 0.02, 0.02])
_SERVICES = np.array([443, 443, 443, 80, 22, 25, 53, 1556, 13724, 3389, 8443])
_USERS = pa.array([f"(CORP\\user{k:04d})" for k in range(500)])
_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def write_internet_log(path: Path, lines: int, seed: int = 0) -> Path:
    """Write ``lines`` lines of the internet mix to ``path``."""
    start = 1_717_372_800  # 2024-06-03 00:00:00 UTC
    with open(path, "wb") as stream:
        for first in range(0, lines, BLOCK_LINES):
            n = min(BLOCK_LINES, lines - first)
            write_lines(stream, _block(np.random.default_rng([seed, first]), first, n, start))
    return path


def _block(rng: np.random.Generator, first: int, n: int, start: int) -> pa.Array:
    seconds = start + (first + np.arange(n)) // 200  # 200 lines a second
    kind = np.digitize(rng.random(n), [0.45, 0.90, 0.95])  # built, teardown, udp, other
    udp_built = (kind == 2) & (rng.random(n) < 0.5)
    built = (kind == 0) | udp_built
    conn = (first + np.arange(n)).astype(np.uint64) + np.uint64(1_000_000)
    conn = np.where(built, conn, conn - np.uint64(_OPEN))
    h = [_mix(conn ^ np.uint64(k * 0x9E3779B1)) for k in range(3)]
    udp = kind == 2
    outside = _ipv4(h[0] >> np.uint64(32), public=True)
    inside = _ipv4(h[0] & np.uint64(0xFFFFFF), public=False)
    server = _SERVICES[(h[1] % np.uint64(len(_SERVICES))).astype(np.int64)]
    server = np.where(udp, 53, server)
    client = 1024 + (h[1] >> np.uint64(20)) % np.uint64(64000)
    inbound = (h[2] & np.uint64(1)).astype(bool)
    outside_port = np.where(inbound, client, server)
    inside_port = np.where(inbound, server, client)
    protocol = np.where(udp, "UDP", "TCP")
    identity = ((h[2] >> np.uint64(8)) % np.uint64(100) < 5) & ~udp
    user = optional(identity, _USERS.take(pa.array(((h[2] >> np.uint64(16))
                                                   % np.uint64(len(_USERS))).astype(np.int64))))
    outer = join("outside:", outside, "/", outside_port)
    inner = join("inside:", inside, "/", inside_port)
    built_body = asa.built(protocol, np.where(inbound, "inbound", "outbound"), conn, outer,
                           join(outside, "/", outside_port), inner,
                           join(inside, "/", inside_port), inner_user=user)
    reason = _REASONS[rng.choice(len(_REASONS), size=n, p=_WEIGHTS)]
    duration = rng.exponential(120.0, n).astype(np.int64)
    duration[np.isin(reason, ["Conn-timeout", "Idle Timeout"])] += 3600
    teardown_body = asa.teardown(
        protocol, conn, outer, inner, duration, rng.lognormal(8.0, 2.0, n).astype(np.int64),
        reason=optional(~udp, reason),
        initiator=optional(~udp & (rng.random(n) < 0.2), "outside"),
        inner_user=user, aaa_user=optional(~udp & (rng.random(n) < 0.03), "(jdoe)"))
    tag = asa.tag("ASA", "6", np.where(built, np.where(udp, "302015", "302013"),
                                       np.where(udp, "302016", "302014")))
    body = join(tag, where(built, built_body, teardown_body))
    other = join(asa.tag("ASA", "4", "106023"),
                 asa.deny("tcp", outer, join("inside:", inside, "/", server), "outside_in"))
    body = where(kind == 3, other, body)
    stamped = rng.random(n) < 0.9
    header = asa.relay_header(seconds, where(stamped, "syslog-relay01", "asa-internet01"),
                              "America/Chicago")
    return join(header, optional(stamped, asa.device_stamp(seconds, "asa-internet01")), body)


def _ipv4(value: np.ndarray, *, public: bool) -> pa.Array:
    """Dotted quads: any address 1.x-223.x (public) or one of 10.0.0.0/8."""
    octets = [(value >> np.uint64(s)) & np.uint64(0xFF) for s in (24, 16, 8, 0)]
    octets[0] = (np.uint64(1) + octets[0] % np.uint64(223)) if public else np.full_like(
        value, 10)
    if not public:
        octets = [octets[0], *[(value >> np.uint64(s)) & np.uint64(0xFF) for s in (16, 8, 0)]]
    return join(octets[0], ".", octets[1], ".", octets[2], ".", octets[3])


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (uint64 arithmetic wraps)."""
    x = (x + np.uint64(0x9E3779B97F4A7C15)) & _M64
    x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _M64
    x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _M64
    return x ^ (x >> np.uint64(31))
