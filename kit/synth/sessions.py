"""Connections of the sample incident and the firewall physics that decides how each one ends.

Physics (domain.md §0, §A4, §E1): any packet in either direction resets the firewall's idle
timer. A connection silent for longer than the idle timeout T is torn down with ``Conn-timeout``
at (last activity + T), so its logged duration is exactly active time + T, with only the bytes
sent before the silence, unless an endpoint whose socket has SO_KEEPALIVE sends a probe first
(keepalive < T): each probe re-arms the firewall's timer and the connection survives the
silence. Everything else closes the way the application closed it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .hosts import ASA, SECURITY, Host, effective_keepalive

ADMIN_IP, DNS_IP, NTP_IP, MONITOR_IP = "10.10.5.15", "10.10.0.53", "10.10.0.123", "10.10.0.99"
UDP_TIMEOUT = 120
HALF_CLOSED_TIMEOUT = 600


@dataclass(frozen=True)
class End:
    """One side of a connection: host name when known, address, port, firewall interface."""

    host: str | None
    ip: str
    port: int
    interface: str

    def with_port(self, port: int) -> End:
        return End(self.host, self.ip, port, self.interface)


@dataclass
class Session:
    """A connection's plan (what the endpoints do) and, after ``settle``, how it ended."""

    device: str
    protocol: str  # tcp / udp
    kind: str  # backup-setup, backup-control, backup-data, backup-notify, https, dns, ...
    src: End  # the initiator
    dst: End  # the responder
    start: int  # epoch seconds
    busy_until: int  # last activity before the silence (== close_at when never silent)
    gap: int  # seconds of silence after busy_until (0: none)
    close_at: int  # when the application closes it, if the firewall did not
    close_reason: str | None  # the ASA reason for that close (None for UDP)
    bytes_before: int  # bytes up to busy_until
    bytes_total: int  # bytes if it lives to close_at
    keepalive_s: int | None = None  # the effective keepalive of its endpoints
    job: str = ""
    # the outcome, set by settle()
    end: int = 0
    reason: str | None = None
    nbytes: int = 0
    idle_torn: bool = False
    conn_id: str = ""

    @property
    def resume_at(self) -> int:
        """When the application spoke again after its silence."""
        return self.busy_until + self.gap


def settle(sessions: list[Session], timeout_s: int,
           port_timeouts: dict[int, int] | None = None) -> None:
    """Decide each session's end under the firewall idle timeout (see the module docstring);
    ``port_timeouts`` gives a service port its own timeout (a PAN-OS application timeout)."""
    for s in sessions:
        timeout_s_of = (port_timeouts or {}).get(s.dst.port, timeout_s)
        rescued = s.keepalive_s is not None and s.keepalive_s < timeout_s_of
        s.idle_torn = s.protocol == "tcp" and s.gap > timeout_s_of and not rescued
        if s.idle_torn:
            s.end, s.reason, s.nbytes = (s.busy_until + timeout_s_of, "Conn-timeout",
                                         s.bytes_before)
        else:
            s.end, s.reason, s.nbytes = s.close_at, s.close_reason, s.bytes_total


def backup_job(rng: np.random.Generator, client: Host, media: Host, master: Host, t0: int,
               full: bool, job: str) -> list[Session]:
    """One NetBackup job: bpcd setup, the control and data connections, the end notification.

    A full streams data all along; an incremental scans for changed files first, and during that
    scan (65-150 min) both long connections are silent: the failure of the story.
    """
    dev = client.device
    cli, med, mas = (_end(h, dev) for h in (client, media, master))
    keep = effective_keepalive(client, media)
    setup = _tcp(dev, "backup-setup", _at(med, rng), cli.with_port(13782), t0,
                 int(rng.integers(2, 5)), int(rng.integers(1500, 4000)), job=job)
    if full:
        length = int(rng.integers(20, 81)) * 60
        control = _tcp(dev, "backup-control", _at(med, rng), cli.with_port(1556), t0 + 5,
                       length + 10, int(rng.integers(40_000, 400_000)), job=job)
        data = _tcp(dev, "backup-data", _at(cli, rng), med.with_port(13724), t0 + 8,
                    length + 2, int(rng.integers(2, 40)) * 1_000_000_000
                    + int(rng.integers(0, 999_999)), job=job)
        end = t0 + length + 15
    else:
        t_scan = t0 + int(rng.integers(40, 151))
        scan = int(rng.integers(65 * 60, 150 * 60 + 1))
        burst = int(rng.integers(60, 901))
        end = t_scan + scan + burst + 15
        control = _silent(dev, "backup-control", _at(med, rng), cli.with_port(1556), t0 + 5,
                          t_scan, scan, end - 5, int(rng.integers(8_000, 30_000)),
                          int(rng.integers(20_000, 200_000)), keep, job)
        data = _silent(dev, "backup-data", _at(cli, rng), med.with_port(13724), t0 + 8,
                       t_scan - 5, scan + 5, end - 10, int(rng.integers(2_000, 6_000)),
                       int(rng.integers(50, 3000)) * 1_000_000, keep, job)
    notify = _tcp(dev, "backup-notify", _at(cli, rng), mas.with_port(1556), end,
                  int(rng.integers(1, 3)), int(rng.integers(800, 2500)), job=job)
    return [setup, control, data, notify]


