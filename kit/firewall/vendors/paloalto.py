"""Palo Alto PAN-OS TRAFFIC logs (syslog CSV, 8.x-11.x) -> connection events.

evidence-sources.md §3. Everything before the CSV is header (BSD, RFC 5424, octet-counted, relay
prefixes): the CSV starts at ``<digit>,YYYY/MM/DD HH:MM:SS,``; the Strata/Cortex forwarder
(``panwlogs``) has no leading ``1,`` and its own column order (``FORWARDER``). The CSV is read by
pyarrow's CSV reader (quoted values, commas inside braces), with the block row number prepended
as a first column so rows keep their line through re-reads. Any column count >= 47 is read;
later columns are ignored except the parent session id (58, unused) and the high-resolution
timestamp (102), whose offset is preferred to the user's ``tz``.

``end`` rows are teardowns and ``start`` rows builts; ``time`` = Generated, ``duration`` =
Generated - Start, ``active`` = Elapsed (first to last packet), so ``idle_wait`` is each
session's effective idle timeout (§3.6).
"""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from ..zones import ZONE_DEVICE
from .common import (
    Account,
    Parsed,
    VendorSettings,
    close_of,
    empty_events,
    event_table,
    integers,
    join,
)
from .lines import matches, split_lines
from .stamps import NAT, iso_utc, slash_local

NAME = "paloalto"
#: what marks a PAN-OS line (vendor detection): the CSV's start, or the forwarder's app name
SIGNATURE = r"(?:^|[\s>:])\d,\d{4}/\d\d/\d\d \d\d:\d\d:\d\d,[^,]*,[A-Z]+,|\spanwlogs\s"
EXPECTED = ("a PAN-OS syslog CSV line like '<14>Mar  2 02:30:06 fw-edge-01 1,2026/03/02 "
            "02:30:06,013201009999,TRAFFIC,end,...'")
MIN_FIELDS = 47
_START = r"\d,\d{4}/\d\d/\d\d \d\d:\d\d:\d\d,"
_FORWARDER = r"^(?P<head>.*?\spanwlogs\s+\S+\s+)\S"

#: §3.1 positions (0-based after the header)
STANDARD = {
    "serial": 2, "type": 3, "subtype": 4, "generated": 6, "src_ip": 7, "dst_ip": 8,
    "user": 12, "app": 14, "src_if": 16, "dst_if": 17, "session": 22, "src_port": 24,
    "dst_port": 25, "protocol": 29, "bytes": 31, "bytes_received": 33, "start": 35,
    "elapsed": 36, "packets_sent": 44, "packets_received": 45, "reason": 46,
    "device_name": 52, "high_resolution": 102,
}
#: the forwarder's order (§3.3, a public sample): time 0 and serial 1 ISO/plain, type 2,
#: subtype 3, session 20, ports 22/23, protocol 26, bytes 28-30, start 32, elapsed 33, reason
#: 40. Addresses at 5/6 are [U] (not in the reference); packets are not located, so "reply
#: seen" is bytes received (30) > 0.
FORWARDER = {
    "generated": 0, "serial": 1, "type": 2, "subtype": 3, "src_ip": 5, "dst_ip": 6,
    "session": 20, "src_port": 22, "dst_port": 23, "protocol": 26, "bytes": 28,
    "bytes_received": 30, "start": 32, "elapsed": 33, "reason": 40,
}
_OPTIONAL = ("device_name", "high_resolution", "user", "app", "src_if", "dst_if")
#: §2: end reason -> close (aged-out is decided with the protocol and packets, see _closes)
_CLOSES = {
    "tcp-fin": "fin", "tcp-rst-from-client": "reset", "tcp-rst-from-server": "reset",
    "policy-deny": "policy", "threat": "policy", "tcp-reuse": "other", "decoder": "other",
    "resources-unavailable": "other", "unknown": "other", "n/a": "other",
}


def close_class(reason: str | None) -> str | None:
    """The close class of an end reason; ``aged-out`` is refined by :func:`_closes`."""
    if reason is None or reason == "":
        return None
    key = reason.strip().lower()
    if key == "aged-out":
        return "idle-timeout"
    if key.startswith("decrypt"):
        return "policy"
    return _CLOSES.get(key, "other")


