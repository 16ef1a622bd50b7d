"""ASA/FTD ``106015 Deny TCP (no connection)``: a packet of a connection the firewall no longer
knows, typically the application's first write after an idle teardown (the consequence evidence
``kit.explain_failures`` pairs with that teardown). Read into the connection-event frame as event
``deny-no-connection``: its endpoints, and its TCP flags as ``reason`` (``flags PSH ACK``)::

    Deny TCP (no connection) from 10.20.1.11/49199 to 10.10.1.20/13724 flags PSH ACK  on
    interface dmz
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .blocks import views
from .reasons import NO_CLOSE

DENY_NO_CONNECTION = "106015"
EXPECTED = ("'Deny TCP (no connection) from <addr>/<port> to <addr>/<port> flags <flags> "
            "on interface <if>'")
_PATTERN = (r"^Deny (?:TCP|tcp) \(no connection\) from (?P<ip1>[^/\s]+)/(?P<port1>\d{1,5}) "
            r"to (?P<ip2>[^/\s]+)/(?P<port2>\d{1,5})(?: flags (?P<flags>[A-Z ]*?))?"
            r"\s+on interface (?P<if1>[^\s]+)[ \t\r]*(?:\n|$)")


def parse_denies(buffer: pa.Buffer, starts: np.ndarray, rows: np.ndarray, msg: np.ndarray,
                 product: np.ndarray) -> tuple[dict[str, object], np.ndarray, list[str]]:
    """Read 106015 messages whose text (after the tag) starts at ``starts`` of ``buffer``
    (``rows``, ``msg``, ``product`` as in ``cisco.parse_connections``).

    Returns the fields of a ``cisco.Connections`` of the rows that matched, and the block rows
    that did not with one reason each.
    """
    found = pc.extract_regex(views(buffer, np.asarray(starts, dtype=np.int64)), _PATTERN)
    ok = found.is_valid().to_numpy(zero_copy_only=False)
    keep = pa.array(ok)
    field = {name: pc.struct_field(found, [i]).filter(keep).cast(pa.large_string())
             for i, name in enumerate(("ip1", "port1", "ip2", "port2", "flags", "if1"))}
    ports = [pc.cast(field[p], pa.int64()).to_numpy(zero_copy_only=False)
             for p in ("port1", "port2")]
    in_range = (ports[0] <= 65535) & (ports[1] <= 65535)
    ok[np.flatnonzero(ok)[~in_range]] = False
    n = int(in_range.sum())
    subset = pa.array(in_range)
    text = pa.large_string()
    flags = pc.binary_join_element_wise(pa.scalar("flags ", text), pc.utf8_trim_whitespace(
        field["flags"].filter(subset)), pa.scalar("", text))
    nulls = pa.nulls(n, pa.large_string())
    columns = {
        "conn_id": nulls, "conn_number": np.zeros(n, np.uint64),
        "conn_numeric": np.zeros(n, bool),
        # the packet arrived on the sender's interface; the other side's is not logged
        "if1": field["if1"].filter(subset), "ip1": field["ip1"].filter(subset),
        "port1": ports[0][in_range].astype(np.uint16),
        "if2": nulls, "ip2": field["ip2"].filter(subset),
        "port2": ports[1][in_range].astype(np.uint16),
        "first_initiated": np.full(n, -1, np.int8),  # a packet's sender, not the initiator
        "duration_ns": np.full(n, np.iinfo(np.int64).min, np.int64),
        "nbytes": np.zeros(n, np.uint64), "has_bytes": np.zeros(n, bool),
        "reason": flags.cast(pa.large_string()), "close": np.full(n, NO_CLOSE, np.int8),
        "user1": None, "user2": None, "aaa_user": None,
        "row": rows[ok], "msg": msg[ok], "product": product[ok],
    }
    why = f"{DENY_NO_CONNECTION}: message not understood (expected {EXPECTED})"
    return columns, rows[~ok], [why] * int((~ok).sum())
