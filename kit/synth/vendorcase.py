"""``generate_vendor_case``: the sample incident behind another vendor's firewall.

The same hosts, backups, keepalives and physics as ``kit.synth.case`` (the same seed gives the
same sessions), but one firewall of ``vendor`` in front of the backup servers, logging in its
own format and local time (``offset_s`` east of UTC), and an application-specific idle timeout on
one service port (PAN-OS: an App-ID / service timeout), so a port's idle teardowns wait longer
than the global timeout. The jobs/ export is written by the Cisco sample's step
(``kit.synth.jobs``): the failed jobs are the idle-timeout victims' jobs. The truth has the same
keys as the Cisco sample's (``data/README.md``), plus ``port_timeouts_s``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .case import CaseParams, _write, _write_truth, populate
from .jobs import write_jobs_export
from .render import split_files
from .sessions import settle
from .truth import host_exports, truth_document
from .vendorlogs import VENDORS, plan_of, render

DEVICE = {"paloalto": "pan-fw01", "fortinet": "fgt-dc01", "juniper": "srx-dc01",
          "netfilter": "nat-gw01"}
MODEL = {"paloalto": "PA-3220, PAN-OS 10.2", "fortinet": "FortiGate 200F, FortiOS 7.4",
         "juniper": "SRX1500, Junos 21.4", "netfilter": "Linux NAT gateway (conntrack)"}
MSG_ID = {"paloalto": "TRAFFIC/end", "fortinet": "0000000013",
          "juniper": "RT_FLOW_SESSION_CLOSE", "netfilter": "DESTROY"}


@dataclass(frozen=True)
class VendorCaseParams(CaseParams):
    """``CaseParams`` plus the vendor, its zone and the per-port timeouts."""

    vendor: str = "paloalto"
    #: (service port, idle timeout s) pairs: the application-specific timeouts
    port_timeouts: tuple[tuple[int, int], ...] = ((13724, 7200),)
    #: the firewall's local time, seconds east of UTC (its stamps carry no zone)
    offset_s: int = 7200
    case_id: str = "SAMPLE-NBU-PAN"
    background_rate: float = 20.0


def generate_vendor_case(out_dir: str | Path, **params: Any) -> dict[str, Any]:
    """Write a case folder whose firewall is ``vendor`` and return its ground truth.

    Parameters
    ----------
    out_dir : str or Path
        Folder to write.
    **params
        Those of :func:`kit.synth.generate_case`, plus ``vendor`` ("paloalto"),
        ``port_timeouts`` (``((13724, 7200),)``: vnetd's application timeout) and ``offset_s``
        (7200: the firewall's clock is UTC+2). ``background_rate`` defaults to 20 per hour
        (PAN-OS lines are long; the sample stays small).

    Returns
    -------
    dict
        The ground truth (also ``truth.json``), as ``generate_case`` writes it.
    """
    unknown = set(params) - set(VendorCaseParams.__dataclass_fields__)
    if unknown:
        raise TypeError(f"generate_vendor_case got unknown parameters {sorted(unknown)}")
    params["port_timeouts"] = tuple(tuple(int(x) for x in pair)
                                    for pair in params.get("port_timeouts",
                                                           VendorCaseParams.port_timeouts))
    p = VendorCaseParams(**params)
    if p.vendor not in VENDORS:
        raise ValueError(f"vendor must be one of {VENDORS}, not {p.vendor!r}")
    rng = np.random.default_rng([p.seed, 0x5EED])
    root = Path(out_dir)
    hosts, first_day, window, sessions, jobs, _clients, sockets = populate(p, rng)
    for s in sessions:  # one firewall; a half-closed end is logged as a FIN by these vendors
        s.device = DEVICE[p.vendor]
        if s.close_reason == "FIN Timeout":
            s.close_reason = "TCP FINs"
    _renumber(sessions, p.seed)
    settle(sessions, p.timeout_s, dict(p.port_timeouts))

    lines = render(plan_of(sessions), p.vendor, offset_s=p.offset_s)
    events = pd.DataFrame({
        "t": lines["t"], "device": DEVICE[p.vendor],
        "msg_id": np.where(lines["event"] == "teardown", MSG_ID[p.vendor], "other"),
        "event": lines["event"], "session": lines["row"], "relay_t": lines["t"] + 1,
        "text": lines["text"]})
    junk = [_junk(rng, p.malformed // p.days + (d < p.malformed % p.days),
                  events["text"].tolist()) for d in range(p.days)]
    files = split_files(events, base=f"{p.vendor}-traffic.log", days_start=first_day,
                        days=p.days, junk=junk, rng=rng)
    exports = host_exports(hosts)
    _write(root, p, hosts, files, exports, sockets)
    (root / "case.toml").write_text(_case_toml(p), encoding="utf-8")
    truth = truth_document(p, hosts, sessions, jobs, events, files, exports, sockets, window)
    truth["generator"] = "kit.synth.generate_vendor_case"
    truth["port_timeouts_s"] = {str(port): t for port, t in p.port_timeouts}
    truth["clock"] = {"device_offset_s": p.offset_s,
                      "device_tz": _offset_text(p.offset_s)}
    write_jobs_export(root, truth, sessions, jobs, hosts, p.jobs_clock_offset_s)
    _write_truth(root, truth, sessions, events, files)
    return truth


#: the firewall's first session id of the story (a PAN-OS session id is a 32-bit counter)
FIRST_SESSION_ID = 48_000


def _renumber(sessions: list, seed: int) -> None:
    """One session counter for the one firewall, increasing with the start, as the device
    counts (the Cisco story numbers its ASA and its FWSM apart, and a FWSM's 18-digit ids are
    no vendor's session id). Its own random stream: the story's stays as it was."""
    rng = np.random.default_rng([seed, 0x1D5])
    next_id = FIRST_SESSION_ID
    for s in sorted(sessions, key=lambda s: (s.start, int(s.conn_id))):
        next_id += 1 + int(rng.integers(0, 3))
        s.conn_id = str(next_id)


def _offset_text(offset_s: int) -> str:
    sign = "-" if offset_s < 0 else "+"
    return f"{sign}{abs(offset_s) // 3600:02d}:{abs(offset_s) % 3600 // 60:02d}"


def _junk(rng: np.random.Generator, count: int, samples: list[str]) -> list[bytes]:
    """Malformed lines: a line cut short a little after its start (too few fields), binary
    garbage, a NUL run."""
    out = []
    for k in range(count):
        if k % 3 == 0:
            line = samples[int(rng.integers(0, len(samples)))]
            out.append(line[:len(line) // 4 + int(rng.integers(0, 10))].encode("ascii"))
        elif k % 3 == 1:
            raw = rng.integers(0x80, 0x100, int(rng.integers(30, 90)), dtype=np.uint8)
            out.append(b"\x1b\x03" + raw.tobytes())
        else:
            out.append(b"\x00" * int(rng.integers(40, 200)))
    return out


def _case_toml(p: VendorCaseParams) -> str:
    hours, rest = divmod(p.timeout_s, 3600)
    timeout = f'idle_timeout = "{hours}:{rest // 60:02d}:{rest % 60:02d}"'
    opened = date.fromisoformat(p.start) + timedelta(days=p.days)
    apps = ", ".join(f"port {port}: {t} s" for port, t in p.port_timeouts)
    return "\n".join([
        f"# The sample incident behind a {p.vendor} firewall, written by "
        "kit.synth.generate_vendor_case (see data/README.md).",
        "[case]", f'id = "{p.case_id}"',
        'title = "NetBackup DMZ clients fail during incrementals (status 13/41)"',
        f"opened = {opened.isoformat()}",
        f'notes = "Application-specific session timeouts on the firewall: {apps}."',
        "", "[firewall]",
        timeout if p.state_timeout else f"# {timeout}   (left to inference)",
        f'tz = "{_offset_text(p.offset_s)}"',
        f'model = "{MODEL[p.vendor]} ({DEVICE[p.vendor]})"',
        "capacity = 500000", ""])