def background(rng: np.random.Generator, clients: list[Host], t_from: int, t_to: int,
               per_hour: float) -> list[Session]:
    """Everyday traffic: web visitors, DNS, NTP, updates, admin SSH, scans; none is ever idle."""
    count = int(per_hour * (t_to - t_from) / 3600)
    web = clients[0]
    kinds = rng.choice(["https", "dns", "ntp", "updates", "ssh", "scan"], size=count,
                       p=[0.45, 0.25, 0.06, 0.16, 0.05, 0.03])
    starts = np.sort(rng.integers(t_from, t_to - 45 * 60, count))
    out = []
    for kind, start in zip(kinds, starts, strict=True):
        host = clients[int(rng.integers(0, len(clients)))]
        out.append(_background_one(rng, str(kind), int(start), host, web))
    return out


def admin_ssh(rng: np.random.Generator, host: Host, start: int, length: int) -> Session:
    """The admin's SSH session to ``host`` (e.g. the one used to run ``ss``)."""
    admin = End(None, ADMIN_IP, int(rng.integers(49152, 65535)), _server_side(host.device))
    return _tcp(host.device, "ssh", admin, _end(host, host.device).with_port(22), start, length,
                int(rng.integers(20_000, 90_000)))


def _background_one(rng: np.random.Generator, kind: str, start: int, host: Host,
                    web: Host) -> Session:
    dev = host.device
    me = _end(host, dev)
    if kind == "https":
        visitor = End(None, _public_ip(rng), int(rng.integers(1024, 65535)), "outside")
        length = max(1, min(int(rng.lognormal(3.0, 1.2)), 1500))
        reason = str(rng.choice(["TCP FINs", "TCP Reset-I", "TCP Reset-O", "FIN Timeout"],
                                p=[0.90, 0.03, 0.03, 0.04]))
        if reason == "FIN Timeout":
            length += HALF_CLOSED_TIMEOUT
        return _tcp(web.device, "https", visitor, _end(web, web.device).with_port(443), start,
                    length, int(rng.integers(2_000, 900_000)), reason=reason)
    if kind == "scan":
        scanner = End(None, _public_ip(rng), int(rng.integers(1024, 65535)), "outside")
        return _tcp(web.device, "scan", scanner, _end(web, web.device).with_port(443), start, 30,
                    0, reason="SYN Timeout")
    if kind in ("dns", "ntp"):
        server = End(None, DNS_IP if kind == "dns" else NTP_IP, 53 if kind == "dns" else 123,
                     _server_side(dev))
        active = int(rng.integers(0, 2))
        nbytes = int(rng.integers(60, 400)) if kind == "dns" else 96
        return Session(dev, "udp", kind, _at(me, rng), server, start, start + active, 0,
                       start + active + UDP_TIMEOUT, None, nbytes, nbytes)
    if kind == "updates":
        mirror = End(None, _public_ip(rng), int(rng.choice([80, 443])), "outside")
        return _tcp(dev, "updates", _at(me, rng), mirror, start, int(rng.integers(1, 300)),
                    int(rng.integers(5_000, 20_000_000)))
    return admin_ssh(rng, host, start, int(rng.integers(120, 2400)))


def _tcp(device: str, kind: str, src: End, dst: End, start: int, length: int, nbytes: int, *,
         reason: str = "TCP FINs", job: str = "") -> Session:
    """A TCP connection busy from start to close (never silent)."""
    end = start + length
    return Session(device, "tcp", kind, src, dst, start, end, 0, end, reason, nbytes, nbytes,
                   job=job)


def _silent(device: str, kind: str, src: End, dst: End, start: int, busy_until: int, gap: int,
            close_at: int, bytes_before: int, bytes_after: int, keepalive_s: int | None,
            job: str) -> Session:
    return Session(device, "tcp", kind, src, dst, start, busy_until, gap, close_at, "TCP FINs",
                   bytes_before, bytes_before + bytes_after, keepalive_s, job)


def _end(host: Host, device: str) -> End:
    interface = host.interface if host.device == device else _server_side(device)
    return End(host.name, host.ip, 0, interface)


def _at(end: End, rng: np.random.Generator) -> End:
    """The same endpoint on a fresh ephemeral port."""
    return end.with_port(int(rng.integers(32768, 61000)))


def _server_side(device: str) -> str:
    """The interface the inside servers are reached through on ``device``."""
    return "inside" if device == ASA else "outside"


def _public_ip(rng: np.random.Generator) -> str:
    net = ("198.51.100", "203.0.113", "192.0.2")[int(rng.integers(0, 3))]
    return f"{net}.{int(rng.integers(1, 255))}"


def for_to(session: Session) -> tuple[End, End, str]:
    """(``for`` endpoint, ``to`` endpoint, direction) as an ASA logs the connection: the
    lower-security side comes first; ``inbound`` when the initiator is on that side."""
    levels = SECURITY[session.device]
    src_low = levels[session.src.interface] < levels[session.dst.interface]
    if src_low:
        return session.src, session.dst, "inbound"
    return session.dst, session.src, "outbound"
