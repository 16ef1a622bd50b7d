"""Benchmark-size Cisco ASA logs, written block by block in bounded memory.

The mix follows the benchmark brief: ~45 % Built and ~45 % Teardown (TCP mostly, some UDP), ~10 %
other messages (denies, xlates, ICMP), a relay header on every line and the device's own stamp on
most, identity and AAA users, ``from <if>`` initiators, IPv6, durations past 24 h and a small
FWSM share writing the legacy ``faddr/gaddr/laddr`` teardown. Connection attributes are a hash of
the connection id, so a teardown repeats its Built's endpoints without keeping state per
connection, and the file is the same for the same seed whatever the machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from . import asa
from .text import join, optional, where, write_lines

BLOCK_LINES = 200_000
#: connections kept open between a Built and its Teardown (so most teardowns match a Built)
_OPEN = 20_000
_FIRST_ID = 1_000_000
_TCP_PORTS = np.array([443, 443, 443, 443, 80, 80, 22, 1556, 13724, 13782, 3389, 445, 8443])
_UDP_PORTS = np.array([53, 53, 53, 123, 514, 161])
_REASONS = np.array(["TCP FINs", "Conn-timeout", "TCP Reset-I", "TCP Reset-O", "SYN Timeout",
                     "FIN Timeout", "Flow closed by inspection", "Idle Timeout"])
_REASON_WEIGHTS = np.array([0.58, 0.12, 0.09, 0.08, 0.06, 0.03, 0.02, 0.02])
_M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


@dataclass(frozen=True)
class Pools:
    """Pre-formatted address and name strings that lines pick from by index."""

    inside: pa.Array
    outside: pa.Array
    inside6: pa.Array
    outside6: pa.Array
    users: pa.Array
    interfaces: pa.Array


def write_log(path: str | Path, *, lines: int = 5_000_000, seed: int = 0,
              start: str = "2024-06-03 00:00:00", rate: float = 60.0,
              relay_tz: str = "America/Chicago") -> Path:
    """Write a synthetic multi-device ASA/FWSM syslog file for benchmarks.

    Parameters
    ----------
    path : str or Path
        Output file (plain text; parent folders are created).
    lines : int
        Number of lines (5,000,000 makes ~0.95 GB).
    seed : int
        Same seed, same bytes.
    start : str
        UTC time of the first line; the file covers ``lines / rate`` seconds.
    rate : float
        Lines per second.
    relay_tz : str
        Zone of the relay header's clock (device stamps are UTC with the year).

    Returns
    -------
    Path
        The file written. Memory stays bounded: lines are built and written
        ``BLOCK_LINES`` at a time.
    """
    if lines < 0:
        raise ValueError(f"lines must be >= 0, not {lines}")
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    start_s = int(pd.Timestamp(start, tz="UTC").timestamp())
    pools = make_pools(np.random.default_rng([seed, 0xA11]))
    counters = np.zeros(2, dtype=np.int64)  # Builts and Teardowns written so far
    with open(out, "wb") as stream:
        for first in range(0, lines, BLOCK_LINES):
            n = min(BLOCK_LINES, lines - first)
            rng = np.random.default_rng([seed, first])
            write_lines(stream, _block(rng, pools, first, n, counters, start_s, rate, relay_tz,
                                       seed))
    return out


def _block(rng: np.random.Generator, pools: Pools, first: int, n: int, counters: np.ndarray,
           start_s: int, rate: float, relay_tz: str, seed: int) -> pa.Array:
    seconds = start_s + ((first + np.arange(n)) / rate).astype(np.int64)
    kind = np.digitize(rng.random(n), [0.45, 0.90])  # 0 built, 1 teardown, 2 other
    built_at = np.flatnonzero(kind == 0)
    torn_at = np.flatnonzero(kind == 1)
    other_at = np.flatnonzero(kind == 2)
    built_ids = _FIRST_ID + counters[0] + np.arange(len(built_at))
    torn_ids = _FIRST_ID + counters[1] + np.arange(len(torn_at)) - _OPEN
    counters += (len(built_at), len(torn_at))

    parts = [builts(Conns(built_ids, pools, seed)),
             _drawn_teardowns(rng, Conns(torn_ids, pools, seed)),
             others(rng, pools, len(other_at))]
    order = np.argsort(np.concatenate([built_at, torn_at, other_at]), kind="stable")
    device = pa.concat_arrays([p[0] for p in parts]).take(pa.array(order))
    body = pa.concat_arrays([p[1] for p in parts]).take(pa.array(order))

    return headed(rng, seconds, device, body, relay_tz)


def headed(rng: np.random.Generator, seconds: np.ndarray, device: pa.Array, body: pa.Array,
           relay_tz: str) -> pa.Array:
    """Full lines: the relay header on each, the device's own stamp on ~90 %."""
    n = len(seconds)
    # the relay writes in arrival order, a second late now and then: its clock never goes back
    relay_seconds = np.maximum.accumulate(seconds + (rng.random(n) < 0.3))
    stamped = rng.random(n) < 0.9
    relay_host = optional(stamped, "syslog-relay01")
    relay_host = join(relay_host, optional(~stamped, device))
    header = asa.relay_header(relay_seconds, relay_host, relay_tz)
    return join(header, optional(stamped, asa.device_stamp(seconds, device)), body)


