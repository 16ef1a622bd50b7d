"""ASA/FTD denies of packets the firewall no longer has a connection for, read into the
connection-event frame as event ``deny-no-connection`` (the consequence evidence
``kit.explain_failures`` pairs with an idle teardown):

- ``106015 Deny TCP (no connection)``: typically the application's first write after an idle
  teardown; its TCP flags become ``reason`` (``flags PSH ACK``)::

    Deny TCP (no connection) from 10.20.1.11/49199 to 10.10.1.20/13724 flags PSH ACK  on
    interface dmz

- ``106023`` TCP access-list denies: the same consequence when the rule set has no permit for
  the packet, but far more often an unrelated scan; a block only reads them as *candidates*
  (``reason`` ``access-group <acl>``), and :mod:`.acl` keeps those that follow a teardown of
  the same endpoints::

    Deny tcp src outside:198.51.100.20/1556 dst dmz:192.0.2.10/50412 by access-group
    "outside_in" [0x0, 0x0]
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .blocks import views
from .reasons import NO_CLOSE

DENY_NO_CONNECTION = "106015"
ACL_DENY = "106023"
EXPECTED = ("'Deny TCP (no connection) from <addr>/<port> to <addr>/<port> flags <flags> "
            "on interface <if>'")
ACL_EXPECTED = ("'Deny tcp src <if>:<addr>/<port> dst <if>:<addr>/<port> by access-group "
                "\"<acl>\" [<hash>, <hash>]'")
_PATTERN = (r"^Deny (?:TCP|tcp) \(no connection\) from (?P<ip1>[^/\s]+)/(?P<port1>\d{1,5}) "
            r"to (?P<ip2>[^/\s]+)/(?P<port2>\d{1,5})(?: flags (?P<flags>[A-Z ]*?))?"
            r"\s+on interface (?P<if1>[^\s]+)[ \t\r]*(?:\n|$)")
#: a TCP 106023 (its endpoints may carry an identity user in parentheses); UDP and ICMP
#: (``type=8, code=0``) 106023 lines are not candidates and stay ignored
ACL_START = r"^Deny (?:tcp|TCP) src "
_ACL_PATTERN = (r"^Deny (?:tcp|TCP) src (?P<if1>[^:\s]+):(?P<ip1>[^/\s]+)/(?P<port1>\d{1,5})"
                r"(?:\([^)\n]*\))? dst (?P<if2>[^:\s]+):(?P<ip2>[^/\s]+)/(?P<port2>\d{1,5})"
                r"(?:\([^)\n]*\))? by access-group \"(?P<acl>[^\"\n]*)\"[^\n]*(?:\n|$)")


def parse_denies(buffer: pa.Buffer, starts: np.ndarray, rows: np.ndarray, msg: np.ndarray,
                 product: np.ndarray) -> tuple[dict[str, object], np.ndarray, list[str]]:
    """Read 106015 messages whose text (after the tag) starts at ``starts`` of ``buffer``
    (``rows``, ``msg``, ``product`` as in ``cisco.parse_connections``).

    Returns the fields of a ``cisco.Connections`` of the rows that matched, and the block rows
    that did not with one reason each.
    """
    field, ok = _fields(buffer, starts, _PATTERN,
                        ("ip1", "port1", "ip2", "port2", "flags", "if1"))
    text = pa.large_string()
    flags = pc.binary_join_element_wise(pa.scalar("flags ", text), pc.utf8_trim_whitespace(
        field["flags"]), pa.scalar("", text))
    # the packet arrived on the sender's interface; the other side's is not logged
    columns = _columns(field, pa.nulls(len(flags), text), flags, rows[ok], msg[ok], product[ok])
    why = f"{DENY_NO_CONNECTION}: message not understood (expected {EXPECTED})"
    return columns, rows[~ok], [why] * int((~ok).sum())


def parse_acl_denies(buffer: pa.Buffer, starts: np.ndarray, rows: np.ndarray, msg: np.ndarray,
                     product: np.ndarray) -> tuple[dict[str, object], np.ndarray, list[str]]:
    """Read TCP 106023 messages (as :func:`parse_denies`; a damaged one is rejected)."""
    field, ok = _fields(buffer, starts, _ACL_PATTERN,
                        ("if1", "ip1", "port1", "if2", "ip2", "port2", "acl"))
    text = pa.large_string()
    acl = pc.binary_join_element_wise(pa.scalar("access-group ", text), field["acl"],
                                      pa.scalar("", text))
    columns = _columns(field, field["if2"], acl, rows[ok], msg[ok], product[ok])
    why = f"{ACL_DENY}: message not understood (expected {ACL_EXPECTED})"
    return columns, rows[~ok], [why] * int((~ok).sum())


def _fields(buffer: pa.Buffer, starts: np.ndarray, pattern: str, names: tuple[str, ...],
            ) -> tuple[dict[str, object], np.ndarray]:
    """The named groups of ``pattern`` on the rows that match it with both ports in range
    (ports as numpy), and which rows those are."""
    found = pc.extract_regex(views(buffer, np.asarray(starts, dtype=np.int64)), pattern)
    ok = found.is_valid().to_numpy(zero_copy_only=False)
    keep = pa.array(ok)
    field: dict[str, object] = {
        name: pc.struct_field(found, [i]).filter(keep).cast(pa.large_string())
        for i, name in enumerate(names)}
    ports = [pc.cast(field[p], pa.int64()).to_numpy(zero_copy_only=False)
             for p in ("port1", "port2")]
    in_range = (ports[0] <= 65535) & (ports[1] <= 65535)
    ok[np.flatnonzero(ok)[~in_range]] = False
    subset = pa.array(in_range)
    field = {name: values.filter(subset) for name, values in field.items()}
    field["port1"], field["port2"] = (p[in_range].astype(np.uint16) for p in ports)
    return field, ok


def _columns(field: dict[str, object], if2: pa.Array, reason: pa.Array, rows: np.ndarray,
             msg: np.ndarray, product: np.ndarray) -> dict[str, object]:
    """The fields of a ``cisco.Connections`` of denied packets (no connection id, duration or
    bytes; the sender is not necessarily the initiator)."""
    n = len(rows)
    return {
        "conn_id": pa.nulls(n, pa.large_string()), "conn_number": np.zeros(n, np.uint64),
        "conn_numeric": np.zeros(n, bool),
        "if1": field["if1"], "ip1": field["ip1"], "port1": field["port1"],
        "if2": if2, "ip2": field["ip2"], "port2": field["port2"],
        "first_initiated": np.full(n, -1, np.int8),  # a packet's sender, not the initiator
        "duration_ns": np.full(n, np.iinfo(np.int64).min, np.int64),
        "nbytes": np.zeros(n, np.uint64), "has_bytes": np.zeros(n, bool),
        "reason": reason.cast(pa.large_string()), "close": np.full(n, NO_CLOSE, np.int8),
        "user1": None, "user2": None, "aaa_user": None,
        "row": rows, "msg": msg, "product": product,
    }
