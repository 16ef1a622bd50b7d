"""Hosts' keepalive exports and socket captures, each in its OS's native format (domain.md §C).

Each writer returns the file's bytes exactly as the collection command in a case README would
leave them: Linux ``sysctl``, a Windows ``reg export`` (UTF-16LE with a BOM, CRLF) or ``reg
query`` transcript, AIX ``no -a``, Solaris/HP-UX ``ndd -get`` transcripts, macOS ``sysctl
net.inet.tcp`` and Linux ``ss -tino``. ``None`` for a Windows value means "not set" (absent).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

_TCPIP_KEY = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters"


def linux_sysctl(time_s: int, intvl_s: int = 75, probes: int = 9, *,
                 prompt: str | None = None) -> bytes:
    """``sysctl net.ipv4.tcp_keepalive_*`` output (``name = value``, seconds), optionally after
    the shell prompt and command that produced it (``prompt`` like ``[root@host ~]#``)."""
    lines = [] if prompt is None else [
        f"{prompt} sysctl net.ipv4.tcp_keepalive_time net.ipv4.tcp_keepalive_intvl "
        "net.ipv4.tcp_keepalive_probes"]
    lines += [f"net.ipv4.tcp_keepalive_time = {time_s}",
              f"net.ipv4.tcp_keepalive_intvl = {intvl_s}",
              f"net.ipv4.tcp_keepalive_probes = {probes}"]
    return _text(lines)


def windows_reg(hostname: str, time_ms: int | None, interval_ms: int | None = None) -> bytes:
    """A ``reg export`` of the Tcpip Parameters key: UTF-16LE with a BOM, CRLF line ends,
    DWORDs as 8 hex digits; an absent value is simply not listed (the OS default applies)."""
    lines = ["Windows Registry Editor Version 5.00", "", f"[{_TCPIP_KEY}]",
             '"NV Hostname"="' + hostname + '"', '"Domain"=""', '"Hostname"="' + hostname + '"',
             '"SearchList"=""', '"UseDomainNameDevolution"=dword:00000001',
             '"EnableICMPRedirect"=dword:00000001', '"DeadGWDetectDefault"=dword:00000001',
             '"DontAddDefaultGatewayDefault"=dword:00000000']
    if time_ms is not None:
        lines.append(f'"KeepAliveTime"=dword:{time_ms:08x}')
    if interval_ms is not None:
        lines.append(f'"KeepAliveInterval"=dword:{interval_ms:08x}')
    lines += ['"TcpTimedWaitDelay"=dword:0000001e', "", ""]
    return b"\xff\xfe" + "\r\n".join(lines).encode("utf-16-le")


def windows_reg_query(hostname: str, time_ms: int | None,
                      interval_ms: int | None = None) -> bytes:
    """``reg query HKLM\\...\\Tcpip\\Parameters`` output: 4-space separated value lines, DWORDs
    as ``0x`` hex without leading zeros, CRLF line ends."""
    values = [("NV Hostname", "REG_SZ", hostname), ("Hostname", "REG_SZ", hostname),
              ("Domain", "REG_SZ", ""), ("SearchList", "REG_SZ", ""),
              ("UseDomainNameDevolution", "REG_DWORD", "0x1"),
              ("EnableICMPRedirect", "REG_DWORD", "0x1")]
    if time_ms is not None:
        values.append(("KeepAliveTime", "REG_DWORD", hex(time_ms)))
    if interval_ms is not None:
        values.append(("KeepAliveInterval", "REG_DWORD", hex(interval_ms)))
    values.append(("TcpTimedWaitDelay", "REG_DWORD", "0x1e"))
    lines = ["", _TCPIP_KEY, *(f"    {n}    {t}    {v}" for n, t, v in values), ""]
    return "\r\n".join([*lines, ""]).encode("ascii")


def aix_no(keepidle_half_s: int, keepintvl_half_s: int = 150, keepcnt: int = 8) -> bytes:
    """An excerpt of AIX ``no -a``: right-aligned names, `` = ``, keepalive in half-seconds."""
    tunables = [("tcp_ephemeral_high", 65535), ("tcp_ephemeral_low", 32768),
                ("tcp_fastlo", 0), ("tcp_finwait2", 1200), ("tcp_icmpsecure", 0),
                ("tcp_init_window", 0), ("tcp_keepcnt", keepcnt), ("tcp_keepidle", keepidle_half_s),
                ("tcp_keepinit", 150), ("tcp_keepintvl", keepintvl_half_s),
                ("tcp_limited_transmit", 1), ("tcp_low_rto", 0), ("tcp_maxburst", 0),
                ("tcp_mssdflt", 1460), ("tcp_nagle_limit", 65535), ("tcp_ndebug", 100),
                ("tcp_newreno", 1), ("tcp_nodelayack", 0), ("tcp_recvspace", 16384),
                ("tcp_sendspace", 16384), ("tcp_tcpsecure", 0), ("tcp_timewait", 1),
                ("tcp_ttl", 60)]
    return _text(f"{name:>29} = {value}" for name, value in tunables)


def ndd_transcript(values: dict[str, int], *, uname: str | None = None) -> bytes:
    """What ``(uname -a; for p in ...; do echo "# ndd -get /dev/tcp $p"; ndd -get /dev/tcp $p;
    done)`` leaves: the ``uname -a`` line, then each command as a comment line followed by
    ndd's bare number (ms)."""
    lines: list[str] = [] if uname is None else [uname]
    for name, value in values.items():
        lines += [f"# ndd -get /dev/tcp {name}", str(value)]
    return _text(lines)


def macos_sysctl(keepidle_ms: int, keepintvl_ms: int = 75_000, keepcnt: int = 8) -> bytes:
    """``(sw_vers; sysctl net.inet.tcp | grep keep)`` on macOS (``name: value``, milliseconds)."""
    return _text(["ProductName:\t\tmacOS", "ProductVersion:\t\t14.5", "BuildVersion:\t\t23F79",
                  f"net.inet.tcp.keepidle: {keepidle_ms}",
                  f"net.inet.tcp.keepintvl: {keepintvl_ms}", "net.inet.tcp.keepinit: 75000",
                  f"net.inet.tcp.keepcnt: {keepcnt}", "net.inet.tcp.always_keepalive: 0"])


@dataclass(frozen=True)
class Socket:
    """One established TCP socket as ``ss`` sees it from its own host."""

    local_ip: str
    local_port: int
    peer_ip: str
    peer_port: int
    #: milliseconds until the keepalive timer fires; None = no timer (SO_KEEPALIVE off)
    keepalive_ms: int | None
    send_q: int = 0


def ss_tino(sockets: Iterable[Socket], *, prompt: str | None = None) -> bytes:
    """``ss -tino`` output: a header, one line per socket with its ``timer:(keepalive,...)``
    when SO_KEEPALIVE is on, and the tab-indented TCP info line ``-i`` adds."""
    lines = [] if prompt is None else [f"{prompt} ss -tino"]
    lines.append("State  Recv-Q Send-Q  Local Address:Port    Peer Address:Port  Process")
    for s in sockets:
        timer = "" if s.keepalive_ms is None else f" timer:(keepalive,{ss_timer(s.keepalive_ms)},0)"
        lines.append(f"ESTAB  0      {s.send_q:<6}  {s.local_ip}:{s.local_port}    "
                     f"{s.peer_ip}:{s.peer_port}{timer}")
        lines.append("\t cubic wscale:7,7 rto:204 rtt:0.412/0.18 ato:40 mss:1448 pmtu:1500 "
                     "rcvmss:536 advmss:1448 cwnd:10 send 281.2Mbps lastsnd:1200 lastrcv:1200 "
                     "lastack:1200 pacing_rate 562.3Mbps rcv_space:14480 minrtt:0.2")
    return _text(lines)


def ss_timer(ms: int) -> str:
    """A timer's time left as iproute2's ``print_ms_timer`` prints it: ``7min12sec``,
    ``118min``, ``28sec``, ``1.595ms`` (meaning 1.595 s), ``005ms``."""
    secs, msecs = divmod(ms, 1000)
    minutes, secs = divmod(secs, 60)
    out = ""
    if minutes:
        msecs = 0
        out += f"{minutes}min"
        if minutes > 9:
            secs = 0
    if secs:
        if secs > 9:
            msecs = 0
        out += f"{secs}{'.' if msecs else 'sec'}"
    if msecs:
        out += f"{msecs:03d}ms"
    return out


def _text(lines: Iterable[str]) -> bytes:
    return ("\n".join(lines) + "\n").encode("ascii")