class Conns:
    """Attributes of connections, derived from a hash of each id (same id, same endpoints)."""

    def __init__(self, ids: np.ndarray, pools: Pools, seed: int):
        h = [_mix(ids.astype(np.uint64) ^ np.uint64(seed * 0x9E3779B1 + k)) for k in range(4)]
        self.n = len(ids)
        self.fwsm = h[0] % np.uint64(50) == 0
        self.device = np.where(self.fwsm, "fwsm-core01",
                               np.where(h[0] % np.uint64(5) < 3, "asa-edge01", "asa-dc02"))
        self.ids = np.where(self.fwsm, ids.astype(np.uint64) + np.uint64(2**60),
                            ids.astype(np.uint64))
        self.udp = (h[1] % np.uint64(100) < 10) & ~self.fwsm
        self.inbound = ((h[1] >> np.uint64(8)) & np.uint64(0xFF)) < 50
        v6 = (((h[1] >> np.uint64(16)) & np.uint64(0xFF)) < 8) & ~self.fwsm
        inside_ix = (h[2] % np.uint64(len(pools.inside))).astype(np.int64)
        outside_ix = ((h[2] >> np.uint64(20)) % np.uint64(len(pools.outside))).astype(np.int64)
        self.inside_ip = where(v6, pools.inside6.take(pa.array(inside_ix % len(pools.inside6))),
                                  pools.inside.take(pa.array(inside_ix)))
        self.outside_ip = where(v6,
                                   pools.outside6.take(pa.array(outside_ix % len(pools.outside6))),
                                   pools.outside.take(pa.array(outside_ix)))
        port_pick = (h[3] >> np.uint64(40)).astype(np.int64)
        self.server_port = np.where(self.udp, _UDP_PORTS[port_pick % len(_UDP_PORTS)],
                                    _TCP_PORTS[port_pick % len(_TCP_PORTS)])
        self.client_port = 1024 + (h[3] % np.uint64(64000)).astype(np.int64)
        self.inner_if = pools.interfaces.take(pa.array((h[2] >> np.uint64(50)).astype(np.int64)
                                                       % len(pools.interfaces)))
        user_pick = (h[0] >> np.uint64(32)).astype(np.int64)
        has_user = (user_pick % 100 < 5) & ~self.fwsm
        self.inner_user = optional(has_user, join("(", pools.users.take(
            pa.array(user_pick % len(pools.users))), ")"))

    @property
    def protocol(self) -> np.ndarray:
        return np.where(self.udp, "UDP", "TCP")

    def addresses(self) -> tuple[pa.Array, pa.Array]:
        """``ip/port`` of the (``for``, ``to``) endpoints: outside is always the ``for`` side."""
        outside_port = np.where(self.inbound, self.client_port, self.server_port)
        inside_port = np.where(self.inbound, self.server_port, self.client_port)
        return join(self.outside_ip, "/", outside_port), join(self.inside_ip, "/", inside_port)

    def sides(self) -> tuple[pa.Array, pa.Array]:
        """(``for`` endpoint, ``to`` endpoint) with their interface names."""
        outer, inner = self.addresses()
        return join("outside:", outer), join(self.inner_if, ":", inner)

    def tag(self, tcp_id: str, udp_id: str) -> pa.Array:
        product = np.where(self.fwsm, "FWSM", "ASA")
        return asa.tag(product, "6", np.where(self.udp, udp_id, tcp_id))


def builts(conns: Conns) -> tuple[pa.Array, pa.Array]:
    outer, inner = conns.sides()
    mapped_outer, mapped_inner = conns.addresses()
    body = asa.built(conns.protocol, np.where(conns.inbound, "inbound", "outbound"),
                     conns.ids, outer, mapped_outer, inner, mapped_inner,
                     inner_user=conns.inner_user)
    return pa.array(conns.device), join(conns.tag("302013", "302015"), body)


