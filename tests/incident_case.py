"""An incident case made from scratch the way a user makes one (``kit new-case``, files copied in),
with the traps of a real one: an upper-case Windows export (``%COMPUTERNAME%.reg``) for a host the
inventory writes in lower case, an ``ss -tino state established`` capture saved without its
command, an ndd transcript with no OS clue (the inventory says solaris) and a Linux export that
holds both ``sysctl -a`` (7200 s) and a sysctl.d file (600 s). The firewall logs are the sample's.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from kit.cli import main

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample-incident"
CASE_ID = "INC-4711"
FIREWALL = """
[firewall]
idle_timeout = "1:00:00"
tz = "UTC"
relay_tz = "America/Chicago"
"""
WINDOWS = (
    "Windows Registry Editor Version 5.00\r\n\r\n"
    "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters]\r\n"
    '"Hostname"="DMZ-WIN01"\r\n"Domain"="corp.example.com"\r\n'
    '"KeepAliveTime"=dword:006ddd00\r\n')  # 7,200,000 ms: at risk behind a 1-hour firewall
SS_STATE_ESTABLISHED = (
    "Recv-Q Send-Q Local Address:Port  Peer Address:Port Process\n"
    "0      0      10.20.1.11:1556     10.10.1.20:48776  ino:5121 sk:1 <->\n"
    "\t cubic wscale:7,7 rto:204 rtt:0.412/0.18 mss:1448\n"
    "0      0      10.20.1.11:49199    10.10.1.20:13724  ino:5122 sk:2 <->\n"
    "\t cubic wscale:7,7 rto:204 rtt:0.412/0.18 mss:1448\n"
    "0      0      10.20.1.11:22       10.10.5.15:56946  timer:(keepalive,119min,0) ino:5123 "
    "sk:3 <->\n")


def make_incident(root: Path) -> Path:
    """Write the case into ``root`` (which must not exist or be empty) and return it."""
    assert main(["new-case", str(root), "--id", CASE_ID]) == 0
    toml = root / "case.toml"
    toml.write_text(toml.read_text().replace("[firewall]\n", FIREWALL.lstrip(), 1))
    for log in (SAMPLE / "firewall").iterdir():
        shutil.copy(log, root / "firewall" / log.name)
    shutil.copy(SAMPLE / "inventory.csv", root / "inventory.csv")
    hosts = root / "hosts"
    for export in (SAMPLE / "hosts").iterdir():
        if export.name not in ("dmz-win01.reg", "dmz-sol01.ndd.txt"):
            shutil.copy(export, hosts / export.name)
    (hosts / "DMZ-WIN01.reg").write_bytes(b"\xff\xfe" + WINDOWS.encode("utf-16-le"))
    (hosts / "dmz-sol01.ndd.txt").write_text(
        "# ndd -get /dev/tcp tcp_keepalive_interval\n1800000\n")
    (hosts / "dmz-web01.sysctl.txt").write_text(
        "net.ipv4.tcp_keepalive_time = 7200\nnet.ipv4.tcp_keepalive_intvl = 75\n"
        "net.ipv4.tcp_keepalive_probes = 9\nnet.ipv4.tcp_keepalive_time = 600\n")
    (root / "sockets" / "dmz-app01.ss.txt").write_text(SS_STATE_ESTABLISHED)
    return root