def parse_block(block: bytes, settings: VendorSettings) -> Parsed:
    """Classify and parse every line of ``block`` (see the module docstring)."""
    lines = split_lines(block)
    account = Account(lines)
    text = lines.text
    at = pc.find_substring_regex(text, _START).to_numpy(zero_copy_only=False)
    forwarder = np.zeros(len(lines), bool)
    if b"panwlogs" in block:  # a bytes search first: the regex reads every line whole
        forwarder = matches(text, r"\spanwlogs\s") & ~lines.control
    standard = (at >= 0) & ~forwarder & ~lines.control
    account.untagged(standard | forwarder, EXPECTED)
    tables = []
    rows = np.flatnonzero(standard)
    if len(rows):
        bodies = lines.span(rows, lines.starts[rows] + at[rows])
        tables.append(_rows(bodies, rows, STANDARD, account, settings))
    rows = np.flatnonzero(forwarder)
    if len(rows):
        heads = pc.extract_regex(text.take(pa.array(rows)), _FORWARDER)
        found = heads.is_valid().to_numpy(zero_copy_only=False)
        account.reject(rows[~found], "PAN-OS forwarder line without its CSV (expected "
                                     "'... panwlogs - <time>,<serial>,TRAFFIC,end,...')")
        length = pc.fill_null(pc.binary_length(pc.struct_field(heads, [0])), 0).to_numpy(
            zero_copy_only=False)
        rows, length = rows[found], length[found]
        bodies = lines.span(rows, lines.starts[rows] + length)
        tables.append(_rows(bodies, rows, FORWARDER, account, settings,
                            hosts=_hosts(pc.struct_field(heads, [0]).filter(pa.array(found)))))
    events = pa.concat_tables(tables) if tables else empty_events()
    row = events.column("row").to_numpy()
    if np.any(row[1:] < row[:-1]):  # re-read groups or forwarder rows: back to line order
        events = events.take(pa.array(np.argsort(row, kind="stable")))
    return account.finish(int(standard.sum() + forwarder.sum()), events)


def _hosts(heads: pa.Array) -> pa.Array:
    """The sending host of a forwarder line: the token after the RFC 5424 stamp."""
    return pc.struct_field(pc.extract_regex(heads, r"^(?:\d+ )?<\d+>1 \S+ (?P<h>\S+)"), [0])


def _rows(bodies: pa.Array, rows: np.ndarray, layout: dict[str, int], account: Account,
          settings: VendorSettings, hosts: pa.Array | None = None) -> pa.Table:
    """The CSV bodies of ``rows`` -> event rows (others ignored or rejected on ``account``)."""
    numbered = join(pa.array(rows), bodies, sep=",")
    data = join(numbered, "\n")
    tables = _read_csv(_joined(data), layout, account)
    if not tables:
        return empty_events()
    table = pa.concat_tables(tables)
    if hosts is not None:  # forwarder: the header host where the serial is "no-serial"
        where = np.searchsorted(rows, table.column("row").to_numpy())
        table = table.append_column("host", hosts.take(pa.array(where)))
    return _events(table, layout, account, settings)


def _joined(data: pa.Array) -> bytes:
    """The strings of ``data`` concatenated (one buffer)."""
    offsets = np.frombuffer(data.buffers()[1], dtype=np.int64 if pa.types.is_large_string(
        data.type) else np.int32)
    first, last = offsets[data.offset], offsets[data.offset + len(data)]
    return memoryview(data.buffers()[2])[first:last].tobytes()