def _drawn_teardowns(rng: np.random.Generator, conns: Conns) -> tuple[pa.Array, pa.Array]:
    n = conns.n
    reason = _REASONS[rng.choice(len(_REASONS), size=n, p=_REASON_WEIGHTS)]
    duration = rng.exponential(90.0, n).astype(np.int64)
    idle = np.isin(reason, ["Conn-timeout", "Idle Timeout"])
    duration[idle] = 3600 + rng.exponential(300.0, idle.sum()).astype(np.int64)
    duration[reason == "SYN Timeout"] = 30
    long_lived = rng.random(n) < 0.005
    duration[long_lived] = rng.integers(86_400, 400_000, long_lived.sum())
    nbytes = np.where(reason == "SYN Timeout", 0, rng.lognormal(8.0, 2.0, n).astype(np.int64))
    return teardowns(rng, conns, reason, duration, nbytes)


def teardowns(rng: np.random.Generator, conns: Conns, reason: np.ndarray, duration: np.ndarray,
              nbytes: np.ndarray) -> tuple[pa.Array, pa.Array]:
    """302014/302016 (legacy text on FWSM) of ``conns`` with the given reasons, durations (s)
    and bytes; ``rng`` draws the optional ``from <if>`` and AAA user."""
    n = conns.n
    from_if = rng.random(n) < 0.2
    initiator = optional(from_if & ~conns.udp, np.where(rng.random(n) < 0.5, "outside", "inside"))
    aaa = optional((rng.random(n) < 0.03) & ~conns.udp, "(jdoe)")
    reason_text = optional(~conns.udp, reason)

    outer, inner = conns.sides()
    modern = asa.teardown(conns.protocol, conns.ids, outer, inner, duration, nbytes,
                          reason=reason_text, initiator=initiator, inner_user=conns.inner_user,
                          aaa_user=aaa)
    legacy = asa.legacy_teardown(conns.ids, *conns.addresses(), duration, nbytes, reason)
    body = where(conns.fwsm, legacy, modern)
    return pa.array(conns.device), join(conns.tag("302014", "302016"), body)


def others(rng: np.random.Generator, pools: Pools, n: int) -> tuple[pa.Array, pa.Array]:
    """Denies, xlates and ICMP: counted as ignored by the reader, never rows."""
    which = rng.integers(0, 5, n)
    outside = pools.outside.take(pa.array(rng.integers(0, len(pools.outside), n)))
    inside = pools.inside.take(pa.array(rng.integers(0, len(pools.inside), n)))
    sport, dport = rng.integers(1024, 65535, n), rng.choice(_TCP_PORTS, n)
    src, dst = asa.endpoint("outside", outside, sport), asa.endpoint("inside", inside, dport)
    icmp_f, icmp_l = join(outside, "/", sport % 100), join(inside, "/0")
    bodies = [
        (asa.tag("ASA", "4", "106023"), asa.deny("tcp", src, dst, "outside_access_in")),
        (asa.tag("ASA", "6", "305011"), asa.xlate_built("TCP", dst, src)),
        (asa.tag("ASA", "6", "305012"),
         asa.xlate_teardown("TCP", dst, src, rng.integers(0, 200, n))),
        (asa.tag("ASA", "6", "302020"),
         asa.icmp("Built", icmp_f, icmp_l, icmp_l, "8", direction="inbound")),
        (asa.tag("ASA", "6", "302021"), asa.icmp("Teardown", icmp_f, icmp_l, icmp_l, "8")),
    ]
    body: pa.Array = pa.nulls(n, pa.string())
    for k, (tag, text_) in enumerate(bodies):
        body = where(which == k, join(tag, text_), body)
    device = np.where(rng.random(n) < 0.6, "asa-edge01", "asa-dc02")
    return pa.array(device), body


def make_pools(rng: np.random.Generator) -> Pools:
    inside = [f"10.{a}.{b}.{c + 1}" for a, b, c in rng.integers(0, 254, (4000, 3))]
    outside = [f"{a}.{b}.{c}.{d}" for a, b, c, d in
               rng.integers(1, 223, (12000, 4))]
    inside6 = [f"fd00:10:{a:x}::{b:x}" for a, b in rng.integers(1, 0xFFFF, (300, 2))]
    outside6 = [f"2001:db8:{a:x}:{b:x}::{c:x}" for a, b, c in rng.integers(1, 0xFFFF, (900, 3))]
    users = [f"LOCAL\\user{k:03d}" for k in range(40)] + [f"CORP\\svc-app{k}" for k in range(10)]
    interfaces = ["inside"] * 12 + ["dmz.servers"] * 6 + ["vlan-20"] + ["NP Identity Ifc"]
    return Pools(*(pa.array(x, pa.string()) for x in
                    (inside, outside, inside6, outside6, users, interfaces)))


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a fast, well-spread integer hash (uint64 arithmetic wraps)."""
    x = (x + np.uint64(0x9E3779B97F4A7C15)) & _M64
    x = ((x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _M64
    x = ((x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _M64
    return x ^ (x >> np.uint64(31))
