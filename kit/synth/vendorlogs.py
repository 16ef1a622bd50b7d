"""The same connections rendered as each vendor logs them (PAN-OS, FortiGate, SRX, conntrack).

Input is a *plan*: one row per connection with its endpoints, start, last activity, end, bytes
and how it ended (``END_KINDS``), e.g. from :func:`plan_of` on the sample's sessions. Each
renderer returns ``(time, line)`` columns: the event's epoch second and its text, built column by
column with Arrow (``kit.synth.text.join``), so a benchmark's million lines write in seconds.
The field layouts follow evidence-sources.md §3-§7; device stamps are written in a fixed
``offset_s`` from UTC (the firewall's local time).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .text import MONTHS, join, text, where

#: how a connection ended, in the plan
END_KINDS = ("idle", "fin", "reset-client", "reset-server", "syn", "udp")
VENDORS = ("paloalto", "fortinet", "juniper", "netfilter")
#: Cisco reasons of ``kit.synth.sessions`` -> plan end kinds
_FROM_CISCO = {"Conn-timeout": "idle", "TCP FINs": "fin", "TCP Reset-I": "reset-client",
               "TCP Reset-O": "reset-server", "SYN Timeout": "syn", "FIN Timeout": "fin"}
PAN_REASON = {"idle": "aged-out", "fin": "tcp-fin", "reset-client": "tcp-rst-from-client",
              "reset-server": "tcp-rst-from-server", "syn": "aged-out", "udp": "aged-out"}
FORTINET_ACTION = {"idle": "timeout", "fin": "close", "reset-client": "client-rst",
                   "reset-server": "server-rst", "syn": "timeout", "udp": "accept"}
JUNIPER_REASON = {"idle": "idle Timeout", "fin": "TCP FIN", "reset-client": "TCP CLIENT RST",
                  "reset-server": "TCP SERVER RST", "syn": "unset", "udp": "idle Timeout"}
#: the frame's close class each vendor's rendering reads back as (UDP: none, on every vendor)
CLOSE: dict[str, dict[str, str | None]] = {
    "paloalto": {"idle": "idle-timeout", "fin": "fin", "reset-client": "reset",
                 "reset-server": "reset", "syn": "syn-timeout", "udp": None},
    "fortinet": {"idle": "idle-timeout", "fin": "fin", "reset-client": "reset",
                 "reset-server": "reset", "syn": "syn-timeout", "udp": None},
    "juniper": {"idle": "idle-timeout", "fin": "fin", "reset-client": "reset",
                "reset-server": "reset", "syn": "other", "udp": None},
    "netfilter": {"idle": "idle-timeout", "fin": "fin", "reset-client": "reset",
                  "reset-server": "reset", "syn": "syn-timeout", "udp": None},
}
#: PAN-OS time-wait after a FIN/RST: Generated - (Start + Elapsed) on such rows (§3.6)
PAN_TIME_WAIT = 15
PLAN_COLUMNS = ("device", "conn_id", "protocol", "src_ip", "src_port", "src_if", "dst_ip",
                "dst_port", "dst_if", "start", "busy_until", "end", "bytes", "end_kind", "app")


def plan_of(sessions: list) -> pd.DataFrame:
    """``kit.synth.sessions.Session`` objects (settled) -> a plan frame."""
    return pd.DataFrame([{
        "device": s.device, "conn_id": s.conn_id, "protocol": s.protocol,
        "src_ip": s.src.ip, "src_port": s.src.port, "src_if": s.src.interface,
        "dst_ip": s.dst.ip, "dst_port": s.dst.port, "dst_if": s.dst.interface,
        "start": s.start, "busy_until": min(s.busy_until, s.end), "end": s.end,
        "bytes": s.nbytes,
        "end_kind": "udp" if s.protocol == "udp" else _FROM_CISCO.get(s.reason or "", "fin"),
        "app": s.kind} for s in sessions], columns=list(PLAN_COLUMNS))


def render(plan: pd.DataFrame, vendor: str, *, offset_s: int = 0, form: str = "bsd",
           serial: str = "013201009999") -> pd.DataFrame:
    """Lines of ``vendor`` for every connection of ``plan``: columns ``t`` (epoch s of the
    event), ``row`` (the plan row), ``event`` (built / teardown / other) and ``text``.

    ``form`` picks a header or layout variant: PAN-OS ``bsd``, ``rfc5424``, ``octet``,
    ``forwarder``; FortiGate ``bsd`` (relay) or ``glued`` (PRI glued); SRX ``bsd`` (positional),
    ``bsd-old`` (no 0x0 tags, two NAT rules) or ``structured``; conntrack ignores it.
    """
    if vendor not in VENDORS:
        raise ValueError(f"unknown vendor {vendor!r}: expected one of {VENDORS}")
    render_one = {"paloalto": _paloalto, "fortinet": _fortinet, "juniper": _juniper,
                  "netfilter": _netfilter}[vendor]
    out = render_one(plan.reset_index(drop=True), offset_s, form, serial)
    return out.sort_values(["t", "order"], kind="stable").drop(columns="order").reset_index(
        drop=True)


def _col(plan: pd.DataFrame, name: str) -> pa.Array:
    return pa.array(plan[name].astype(str).tolist(), pa.string()) if plan[name].dtype == object \
        else pa.array(plan[name].to_numpy()).cast(pa.string())


def _iso(epoch: np.ndarray, offset_s: int, fraction: str = "") -> pa.Array:
    """``2026-03-02T02:30:05[.fraction]+01:00`` in the zone ``offset_s`` east of UTC."""
    local = np.datetime_as_string((np.asarray(epoch, np.int64) + offset_s).astype("M8[s]"),
                                  unit="s")
    sign = "-" if offset_s < 0 else "+"
    zone = "Z" if offset_s == 0 else f"{sign}{abs(offset_s) // 3600:02d}:" \
        f"{abs(offset_s) % 3600 // 60:02d}"
    return join(pa.array(local, pa.string()), fraction, zone)


def _local(epoch: np.ndarray, offset_s: int, date_sep: str = "-") -> tuple[pa.Array, pa.Array]:
    """(date, time) strings of local wall time: ``2026-03-02``, ``02:30:05``."""
    text = pa.array(np.datetime_as_string((np.asarray(epoch, np.int64) + offset_s)
                                          .astype("M8[s]"), unit="s"), pa.string())
    date = pc.utf8_slice_codeunits(text, 0, 10)
    if date_sep != "-":
        date = pc.replace_substring(date, "-", date_sep)
    return date, pc.utf8_slice_codeunits(text, 11, 19)


def _bsd(epoch: np.ndarray, offset_s: int) -> pa.Array:
    """``Mar  2 02:30:05`` local (RFC 3164, space-padded day)."""
    moment = (np.asarray(epoch, np.int64) + offset_s).astype("M8[s]")
    month = (moment.astype("M8[M]").astype(np.int64) % 12)
    day = (moment.astype("M8[D]") - moment.astype("M8[M]").astype("M8[D]")).astype(np.int64) + 1
    _, clock = _local(epoch, offset_s)
    months = pa.array(MONTHS).take(pa.array(month))
    days = pc.utf8_lpad(pa.array(day).cast(pa.string()), 2, " ")
    return join(months, " ", days, " ", clock)


def _csv(fields: list) -> pa.Array:
    """Fields joined with commas (the PAN-OS CSV)."""
    columns = [text(f) for f in fields]
    n = max(len(c) for c in columns if isinstance(c, pa.Array))
    columns = [pa.array([c] * n, pa.string()) if isinstance(c, str) else c for c in columns]
    return pc.binary_join_element_wise(*columns, ",")


def _frame(t: np.ndarray, rows: np.ndarray, event: str | np.ndarray, text: pa.Array,
           order: int | np.ndarray) -> pd.DataFrame:
    return pd.DataFrame({"t": np.asarray(t, np.int64), "row": rows, "event": event,
                         "text": text.to_pylist(), "order": order})


def _packets(plan: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(bytes sent, bytes received, packets sent, packets received): a third of the bytes
    come back, a packet per kB (at least the handshake's); a SYN timeout gets one packet out
    and none back."""
    total = plan["bytes"].to_numpy(np.int64)
    syn = (plan["end_kind"] == "syn").to_numpy()
    received = np.where(syn, 0, total // 3)
    sent = total - received
    psent = np.where(syn, 1, np.maximum(sent // 1000, 3))  # a handshake at least
    precv = np.where(syn, 0, np.maximum(received // 1000, 2))
    return sent, received, psent, precv


def _paloalto(plan: pd.DataFrame, offset_s: int, form: str, serial: str) -> pd.DataFrame:
    n = len(plan)
    start, end = plan["start"].to_numpy(np.int64), plan["end"].to_numpy(np.int64)
    busy = plan["busy_until"].to_numpy(np.int64)
    kind = plan["end_kind"].to_numpy()
    closed = np.isin(kind, ["fin", "reset-client", "reset-server"])
    last = np.where(closed, np.maximum(end - PAN_TIME_WAIT, start), busy)
    elapsed = last - start
    sent, received, psent, precv = _packets(plan)
    reason = pa.array([PAN_REASON[k] for k in kind], pa.string())
    device = _col(plan, "device")
    if form == "forwarder":
        fields = [_iso(end, 0, ".000000"), serial, "TRAFFIC", "end", "2561",
                  _col(plan, "src_ip"), _col(plan, "dst_ip"), *[""] * 13,
                  _col(plan, "conn_id"), "1", _col(plan, "src_port"), _col(plan, "dst_port"),
                  "0", "0", _col(plan, "protocol"), "allow",
                  pa.array(sent + received).cast(pa.string()), pa.array(sent).cast(pa.string()),
                  pa.array(received).cast(pa.string()), pa.array(psent + precv).cast(
                      pa.string()), _iso(start, 0, ".000000"),
                  pa.array(elapsed).cast(pa.string()), *[""] * 6, reason, device]
        head = join("<14>1 ", _iso(end + 1, 0), " ", device, " logforwarder - panwlogs - ")
        return _frame(end, np.arange(n), "teardown", join(head, _csv(fields)), 1)
    generated_date, generated_time = _local(end, offset_s, "/")
    start_date, start_time = _local(start, offset_s, "/")
    received_date, received_time = _local(end + 1, offset_s, "/")
    fields = [
        "1", join(received_date, " ", received_time), serial, "TRAFFIC", "end", "2561",
        join(generated_date, " ", generated_time), _col(plan, "src_ip"), _col(plan, "dst_ip"),
        "0.0.0.0", "0.0.0.0", "allow-backup", "", "", _col(plan, "app"), "vsys1",
        _col(plan, "src_if"), _col(plan, "dst_if"), "ethernet1/2", "ethernet1/3", "fwd-syslog",
        "", _col(plan, "conn_id"), "1", _col(plan, "src_port"), _col(plan, "dst_port"), "0",
        "0", "0x0", _col(plan, "protocol"), "allow",
        pa.array(sent + received).cast(pa.string()), pa.array(sent).cast(pa.string()),
        pa.array(received).cast(pa.string()), pa.array(psent + precv).cast(pa.string()),
        join(start_date, " ", start_time), pa.array(elapsed).cast(pa.string()), "any", "0",
        pa.array(np.arange(n) + 7160001234).cast(pa.string()), "0x0", '"Reserved, local"',
        "10.0.0.0-10.255.255.255", "0", pa.array(psent).cast(pa.string()),
        pa.array(precv).cast(pa.string()), reason, "0", "0", "0", "0", "", device,
        "from-policy", *[""] * 11]  # 8.x: 65 columns
    csv = _csv(fields)
    stamp = _bsd(end + 1, offset_s)
    if form == "rfc5424":
        line = join("<14>1 ", _iso(end + 1, offset_s), " ", device, " - - - -  ", csv)
    elif form == "octet":
        body = join("<14>1 ", _iso(end + 1, offset_s), " ", device, " - - - - ", csv)
        line = join(pc.binary_length(body).cast(pa.string()), " ", body)
    else:
        line = join("<14>", stamp, " ", device, " ", csv)
    return _frame(end, np.arange(n), "teardown", line, 1)


def _fortinet(plan: pd.DataFrame, offset_s: int, form: str, serial: str) -> pd.DataFrame:
    n = len(plan)
    start, end = plan["start"].to_numpy(np.int64), plan["end"].to_numpy(np.int64)
    sent, received, psent, precv = _packets(plan)
    action = pa.array([FORTINET_ACTION[k] for k in plan["end_kind"]], pa.string())
    date, time = _local(end, offset_s)
    sign = "-" if offset_s < 0 else "+"
    tz = f"{sign}{abs(offset_s) // 3600:02d}{abs(offset_s) % 3600 // 60:02d}"
    proto = where((plan["protocol"] == "tcp").to_numpy(), "6", "17")
    pairs = join(
        "date=", date, " time=", time, ' devname="', _col(plan, "device"), '" devid="', serial,
        '" eventtime=', pa.array(end * 10**9).cast(pa.string()), ' tz="', tz,
        '" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" '
        "srcip=", _col(plan, "src_ip"), " srcport=", _col(plan, "src_port"), ' srcintf="',
        _col(plan, "src_if"), '" dstip=', _col(plan, "dst_ip"), " dstport=",
        _col(plan, "dst_port"), ' dstintf="', _col(plan, "dst_if"), '" sessionid=',
        _col(plan, "conn_id"), " proto=", proto, ' action="', action,
        '" policyid=12 service="', _col(plan, "app"), '" trandisp="noop" duration=',
        pa.array(end - start).cast(pa.string()), " sentbyte=", pa.array(sent).cast(pa.string()),
        " rcvdbyte=", pa.array(received).cast(pa.string()), " sentpkt=",
        pa.array(psent).cast(pa.string()), " rcvdpkt=", pa.array(precv).cast(pa.string()))
    if form == "glued":
        line = join("<189>", pairs)
    else:
        line = join(_bsd(end + 1, offset_s), " relay01 ", pairs)
    return _frame(end, np.arange(n), "teardown", line, 1)


def _juniper(plan: pd.DataFrame, offset_s: int, form: str, serial: str) -> pd.DataFrame:
    n = len(plan)
    start, end = plan["start"].to_numpy(np.int64), plan["end"].to_numpy(np.int64)
    sent, received, psent, precv = _packets(plan)
    reason = pa.array([JUNIPER_REASON[k] for k in plan["end_kind"]], pa.string())
    proto = where((plan["protocol"] == "tcp").to_numpy(), "6", "17")
    src, dst = (join(_col(plan, f"{s}_ip"), "/", _col(plan, f"{s}_port")) for s in ("src", "dst"))
    device = _col(plan, "device")
    elapsed = pa.array(end - start).cast(pa.string())
    if form == "structured":
        def sd(message: str, extra: list) -> pa.Array:
            return join(
                "[junos@2636.1.1.1.2.40 ", *extra, 'source-address="', _col(plan, "src_ip"),
                '" source-port="', _col(plan, "src_port"), '" destination-address="',
                _col(plan, "dst_ip"), '" destination-port="', _col(plan, "dst_port"),
                '" protocol-id="', proto, '" policy-name="backup" source-zone-name="',
                _col(plan, "src_if"), '" destination-zone-name="', _col(plan, "dst_if"),
                '" session-id-32="', _col(plan, "conn_id"), '"', *([] if message == "CREATE"
                else [' bytes-from-client="', pa.array(sent).cast(pa.string()),
                      '" bytes-from-server="', pa.array(received).cast(pa.string()),
                      '" elapsed-time="', elapsed, '"']), "]")

        def head(t: np.ndarray, message: str) -> pa.Array:
            return join("<14>1 ", _iso(t, offset_s, ".412"), " ", device,
                        f" RT_FLOW - RT_FLOW_SESSION_{message} ")
        created = join(head(start, "CREATE"), sd("CREATE", []))
        closed = join(head(end, "CLOSE"), sd("CLOSE", ['reason="', reason, '" ']))
    else:
        tag = "" if form == "bsd-old" else " 0x0"
        rules = "N/A N/A" if form == "bsd-old" else "N/A N/A N/A N/A"
        middle = join(src, "->", dst, tag, " ", _col(plan, "app"), " ", src, "->", dst, tag,
                      f" {rules} ", proto, " backup ", _col(plan, "src_if"), " ",
                      _col(plan, "dst_if"), " ", _col(plan, "conn_id"))

        def head(t: np.ndarray, message: str) -> pa.Array:
            return join("<14>", _bsd(t, offset_s), " ", device,
                        f" RT_FLOW: RT_FLOW_SESSION_{message}: ")
        created = join(head(start, "CREATE"), "session created ", middle,
                       " N/A N/A ge-0/0/2.0")
        closed = join(head(end, "CLOSE"), "session closed ", reason, ": ", middle, " ",
                      pa.array(psent).cast(pa.string()), "(", pa.array(sent).cast(pa.string()),
                      ") ", pa.array(precv).cast(pa.string()), "(",
                      pa.array(received).cast(pa.string()), ") ", elapsed,
                      " UNKNOWN UNKNOWN N/A N/A ge-0/0/2.0 No")
    rows = np.arange(n)
    return pd.concat([_frame(start, rows, "built", created, 0),
                      _frame(end, rows, "teardown", closed, 2)], ignore_index=True)


def _netfilter(plan: pd.DataFrame, offset_s: int, form: str, serial: str) -> pd.DataFrame:
    n = len(plan)
    start, end = plan["start"].to_numpy(np.int64), plan["end"].to_numpy(np.int64)
    sent, received, psent, precv = _packets(plan)
    kind = plan["end_kind"].to_numpy()
    tcp = (plan["protocol"] == "tcp").to_numpy()
    number = where(tcp, "6", "17")
    ips = _col(plan, "src_ip")
    v = where(pc.match_substring(ips, ":").to_numpy(zero_copy_only=False), "ipv6     10",
              "ipv4     2")
    orig = join("src=", ips, " dst=", _col(plan, "dst_ip"), " sport=", _col(plan, "src_port"),
                " dport=", _col(plan, "dst_port"))
    reply = join("src=", _col(plan, "dst_ip"), " dst=", ips, " sport=", _col(plan, "dst_port"),
                 " dport=", _col(plan, "src_port"))
    ident = join(" id=", _col(plan, "conn_id"))

    def stamp(t: np.ndarray) -> pa.Array:
        micros = pa.array((np.asarray(t) * 7919) % 1_000_000).cast(pa.string())
        return join("[", pa.array(t).cast(pa.string()), ".", pc.utf8_lpad(micros, 6, "0"),
                    "]\t")

    proto = _col(plan, "protocol")
    new = join(stamp(start), "    [NEW] ", v, " ", proto, "      ", number, " ",
               where(tcp, "120 SYN_SENT ", "30 "), orig, " [UNREPLIED] ", reply, ident)
    assured = where(kind != "syn", " [ASSURED]", "")
    destroy = join(stamp(end), "[DESTROY] ", v, " ", proto, "      ", number, " ", orig,
                   " packets=", pa.array(psent).cast(pa.string()), " bytes=",
                   pa.array(sent).cast(pa.string()), " ", reply, " packets=",
                   pa.array(precv).cast(pa.string()), " bytes=",
                   pa.array(received).cast(pa.string()), assured, " delta-time=",
                   pa.array(end - start).cast(pa.string()), ident)
    closing = np.flatnonzero(np.isin(kind, ["fin", "reset-client", "reset-server"]))
    state = np.where(np.isin(kind[closing], ["fin"]), "120 TIME_WAIT", "10 CLOSE")
    sub = plan.iloc[closing]
    update = join(stamp(np.maximum(end[closing] - 1, start[closing])), " [UPDATE] ",
                  v.take(pa.array(closing)), " tcp      6 ", pa.array(state, pa.string()), " ",
                  orig.take(pa.array(closing)), " ", reply.take(pa.array(closing)),
                  " [ASSURED]", ident.take(pa.array(closing)))
    rows = np.arange(n)
    return pd.concat([
        _frame(start, rows, "built", new, 0),
        _frame(np.maximum(sub["end"].to_numpy(np.int64) - 1, sub["start"].to_numpy(np.int64)),
               closing, "other", update, 1),
        _frame(end, rows, "teardown", destroy, 2)], ignore_index=True)


def random_plan(rng: np.random.Generator, n: int, *, first_id: int = 1) -> pd.DataFrame:
    """``n`` random connections of a busy firewall (for benchmarks): mostly short web and
    backup sessions closed by FIN, some resets, idle teardowns, SYN timeouts and UDP."""
    kind = rng.choice(np.array(END_KINDS), n, p=[0.08, 0.6, 0.05, 0.05, 0.04, 0.18])
    start = 1772409600 + np.sort(rng.integers(0, 86_400, n))
    length = rng.integers(0, 7200, n)
    idle = kind == "idle"
    busy = np.where(idle, start + length // 4, start + length)
    end = np.where(idle, busy + 3600, start + length)
    octets = rng.integers(0, 256, (n, 2))
    return pd.DataFrame({
        "device": "fw-bench-01", "conn_id": (first_id + np.arange(n)).astype(str),
        "protocol": np.where(kind == "udp", "udp", "tcp"),
        "src_ip": [f"10.{a}.{b}.7" for a, b in octets], "src_port": rng.integers(1024, 65536, n),
        "src_if": "trust", "dst_ip": [f"198.51.{b}.{a}" for a, b in octets],
        "dst_port": rng.choice([443, 1556, 13724, 53, 22], n), "dst_if": "untrust",
        "start": start, "busy_until": busy, "end": end,
        "bytes": np.where(kind == "syn", 0, rng.integers(120, 10**9, n)), "end_kind": kind,
        "app": "ssl"}, columns=list(PLAN_COLUMNS))


def write_vendor_log(path, vendor: str, *, lines: int, seed: int = 0,
                     chunk: int = 100_000) -> int:
    """Write a benchmark log of about ``lines`` lines of ``vendor`` (random connections,
    rendered in chunks); returns the lines written."""
    from .text import write_lines

    rng = np.random.default_rng([seed, 0xBE7C])
    per = {"juniper": 2, "netfilter": 2.7}.get(vendor, 1)
    written = 0
    with open(path, "wb") as stream:
        while written < lines:
            n = max(1, min(chunk, int((lines - written) / per)))
            out = render(random_plan(rng, n, first_id=written + 1), vendor, offset_s=3600)
            text = pa.array(out["text"].tolist()[:lines - written], pa.string())
            write_lines(stream, text)
            written += len(text)
    return written
