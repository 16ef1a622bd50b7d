"""``generate_case``: a whole case folder (the sample incident or a variant) and its ground truth.

The story: NetBackup master and media servers inside, clients in the DMZ behind an ASA with
``timeout conn`` T (an older FWSM on one client's path), logs through a US-Central syslog relay.
Nightly backups: a full on the first night, incrementals after. During an incremental the client
scans for changed files and both long connections stay silent for 65-150 minutes; where no
endpoint probes before T, the firewall tears them down with ``Conn-timeout``.
"""

from __future__ import annotations

import gzip
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from .asa import deny_no_connection
from .exports import Socket, ss_tino
from .hosts import ASA, FWSM, Host, build_hosts
from .jobs import write_jobs_export
from .render import connection_events, junk_lines, render, side_events, split_files
from .sessions import (
    ADMIN_IP,
    DNS_IP,
    MONITOR_IP,
    NTP_IP,
    End,
    Session,
    admin_ssh,
    background,
    backup_job,
    settle,
)
from .truth import Export, host_exports, sessions_frame, truth_document

LOG_NAME = "fw-syslog.log"
FIRST_ID = {ASA: 4_118_200, FWSM: 146_454_459_412_553_183}
OTHER_HOSTS = (("dns01", DNS_IP, "other", "linux"), ("ntp01", NTP_IP, "other", "linux"),
               ("monitor01", MONITOR_IP, "other", "linux"),
               ("admin-ws01", ADMIN_IP, "other", "windows"))


@dataclass(frozen=True)
class CaseParams:
    """The generator's parameters (recorded in truth.json so a case can be regenerated)."""

    seed: int = 0
    days: int = 2
    clients: int = 8
    timeout_s: int = 3600
    keepalive: str | dict[str, Any] = "sample"
    background_rate: float = 100.0
    start: str = "2024-06-03"
    malformed: int = 6
    relay_tz: str = "America/Chicago"
    case_id: str = "SAMPLE-NBU-DMZ"
    state_timeout: bool = True
    jobs_clock_offset_s: int = 0


def populate(p: CaseParams, rng: np.random.Generator) -> tuple[Any, ...]:
    """The case's hosts and sessions before any firewall acts on them, shared by every
    vendor's sample: (hosts, first_day, window, sessions, jobs, clients, sockets)."""
    hosts = build_hosts(p.clients, p.keepalive)
    zone = ZoneInfo(p.relay_tz)
    first_day = datetime.combine(date.fromisoformat(p.start), datetime.min.time(), tzinfo=zone)
    window = (int(first_day.timestamp()), int((first_day + timedelta(days=p.days)).timestamp()))
    sessions, jobs = _backups(rng, hosts, first_day, p.days)
    clients = [h for h in hosts if h.role == "client"]
    sockets, captures = _captures(rng, hosts, sessions)
    sessions += captures
    sessions += background(rng, clients, window[0], window[1], p.background_rate)
    _number(sessions, rng)
    return hosts, first_day, window, sessions, jobs, clients, sockets


