"""Cisco ASA / FWSM message bodies and syslog headers, one formatter per message shape.

Each formatter takes whole columns (Arrow/numpy arrays, or scalars that broadcast) and returns an
Arrow string array, so the sample case and the benchmark log share these templates. The shapes
follow domain.md §A1 (templates and real samples) and §0 (the legacy FWSM teardown of the seed).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .text import Text, hms, join, optional, stamps, text


def tag(product: Text, severity: Text, msg_id: Text) -> pa.Array:
    """``%ASA-6-302013: `` (product ``ASA``/``FWSM``/``PIX``/``FTD``)."""
    return join("%", product, "-", severity, "-", msg_id, ": ")


def endpoint(ifname: Text, ip: Text, port: Text) -> pa.Array:
    """``inside:10.1.1.5/1556`` (IPv6 addresses need no brackets in ASA messages)."""
    return join(ifname, ":", ip, "/", port)


def built(protocol: Text, direction: Text, conn_id: Text, outer: pa.Array, outer_mapped: pa.Array,
          inner: pa.Array, inner_mapped: pa.Array, *, outer_user: Text = "",
          inner_user: Text = "") -> pa.Array:
    """302013/302015 body: ``Built inbound TCP connection 7 for if:ip/port (mip/mport) to ...``.

    ``outer`` is the ``for`` endpoint (the lower-security interface), ``inner`` the ``to`` one.
    For ``inbound`` the ``for`` endpoint initiated; for ``outbound`` the ``to`` endpoint did.
    ``*_mapped`` are ``ip/port`` strings; ``*_user`` are ``(DOMAIN\\user)`` or empty.
    """
    return join("Built ", direction, " ", protocol, " connection ", conn_id, " for ", outer,
                " (", outer_mapped, ")", outer_user, " to ", inner, " (", inner_mapped, ")",
                inner_user)


def teardown(protocol: Text, conn_id: Text, outer: pa.Array, inner: pa.Array,
             duration_s: np.ndarray, nbytes: Text, *, reason: Text = "", initiator: Text = "",
             outer_user: Text = "", inner_user: Text = "", aaa_user: Text = "") -> pa.Array:
    """302014/302016 body: ``Teardown TCP connection 7 for ... to ... duration 1:01:27 bytes 1546
    Conn-timeout from inside (user)``. An empty ``reason`` (UDP) leaves the tail off;
    ``initiator`` is an interface name or empty; ``aaa_user`` is ``(user)`` or empty.
    """
    tail = join(optional(_nonempty(reason), join(" ", reason)),
                optional(_nonempty(initiator), join(" from ", initiator)),
                optional(_nonempty(aaa_user), join(" ", aaa_user)))
    return join("Teardown ", protocol, " connection ", conn_id, " for ", outer, outer_user,
                " to ", inner, inner_user, " duration ", hms(duration_s), " bytes ", nbytes, tail)


def legacy_teardown(conn_id: Text, foreign: pa.Array, local: pa.Array, duration_s: np.ndarray,
                    nbytes: Text, reason: Text) -> pa.Array:
    """The PIX/FWSM legacy TCP teardown of the seed line (domain.md §0), without NAT:
    ``Teardown TCP connection 219048017 faddr ip/port gaddr ip/port laddr ip/port duration
    1:01:27 bytes 1546 (Conn-timeout)``; ``foreign``/``local`` are ``ip/port`` strings.
    """
    return join("Teardown TCP connection ", conn_id, " faddr ", foreign, " gaddr ", local,
                " laddr ", local, " duration ", hms(duration_s), " bytes ", nbytes,
                " (", reason, ")")


def deny(protocol: Text, src: pa.Array, dst: pa.Array, acl: Text) -> pa.Array:
    """106023 body: ``Deny tcp src outside:ip/port dst inside:ip/port by access-group "acl"``."""
    return join("Deny ", protocol, " src ", src, " dst ", dst, ' by access-group "', acl,
                '" [0x0, 0x0]')


def xlate_built(protocol: Text, real: pa.Array, mapped: pa.Array) -> pa.Array:
    """305011 body: ``Built dynamic TCP translation from inside:ip/port to outside:ip/port``."""
    return join("Built dynamic ", protocol, " translation from ", real, " to ", mapped)


def xlate_teardown(protocol: Text, real: pa.Array, mapped: pa.Array,
                   duration_s: np.ndarray) -> pa.Array:
    """305012 body: the 305011 text as a teardown, with ``duration h:mm:ss``."""
    return join("Teardown dynamic ", protocol, " translation from ", real, " to ", mapped,
                " duration ", hms(duration_s))


def icmp(action: Text, faddr: pa.Array, gaddr: pa.Array, laddr: pa.Array, icmp_type: Text,
         *, direction: Text = "") -> pa.Array:
    """302020 (``action="Built"``, with a direction) / 302021 (``"Teardown"``) ICMP bodies."""
    lead = join(action, optional(_nonempty(direction), join(" ", direction)))
    return join(lead, " ICMP connection for faddr ", faddr, " gaddr ", gaddr, " laddr ", laddr,
                " type ", icmp_type, " code 0")


def relay_header(epoch_seconds: np.ndarray, relay_host: Text, zone: str) -> pa.Array:
    """The relay's RFC 3164 header in its local ``zone``: ``Jun  2 16:54:07 relay01 ``."""
    return join(stamps(epoch_seconds, "rfc3164", zone), " ", relay_host, " ")


def device_stamp(epoch_seconds: np.ndarray, device: Text, zone: str = "UTC") -> pa.Array:
    """The device's own ``logging timestamp`` plus device-id: ``Jun 02 2009 21:54:05 asa01: ``."""
    return join(stamps(epoch_seconds, "cisco", zone), " ", device, ": ")


def _nonempty(value: Text) -> np.ndarray | bool:
    """Where an optional part is present: a bool for a scalar, a mask for a column."""
    column = text(value)
    if isinstance(column, str):
        return bool(column)
    return pc.not_equal(column, "").to_numpy(zero_copy_only=False)


def deny_no_connection(protocol: Text, src: Text, dst: Text, flags: Text,
                       interface: Text) -> pa.Array | str:
    """106015 body: ``Deny TCP (no connection) from ip/port to ip/port flags PSH ACK  on
    interface dmz``: a packet of a connection the firewall no longer knows (two spaces, as
    the ASA writes it)."""
    return join("Deny ", protocol, " (no connection) from ", src, " to ", dst, " flags ", flags,
                "  on interface ", interface)
