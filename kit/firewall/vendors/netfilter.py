"""Linux conntrack events (``conntrack -E -o timestamp,extended,id``) -> connection events.

evidence-sources.md §7. ``[NEW]`` is a built, ``[DESTROY]`` a teardown; ``[UPDATE]`` lines are
counted as ignored but remembered: DESTROY carries no reason, so its close is inferred per file
(:func:`settle_file`). An assured TCP flow destroyed with no FIN/RST/CLOSE-state update before it
expired idle (reason ``inferred: no close seen``); a TCP flow never assured timed out in its
handshake; UDP flows expire as their normal end. The ``[sec.usec]`` prefix (the tool's receipt
time, UTC) dates the line; ``delta-time`` (seconds since creation) is the duration. The lines
name no host: the device is the file's name up to its first dot.
"""

from __future__ import annotations

from pathlib import PurePath

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .common import Account, Parsed, VendorSettings, empty_events, event_table, integers, join
from .keyvalue import pairs
from .lines import split_lines
from .stamps import seconds_fraction

NAME = "netfilter"
SIGNATURE = r"^\s*(?:\[\d+\.\d+\]\s+)?\[(?:NEW|UPDATE|DESTROY)\]\s"
EXPECTED = ("a conntrack -E -o timestamp,extended,id line like '[1772415005.123456]\t"
            "[DESTROY] ipv4 2 tcp 6 src=192.0.2.10 dst=198.51.100.20 sport=50412 dport=1556 "
            "... id=3087654321'")
_LINE = (r"^\s*\[(?P<ts>\d+(?:\.\d+)?)\]\s+\[(?P<event>NEW|UPDATE|DESTROY)\]\s+"
         r"(?:ipv[46]\s+\d+\s+)?(?P<proto>[a-z]+)\s+\d+\s+(?:\d+\s+)?(?P<state>[A-Z_]+\s+)?src=")
#: states an UPDATE reaches once the flow closes (FIN exchange, or CLOSE after an RST)
CLOSING = ("FIN_WAIT", "CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE")
INFERRED_IDLE = "inferred: no close seen"
INFERRED_SYN = "inferred: never assured"
INFERRED_UDP = "inferred: udp expiry"


def parse_block(block: bytes, settings: VendorSettings) -> Parsed:
    """Classify and parse every line of ``block`` (see the module docstring)."""
    lines = split_lines(block)
    account = Account(lines)
    shape = pc.extract_regex(lines.text, _LINE)
    mine = shape.is_valid().to_numpy(zero_copy_only=False) & ~lines.control
    tagged = ~lines.control & pc.fill_null(pc.match_substring_regex(
        lines.text, SIGNATURE), False).to_numpy(zero_copy_only=False)
    account.untagged(mine | tagged, EXPECTED)
    account.reject(np.flatnonzero(tagged & ~mine), f"conntrack event not understood "
                                                   f"(expected {EXPECTED})")
    rows = np.flatnonzero(mine)
    if not len(rows):
        return account.finish(int(tagged.sum()), empty_events())
    shape = shape.take(pa.array(rows))
    event, proto = (pc.struct_field(shape, [k]) for k in (1, 2))
    state = pc.utf8_trim_whitespace(pc.fill_null(pc.struct_field(shape, [3]), ""))
    kv = pairs(lines, rows)
    flow_id = pc.fill_null(kv.values("id", rows), "")
    tuple_key = join(
        *(pc.fill_null(kv.values(k, rows), "") for k in ("src", "dst", "sport", "dport")),
        proto, sep=" ")
    flow = pc.if_else(pc.equal(flow_id, ""), tuple_key, flow_id)
    update = pc.equal(event, "UPDATE").to_numpy(zero_copy_only=False)
    connection = ~update & pc.is_in(proto, pa.array(["tcp", "udp"])).to_numpy(
        zero_copy_only=False)
    closing = update & pc.is_in(state, pa.array(CLOSING)).to_numpy(zero_copy_only=False)
    account.ignore_each(join(event, proto, sep="/").filter(
        pa.array(~connection)))
    assured = pc.fill_null(pc.match_substring(lines.text.take(pa.array(rows)), "[ASSURED]"),
                           False).to_numpy(zero_copy_only=False)
    time, time_ok = seconds_fraction(pc.struct_field(shape, [0]))
    sport, sport_ok = integers(pc.fill_null(kv.values("sport", rows), ""))
    dport, dport_ok = integers(pc.fill_null(kv.values("dport", rows), ""))
    delta, delta_ok = integers(pc.fill_null(kv.values("delta-time", rows), ""))
    destroy = pc.equal(event, "DESTROY").to_numpy(zero_copy_only=False)
    bad = connection & (~time_ok | ~sport_ok | ~dport_ok | (np.maximum(sport, dport) > 65535))
    account.reject(rows[bad], "conntrack event with an unreadable time stamp or port")
    keep = connection & ~bad
    take = pa.array(np.flatnonzero(keep))
    bytes_out, out_ok = integers(pc.fill_null(kv.values("bytes", rows, "first"), ""))
    bytes_back, back_ok = integers(pc.fill_null(kv.values("bytes", rows, "last"), ""))
    two = pc.greater(pc.count_substring(lines.text.take(pa.array(rows)), " bytes="), 1
                     ).to_numpy(zero_copy_only=False)
    nbytes = bytes_out + np.where(two & back_ok, bytes_back, 0)
    has_bytes = destroy & out_ok
    is_destroy = destroy[keep]
    events = event_table(
        int(keep.sum()), row=rows[keep], local_ns=time[keep], zone=np.zeros(int(keep.sum()),
                                                                            np.int16),
        yearless=np.zeros(int(keep.sum()), bool), vendor=NAME,
        msg_id=event.take(take), event=pc.if_else(pa.array(is_destroy), "teardown", "built"),
        protocol=proto.take(take), conn_id=flow.take(take),
        src_ip=kv.values("src", rows[keep]), src_port=sport[keep],
        dst_ip=kv.values("dst", rows[keep]), dst_port=dport[keep],
        duration_ns=pa.array(delta[keep] * 10**9, mask=~(is_destroy & delta_ok[keep])),
        bytes=pa.array(nbytes[keep], pa.uint64(), mask=~has_bytes[keep]),
        # the close is settled per file; ASSURED is kept in ``close`` until then
        close=pc.if_else(pa.array(assured[keep]), "assured", ""))
    extras = pa.table({"row": rows[closing], "flow": flow.filter(pa.array(closing)),
                       "state": state.filter(pa.array(closing))})
    result = account.finish(int(tagged.sum()), events)
    result.extras = extras
    return result