def generate_case(out_dir: str | Path, **params: Any) -> dict[str, Any]:
    """Write a case folder and return its ground truth (also written as ``truth.json``).

    Parameters
    ----------
    out_dir : str or Path
        Folder to write (created; existing files of the same names are overwritten).
    **params
        ``seed`` (0), ``days`` of logs (2; the first night runs fulls, later nights
        incrementals), ``clients`` (8: the OS mix of the sample, repeated beyond 8),
        ``timeout_s`` (3600: the firewall's ``timeout conn``), ``keepalive`` (``"sample"``,
        ``"all-tuned"``, ``"all-default"`` or a dict host -> seconds, optionally with a
        ``"preset"`` key), ``background_rate`` (100 connections per hour), ``start``
        ("2024-06-03": the first relay-local day), ``malformed`` (6 bad lines),
        ``relay_tz`` ("America/Chicago"), ``case_id``, ``state_timeout`` (True: case.toml states
        the timeout; False: leave it to inference), ``jobs_clock_offset_s`` (0: how far the
        backup servers' clock, and so every stamp of the jobs/ export, is ahead of the
        firewall's).

    Returns
    -------
    dict
        The ground truth; ``data/README.md`` documents every key.
    """
    unknown = set(params) - set(CaseParams.__dataclass_fields__)
    if unknown:
        raise TypeError(f"generate_case got unknown parameters {sorted(unknown)}")
    p = CaseParams(**params)
    if p.days < 1 or p.timeout_s < 60:
        raise ValueError("days must be >= 1 and timeout_s >= 60")
    rng = np.random.default_rng([p.seed, 0x5EED])
    root = Path(out_dir)
    hosts, first_day, window, sessions, jobs, clients, sockets = populate(p, rng)
    settle(sessions, p.timeout_s)

    events = pd.concat([connection_events(sessions),
                        side_events(_side_messages(rng, sessions, clients, window))],
                       ignore_index=True)
    events = render(events, rng, p.relay_tz)
    samples = events.loc[events["msg_id"] == "302014", "text"].tolist()
    junk = [junk_lines(rng, p.malformed // p.days + (d < p.malformed % p.days), samples)
            for d in range(p.days)]
    files = split_files(events, base=LOG_NAME, days_start=first_day, days=p.days, junk=junk,
                        rng=rng)

    exports = host_exports(hosts)
    _write(root, p, hosts, files, exports, sockets)
    truth = truth_document(p, hosts, sessions, jobs, events, files, exports, sockets, window)
    write_jobs_export(root, truth, sessions, jobs, hosts, p.jobs_clock_offset_s)
    _write_truth(root, truth, sessions, events, files)
    return truth


def _backups(rng: np.random.Generator, hosts: list[Host], first_day: datetime,
             days: int) -> tuple[list[Session], list[dict[str, Any]]]:
    master = next(h for h in hosts if h.role == "master")
    media = next(h for h in hosts if h.role == "media")
    sessions, jobs = [], []
    for night in range(days):
        start = int((first_day + timedelta(days=night, hours=19)).timestamp())
        full = night == 0
        for k, client in enumerate(h for h in hosts if h.role == "client"):
            t0 = start + k * 420 + int(rng.integers(0, 120))
            name = f"{client.name}/{'full' if full else 'incr'}/{night + 1}"
            sessions += backup_job(rng, client, media, master, t0, full, name)
            jobs.append({"job": name, "client": client.name, "night": night + 1,
                         "schedule": "full" if full else "incremental",
                         "start": _iso(t0)})
    return sessions, jobs


def _captures(rng: np.random.Generator, hosts: list[Host],
              sessions: list[Session]) -> tuple[dict[str, list[Socket]], list[Session]]:
    """``ss -tino`` on the first two Linux clients during their last job, run over SSH."""
    linux = [h for h in hosts if h.role == "client" and h.os == "linux"][:2]
    captures, ssh_sessions = {}, []
    for host in linux:
        job = [s for s in sessions if s.job.startswith(host.name + "/")][-4:]
        control, data = job[1], job[2]
        moment = control.busy_until + 420 if control.gap else control.start + 600
        ssh = admin_ssh(rng, host, moment - 60, 300)
        ssh_sessions.append(ssh)
        socks = [Socket(host.ip, 1556, control.src.ip, control.src.port,
                        _timer(rng, host, control, moment)),
                 Socket(host.ip, data.src.port, data.dst.ip, 13724,
                        _timer(rng, host, data, moment)),
                 Socket(host.ip, 22, ssh.src.ip, ssh.src.port,
                        host.keepalive_s * 1000 - int(rng.integers(200, 999)), send_q=36)]
        captures[host.name] = socks
    return captures, ssh_sessions


def _timer(rng: np.random.Generator, host: Host, session: Session, moment: int) -> int | None:
    """Milliseconds left on the socket's keepalive timer at ``moment`` (None: SO_KEEPALIVE off)."""
    if not host.so_keepalive:
        return None
    quiet = moment - min(session.busy_until, moment - 1)
    left = host.keepalive_s - quiet % host.keepalive_s
    return left * 1000 - int(rng.integers(1, 999))


def _number(sessions: list[Session], rng: np.random.Generator) -> None:
    """Connection ids per firewall, increasing with the Built time (as the devices count)."""
    next_id = {device: first + int(rng.integers(0, 5000)) for device, first in FIRST_ID.items()}
    for s in sorted(sessions, key=lambda s: s.start):
        next_id[s.device] += 1 + int(rng.integers(0, 3))
        s.conn_id = str(next_id[s.device])


def _side_messages(rng: np.random.Generator, sessions: list[Session], clients: list[Host],
                   window: tuple[int, int]) -> list[dict[str, Any]]:
    """Messages that are not connection events: late packets of killed connections (106015),
    monitoring pings (302020/302021) and denied scans (106023)."""
    rows = []
    for s in sessions:
        if s.idle_torn:  # the client speaks again after its scan: the firewall has no entry
            client, server = (s.src, s.dst) if s.src.host and s.src.host.startswith("dmz") \
                else (s.dst, s.src)
            rows.append({"t": s.resume_at, "device": s.device, "msg_id": "106015",
                         "severity": "6", "body": _deny_nc(client, server),
                         "event": "deny-no-connection"})
    for host in clients:
        direction = "outbound" if host.device == ASA else "inbound"
        for t in range(window[0] + 600, window[1] - 600, 1800):
            ident = int(rng.integers(1, 65535))
            addr = f"faddr {host.ip}/0 gaddr {MONITOR_IP}/{ident} laddr {MONITOR_IP}/{ident}"
            rows.append({"t": t, "device": host.device, "msg_id": "302020", "severity": "6",
                         "body": f"Built {direction} ICMP connection for {addr} type 8 code 0"})
            rows.append({"t": t + 2, "device": host.device, "msg_id": "302021", "severity": "6",
                         "body": f"Teardown ICMP connection for {addr} type 0 code 0"})
    web = clients[0]
    scans = int(6 * (window[1] - window[0]) / 3600)
    for t in np.sort(rng.integers(window[0], window[1] - 600, scans)):
        port = int(rng.choice([23, 445, 1433, 3389]))
        src = f"outside:203.0.113.{int(rng.integers(1, 255))}/{int(rng.integers(1024, 65535))}"
        rows.append({"t": int(t), "device": web.device, "msg_id": "106023", "severity": "4",
                     "body": f"Deny tcp src {src} dst {web.interface}:{web.ip}/{port} by "
                             'access-group "outside_access_in" [0x0, 0x0]'})
    return rows


def _deny_nc(client: End, server: End) -> str:
    return str(deny_no_connection("TCP", f"{client.ip}/{client.port}",
                                  f"{server.ip}/{server.port}", "PSH ACK", client.interface))


def _write(root: Path, p: CaseParams, hosts: list[Host], files, exports: dict[str, Export],
           sockets: dict[str, list[Socket]]) -> None:
    for folder in ("firewall", "hosts", "sockets"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    (root / "case.toml").write_text(_case_toml(p), encoding="utf-8")
    rows = ["host,ip,role,os", *(f"{h.name},{h.ip},{h.role},{h.os}" for h in hosts),
            *(f"{n},{ip},{role},{os}" for n, ip, role, os in OTHER_HOSTS)]
    (root / "inventory.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    for f in files:
        (root / "firewall" / f.name).write_bytes(f.payload())
    for export in exports.values():
        (root / "hosts" / export.file).write_bytes(export.data)
    for host, socks in sockets.items():
        (root / "sockets" / f"{host}.ss.txt").write_bytes(ss_tino(socks))


def _case_toml(p: CaseParams) -> str:
    hours, rest = divmod(p.timeout_s, 3600)
    timeout = f'idle_timeout = "{hours}:{rest // 60:02d}:{rest % 60:02d}"'
    opened = date.fromisoformat(p.start) + timedelta(days=p.days)
    return "\n".join([
        "# The sample incident, written by kit.synth.generate_case (see data/README.md).",
        "[case]", f'id = "{p.case_id}"',
        'title = "NetBackup DMZ clients fail during incrementals (status 13/41)"',
        f"opened = {opened.isoformat()}",
        'notes = "Fulls succeed; incrementals of some DMZ clients fail after about an hour."',
        "", "[firewall]",
        timeout if p.state_timeout else f"# {timeout}   (left to inference)",
        'tz = "UTC"', f'relay_tz = "{p.relay_tz}"',
        'model = "ASA 5525-X 9.12 (asa-dmz01); FWSM 4.1 on the legacy segment (fwsm-core01)"',
        "capacity = 500000", ""])


def _write_truth(root: Path, truth: dict[str, Any], sessions: list[Session],
                 events: pd.DataFrame, files) -> None:
    (root / "truth.json").write_text(json.dumps(truth, indent=1, sort_keys=False) + "\n",
                                     encoding="utf-8")
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as gz:
        gz.write(sessions_frame(sessions).to_csv(index=False).encode("utf-8"))
    (root / "truth-sessions.csv.gz").write_bytes(buffer.getvalue())


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