def _read_csv(data: bytes, layout: dict[str, int], account: Account, *,
              whole: bool = True) -> list[pa.Table]:
    """CSV rows -> tables of the layout's fields (strings) plus ``row``. Rows whose column
    count differs from the first row's are re-read as their own group; groups too short to
    hold the end reason are rejected unless they are another log type (ignored)."""
    invalid: dict[int, list[bytes]] = {}

    def other_count(row: pcsv.InvalidRow) -> str:
        invalid.setdefault(row.actual_columns, []).append(row.text.encode("utf-8"))
        return "skip"

    names = {name: f"f{pos + 1}" for name, pos in layout.items()}
    include = ["f0", *names.values()]
    try:
        table = pcsv.read_csv(
            io.BytesIO(data),
            read_options=pcsv.ReadOptions(autogenerate_column_names=True, use_threads=False,
                                          block_size=max(len(data) + 1, 1 << 20)),
            parse_options=pcsv.ParseOptions(invalid_row_handler=other_count),
            convert_options=pcsv.ConvertOptions(
                include_columns=include, include_missing_columns=True,
                column_types={c: pa.large_string() for c in include},
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except pa.ArrowInvalid:
        if not whole:  # one line the reader refuses: the caller rejects it
            raise
        return _bisect(data, layout, account)
    table = table.rename_columns(["row", *names])
    table = table.set_column(0, "row", pc.cast(table.column("row"), pa.int64()))
    required = [n for n in layout if n not in _OPTIONAL]
    last = max(required, key=lambda n: layout[n])
    out = []
    if table.num_rows:
        if table.column(last).null_count == table.num_rows:  # shorter than the layout
            _short(table, account)
        else:
            out.append(table)
    for group in invalid.values():
        out += _read_csv(b"\n".join(group) + b"\n", layout, account)
    return out


def _bisect(data: bytes, layout: dict[str, int], account: Account) -> list[pa.Table]:
    """A group the CSV reader refuses as a whole: read each half on its own, down to the
    single lines it refuses (rejected), so one bad line costs a few re-reads, not thousands."""
    lines = data.splitlines()
    if len(lines) == 1:
        try:
            return _read_csv(data, layout, account, whole=False)
        except (pa.ArrowInvalid, ValueError):
            row = int(lines[0].split(b",", 1)[0])
            account.reject(np.array([row]), "PAN-OS CSV that cannot be read (unbalanced "
                                            "quotes?)")
            return []
    half = len(lines) // 2
    return [table for part in (lines[:half], lines[half:])
            for table in _read_csv(b"\n".join(part) + b"\n", layout, account)]


def _short(table: pa.Table, account: Account) -> None:
    """Rows with fewer than the layout's fields: other log types are ignored, TRAFFIC
    rows rejected."""
    rows = table.column("row").to_numpy()
    kind = pc.fill_null(table.column("type"), "")
    traffic = pc.equal(kind, "TRAFFIC").to_numpy(zero_copy_only=False)
    account.ignore_each(_keys(table.filter(pa.array(~traffic))))
    account.reject(rows[traffic], f"PAN-OS TRAFFIC log with fewer than {MIN_FIELDS} fields "
                                  "(the end reason is field 46)")


def _keys(table: pa.Table) -> pa.Array:
    """``TYPE/subtype`` per row: how ignored PAN-OS logs are counted."""
    return join(pc.fill_null(table.column("type"), "?"),
                pc.fill_null(table.column("subtype"), "?"), sep="/")


def _events(table: pa.Table, layout: dict[str, int], account: Account,
            settings: VendorSettings) -> pa.Table:
    """TRAFFIC start/end rows -> events; other types and protocols ignored, bad values
    rejected."""
    kind, subtype, protocol = (pc.fill_null(table.column(c), "")
                               for c in ("type", "subtype", "protocol"))
    traffic = pc.and_(pc.equal(kind, "TRAFFIC"),
                      pc.is_in(subtype, pa.array(["start", "end"]))).to_numpy(
        zero_copy_only=False)
    connection = traffic & pc.is_in(protocol, pa.array(["tcp", "udp"])).to_numpy(
        zero_copy_only=False)
    if not connection.all():  # other types and protocols, counted by name
        account.ignore_each(_keys(table.filter(pa.array(~traffic))))
        other = pa.array(traffic & ~connection)
        account.ignore_each(join(_keys(table.filter(other)), protocol.filter(other), sep="/"))
        table = table.filter(pa.array(connection))
    rows = table.column("row").to_numpy()
    col = {name: pc.fill_null(table.column(name), "").combine_chunks()
           for name in table.column_names if name != "row"}
    end = pc.equal(pc.utf8_lower(col["subtype"]), "end").to_numpy(zero_copy_only=False)
    number = {name: integers(col[name]) for name in
              ("src_port", "dst_port", "bytes", "elapsed", "bytes_received")}
    for name in ("packets_sent", "packets_received"):
        if name in col:
            number[name] = integers(col[name])
    forwarder = "packets_sent" not in layout
    if forwarder:
        generated, gen_ok = iso_utc(col["generated"])
        start, start_ok = iso_utc(col["start"])
        zone = np.zeros(len(rows), np.int16)
    else:
        generated, gen_ok = slash_local(col["generated"])
        start, start_ok = slash_local(col["start"])
        zone = np.full(len(rows), ZONE_DEVICE, np.int16)
    bad_port = ~(number["src_port"][1] & number["dst_port"][1]) | (
        np.maximum(number["src_port"][0], number["dst_port"][0]) > 65535)
    bad_count = end & ~(number["bytes"][1] & number["elapsed"][1])
    bad_time = ~gen_ok | (end & ~start_ok)
    bad = bad_port | bad_count | bad_time
    account.reject(rows[bad], np.where(
        bad_time[bad], "PAN-OS TRAFFIC: Generated or Start time not 'YYYY/MM/DD HH:MM:SS'",
        np.where(bad_port[bad], "PAN-OS TRAFFIC: port not a number 0-65535",
                 "PAN-OS TRAFFIC: bytes or elapsed time not a number")).tolist())
    keep = ~bad
    take = pa.array(np.flatnonzero(keep))
    col = {k: v.take(take) for k, v in col.items()}
    number = {k: (v[0][keep], v[1][keep]) for k, v in number.items()}
    rows, end, generated, start, zone = rows[keep], end[keep], generated[keep], start[keep], \
        zone[keep]
    duration = np.where(end, generated - start, NAT)  # both on the firewall's own clock
    if "high_resolution" in col:
        generated, zone = _high_resolution(col["high_resolution"], generated, zone)
    reason = pc.if_else(pa.array(end), col["reason"], pa.nulls(len(rows), pa.large_string()))
    device = pc.if_else(pc.not_equal(col.get("device_name", col["serial"]), ""),
                        col.get("device_name", col["serial"]), col["serial"])
    if forwarder and "host" in col:
        device = pc.if_else(pc.equal(col["serial"], "no-serial"), col["host"], device)
    active = np.where(end, number["elapsed"][0] * 10**9, NAT)
    user = col.get("user")
    return event_table(
        len(rows), row=rows, local_ns=generated, zone=zone, yearless=np.zeros(len(rows), bool),
        device=device, vendor=NAME,
        msg_id=join("TRAFFIC", col["subtype"], sep="/"),
        event=pc.if_else(pa.array(end), "teardown", "built"),
        protocol=pc.utf8_lower(col["protocol"]), conn_id=col["session"],
        src_if=_blank_null(col.get("src_if")), src_ip=col["src_ip"],
        src_port=number["src_port"][0],
        dst_if=_blank_null(col.get("dst_if")), dst_ip=col["dst_ip"],
        dst_port=number["dst_port"][0],
        duration_ns=pa.array(duration, mask=~end), active_ns=pa.array(active, mask=~end),
        bytes=pa.array(number["bytes"][0], pa.uint64(), mask=~end),
        reason=reason, close=_closes(reason, col["protocol"], number, end),
        user=_blank_null(user))


def _blank_null(values: pa.Array | None) -> pa.Array | None:
    if values is None:
        return None
    return pc.if_else(pc.equal(values, ""), pa.nulls(len(values), values.type), values)


def _high_resolution(text: pa.Array, generated: np.ndarray, zone: np.ndarray,
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Field 102 (``2026-03-02T02:30:05.412+01:00``, 10.x+) where present: its instant, and its
    offset as the row's zone (so the row no longer depends on the user's ``tz``)."""
    utc, ok = iso_utc(text)
    if not ok.any():
        return generated, zone
    offset = pc.extract_regex(text, r"(?P<sign>[+-])(?P<h>\d\d):?(?P<m>\d\d)$|(?P<z>Z)$")
    sign = pc.fill_null(pc.struct_field(offset, [0]), "+")
    hours = pc.fill_null(pc.cast(pc.struct_field(offset, [1]), pa.int64()), 0)
    minutes = pc.fill_null(pc.cast(pc.struct_field(offset, [2]), pa.int64()), 0)
    east = (hours.to_numpy(zero_copy_only=False) * 60 + minutes.to_numpy(zero_copy_only=False))
    east = np.where(pc.equal(sign, "-").to_numpy(zero_copy_only=False), -east, east)
    local = utc + east * 60 * 10**9
    return np.where(ok, local, generated), np.where(ok, east, zone).astype(np.int16)


def _closes(reason: pa.Array, protocol: pa.Array, number: dict, end: np.ndarray) -> pa.Array:
    """§2: the reason's class; ``aged-out`` on TCP without a reply is a SYN timeout."""
    close = close_of(reason, close_class)
    received = number.get("packets_received", number["bytes_received"])
    no_reply = received[1] & (received[0] == 0)
    if "packets_sent" in number:
        no_reply |= number["packets_sent"][1] & (number["packets_sent"][0] == 0)
    aged = pc.equal(pc.utf8_lower(pc.fill_null(reason, "")), "aged-out").to_numpy(
        zero_copy_only=False)
    tcp = pc.equal(pc.utf8_lower(protocol), "tcp").to_numpy(zero_copy_only=False)
    syn = end & aged & tcp & no_reply
    return pc.if_else(pa.array(syn), "syn-timeout", close)
