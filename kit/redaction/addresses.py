"""Keyed, prefix-preserving IP pseudonyms that keep each address in its class.

Crypto-PAn (via ``yacryptopan``) maps addresses so that two inputs sharing a k-bit prefix give
outputs sharing a k-bit prefix: subnets stay recognisable. Plain Crypto-PAn would also turn a
private 10.x address into a public one, which misleads whoever reads the report, so each address
keeps its *class*: inside a special-purpose network (RFC 1918, CGNAT, loopback, link-local,
documentation, ULA, ...) only the host bits are anonymised; a public address is mapped by
Crypto-PAn and, if it lands in a special network, mapped again (cycle walking) until it is public.
Both steps are permutations of their class, so the mapping stays one-to-one and deterministic.

The documentation ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32) are
deliberately *not* special: they are too small to hide a handful of hosts in (a pseudonym would
often equal another original address), and no real host lives there, so they map like public
addresses.
"""

from __future__ import annotations

import ipaddress
from functools import cache

from yacryptopan import CryptoPAn

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Special-purpose networks whose addresses stay inside them (host bits anonymised). Nested
#: entries are fine: an address belongs to the most specific network that holds it.
SPECIAL_NETWORKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        # IPv4 (RFC 6890 and friends)
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
        # IPv6: global unicast keeps its /3; ULA, link-local, multicast, translation, ...
        "2000::/3", "fc00::/7", "fe80::/10", "ff00::/8", "64:ff9b::/96", "100::/64",
        "::ffff:0:0/96",
    )
)

#: Addresses that identify nobody and read better unchanged (unspecified, loopback, broadcast).
FIXED_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(a) for a in ("0.0.0.0", "127.0.0.1", "255.255.255.255", "::", "::1")
)


class AddressMapper:
    """Map IP address strings to keyed pseudonyms in the same class (see the module docstring).

    Parameters
    ----------
    key
        32 bytes: the Crypto-PAn key (16 bytes AES key + 16 bytes padding).
    """

    def __init__(self, key: bytes):
        if len(key) != 32:
            raise ValueError(f"the address key must be 32 bytes, got {len(key)}")
        self._cryptopan = CryptoPAn(bytes(key))
        self._cache: dict[IPAddress, IPAddress] = {}

    def __call__(self, text: str) -> str:
        """The pseudonym of the address ``text``; raises ValueError if it is not an address."""
        return str(self.map(ipaddress.ip_address(text.strip())))

    def map(self, address: IPAddress) -> IPAddress:
        """The pseudonym of ``address`` (cached: each distinct address is computed once)."""
        mapped = self._cache.get(address)
        if mapped is None:
            mapped = self._map(address)
            self._cache[address] = mapped
        return mapped

    def _map(self, address: IPAddress) -> IPAddress:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            # ::ffff:a.b.c.d shows the same pseudonym as a.b.c.d would
            inner = self.map(address.ipv4_mapped)
            return ipaddress.IPv6Address(int(address) & ~0xFFFFFFFF | int(inner))
        home = address_class(address)
        if home is None:  # a fixed address
            return address
        value = address
        while True:  # cycle walking: a permutation restricted to a subset returns into it
            value = self._step(value, home)
            if address_class(value) == home:
                return value

    def _step(self, address: IPAddress, home: IPNetwork | str) -> IPAddress:
        anonymised = self._cryptopan.anonymize_bin(int(address), address.version)
        if isinstance(home, str):  # the rest of the address space: the whole address
            return type(address)(anonymised)
        host_bits = anonymised & int(home.hostmask)
        return type(address)(int(home.network_address) | host_bits)


def address_class(address: IPAddress) -> IPNetwork | str | None:
    """The class an address must stay in: its most specific special network, ``"rest-v4"`` /
    ``"rest-v6"`` for everything else (public IPv4), or None for a fixed address (unchanged)."""
    if address in FIXED_ADDRESSES:
        return None
    network = _most_specific(address)
    return network if network is not None else f"rest-v{address.version}"


def _most_specific(address: IPAddress) -> IPNetwork | None:
    best: IPNetwork | None = None
    for network in _networks(address.version):
        if address in network and (best is None or network.prefixlen > best.prefixlen):
            best = network
    return best


@cache
def _networks(version: int) -> tuple[IPNetwork, ...]:
    return tuple(n for n in SPECIAL_NETWORKS if n.version == version)


def parse_address(text: str) -> IPAddress | None:
    """``text`` as an IP address, or None when it is not one (a host name, garbage)."""
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None