def settle_file(events: pa.Table, extras: pa.Table | None, lines: np.ndarray,
                extra_lines: np.ndarray, source: str) -> pa.Table:
    """Each DESTROY's close from the file's UPDATE history (module docstring), and the device
    named after the file."""
    n = events.num_rows
    device = PurePath(source).name.split(".")[0] or source
    teardown = pc.equal(events.column("event"), "teardown").to_numpy(zero_copy_only=False)
    tcp = pc.equal(events.column("protocol"), "tcp").to_numpy(zero_copy_only=False)
    assured = pc.equal(events.column("close"), "assured").to_numpy(zero_copy_only=False)
    flows = events.column("conn_id").combine_chunks()
    closed_before = np.zeros(n, bool)
    last_state = pa.nulls(n, pa.large_string())
    if extras is not None and extras.num_rows:
        # the last closing update of each flow before the teardown's line
        both = pc.dictionary_encode(pa.concat_arrays([flows.cast(pa.large_string()),
                                                      extras.column("flow").combine_chunks()
                                                      .cast(pa.large_string())]))
        codes = both.indices.to_numpy(zero_copy_only=False)
        event_code, extra_code = codes[:n], codes[n:]
        order = np.lexsort((extra_lines, extra_code))
        keys = extra_code[order].astype(np.int64) * (1 << 40) + extra_lines[order]
        probe = event_code.astype(np.int64) * (1 << 40) + lines
        at = np.searchsorted(keys, probe) - 1
        hit = (at >= 0) & (extra_code[order][np.maximum(at, 0)] == event_code)
        closed_before = hit
        states = extras.column("state").combine_chunks().take(pa.array(order))
        last_state = pc.if_else(pa.array(hit), states.take(pa.array(np.maximum(at, 0))),
                                pa.nulls(n, pa.large_string()))
    idle = teardown & tcp & assured & ~closed_before
    syn = teardown & tcp & ~assured & ~closed_before
    udp = teardown & ~tcp
    reset = pc.fill_null(pc.equal(last_state, "CLOSE"), False).to_numpy(zero_copy_only=False)
    closed = teardown & tcp & closed_before
    close = np.where(idle, "idle-timeout", np.where(syn, "syn-timeout", np.where(
        udp, "idle-timeout", np.where(closed & reset, "reset", np.where(closed, "fin", None)))))
    reason = np.where(idle, INFERRED_IDLE, np.where(syn, INFERRED_SYN, np.where(
        udp, INFERRED_UDP, None)))
    reason = pc.if_else(pa.array(closed), join(
        "last state ", pc.fill_null(last_state, "")), pa.array(reason, pa.large_string()))
    events = events.set_column(events.schema.get_field_index("close"), "close",
                               pa.array(close, pa.large_string()))
    events = events.set_column(events.schema.get_field_index("reason"), "reason",
                               reason.cast(pa.large_string()))
    return events.set_column(events.schema.get_field_index("device"), "device",
                             pa.array(np.full(n, device, dtype=object), pa.large_string()))
