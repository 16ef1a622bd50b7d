"""Log lines written by hand from evidence-sources.md (§3.3, §4.3, §5.1, §5.2, §7), not by
``kit.synth``: the story's connection 192.0.2.10:50412 -> 198.51.100.20:1556, active 1805 s,
then idle until a 3600 s idle timeout removes it at 2026-03-02 01:30:05 UTC (devices at UTC+1).
"""

from __future__ import annotations

import pandas as pd

PAN = ("<14>Mar  2 02:30:06 fw-edge-01 1,2026/03/02 02:30:06,013201009999,TRAFFIC,end,2561,"
       "2026/03/02 02:30:05,192.0.2.10,198.51.100.20,0.0.0.0,0.0.0.0,allow-backup,,,"
       "unknown-tcp,vsys1,dmz,backup,ethernet1/2,ethernet1/3,fwd-syslog,,48213,1,50412,1556,0,"
       "0,0x0,tcp,allow,184320,120320,64000,412,2026/03/02 01:00:00,1805,any,0,7160001234,0x0,"
       "United States,United States,0,230,182,aged-out,0,0,0,0,,fw-edge-01,from-policy")
FORTIGATE = (
    '<189>date=2026-03-02 time=02:30:05 devname="fgt-dmz-01" eventtime=1772415005000000000 '
    'tz="+0100" logid="0000000013" type="traffic" subtype="forward" level="notice" '
    'vd="vdom-dmz" srcip=192.0.2.10 srcport=50412 srcintf="port2" dstip=198.51.100.20 '
    'dstport=1556 dstintf="port3" sessionid=48213 proto=6 action="timeout" policyid=12 '
    'service="NBU-PBX" trandisp="noop" duration=5405 sentbyte=120320 rcvdbyte=64000 '
    'sentpkt=230 rcvdpkt=182')
SRX_STRUCTURED = (
    '<14>1 2026-03-02T02:30:05.412+01:00 srx-dc-01 RT_FLOW - RT_FLOW_SESSION_CLOSE '
    '[junos@2636.1.1.1.2.40 reason="idle Timeout" source-address="192.0.2.10" '
    'source-port="50412" destination-address="198.51.100.20" destination-port="1556" '
    'protocol-id="6" policy-name="backup-pbx" session-id-32="48213" elapsed-time="1805"]')
SRX_BSD = ("<14>Mar  2 02:30:05 srx-dc-01 RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed idle "
           "Timeout: 192.0.2.10/50412->198.51.100.20/1556 0x0 None "
           "192.0.2.10/50412->198.51.100.20/1556 0x0 N/A N/A N/A N/A 6 backup-pbx dmz backup "
           "48213 230(120320) 182(64000) 1805 UNKNOWN UNKNOWN N/A N/A ge-0/0/2.0 No")
CONNTRACK = ("[1772415005.123456]\t [DESTROY] ipv4     2 tcp      6 src=192.0.2.10 "
             "dst=198.51.100.20 sport=50412 dport=1556 packets=230 bytes=120320 "
             "src=198.51.100.20 dst=192.0.2.10 sport=1556 dport=50412 packets=182 bytes=64000 "
             "[ASSURED] delta-time=5405 id=3087654321")
ASA = ("Mar 02 2026 02:30:05 asa-edge-01 : %ASA-6-302014: Teardown TCP connection 48213 for "
       "dmz:192.0.2.10/50412 to inside:198.51.100.20/1556 duration 1:30:05 bytes 184320 "
       "Conn-timeout")

#: form -> (line, the frame's vendor, its time in UTC)
FORMS = {
    "paloalto": (PAN, "paloalto", pd.Timestamp("2026-03-02 01:30:05", tz="UTC")),
    "fortinet": (FORTIGATE, "fortinet", pd.Timestamp("2026-03-02 01:30:05", tz="UTC")),
    "juniper-structured": (SRX_STRUCTURED, "juniper",
                           pd.Timestamp("2026-03-02 01:30:05.412", tz="UTC")),
    "juniper-bsd": (SRX_BSD, "juniper", pd.Timestamp("2026-03-02 01:30:05", tz="UTC")),
    "netfilter": (CONNTRACK, "netfilter", pd.Timestamp("2026-03-02 01:30:05.123456", tz="UTC")),
    "cisco": (ASA, "cisco-asa", pd.Timestamp("2026-03-02 01:30:05", tz="UTC")),
}


# --- two small incidents, one per vendor, written line by line (evidence-sources §4.3, §5.1-5.2)
# Three clients lose their backup connections to nbu-media01 after sitting idle; one closes
# normally, one is reset, a DNS flow ends, one session only starts. Devices at UTC+1.

#: FortiGate: eventtime in ns, s, ms and us (its unit goes by its digit count)
FORTIGATE_INCIDENT = [
    '<189>date=2026-03-02 time=02:10:00 devname="fgt-dmz-01" eventtime=1772413800000000 '
    'tz="+0100" logid="0000000013" type="traffic" subtype="forward" level="notice" '
    'vd="root" srcip=192.0.2.10 srcport=50420 srcintf="port2" dstip=198.51.100.20 dstport=1556 '
    'dstintf="port3" sessionid=48100 proto=6 action="close" policyid=12 service="NBU-PBX" '
    'duration=600 sentbyte=52000 rcvdbyte=910000 sentpkt=400 rcvdpkt=700',
    '<189>date=2026-03-02 time=02:15:00 devname="fgt-dmz-01" eventtime=1772414100 tz="+0100" '
    'logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" '
    'srcip=192.0.2.11 srcport=50501 srcintf="port2" dstip=198.51.100.20 dstport=13782 '
    'dstintf="port3" sessionid=48101 proto=6 action="client-rst" policyid=12 service="NBU" '
    'duration=30 sentbyte=900 rcvdbyte=400 sentpkt=8 rcvdpkt=6',
    '<189>date=2026-03-02 time=02:20:00 devname="fgt-dmz-01" eventtime=1772414400000 '
    'tz="+0100" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" '
    'srcip=192.0.2.10 srcport=53000 srcintf="port2" dstip=198.51.100.53 dstport=53 '
    'dstintf="port3" sessionid=48102 proto=17 action="accept" policyid=14 service="DNS" '
    'duration=1 sentbyte=70 rcvdbyte=120 sentpkt=1 rcvdpkt=1',
    '<189>date=2026-03-02 time=02:25:00 devname="fgt-dmz-01" eventtime=1772414700000000000 '
    'tz="+0100" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" '
    'srcip=192.0.2.13 srcport=50700 srcintf="port2" dstip=198.51.100.20 dstport=1556 '
    'dstintf="port3" sessionid=48103 proto=6 action="start" policyid=12 service="NBU-PBX" '
    'duration=0 sentbyte=0 rcvdbyte=0 sentpkt=1 rcvdpkt=0',
    FORTIGATE.replace("duration=5405", "duration=3645"),
    '<189>date=2026-03-02 time=02:41:10 devname="fgt-dmz-01" eventtime=1772415670 tz="+0100" '
    'logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" '
    'srcip=192.0.2.11 srcport=50500 srcintf="port2" dstip=198.51.100.20 dstport=1556 '
    'dstintf="port3" sessionid=48214 proto=6 action="timeout" policyid=12 service="NBU-PBX" '
    'duration=3702 sentbyte=81000 rcvdbyte=42000 sentpkt=150 rcvdpkt=120',
    '<189>date=2026-03-02 time=02:52:00 devname="fgt-dmz-01" eventtime=1772416320000 '
    'tz="+0100" logid="0000000013" type="traffic" subtype="forward" level="notice" vd="root" '
    'srcip=192.0.2.12 srcport=50610 srcintf="port2" dstip=198.51.100.20 dstport=13724 '
    'dstintf="port3" sessionid=48215 proto=6 action="timeout" policyid=12 service="NBU-VNETD" '
    'duration=3630 sentbyte=9000 rcvdbyte=7000 sentpkt=40 rcvdpkt=35',
]

#: Junos SRX: structured-data and positional BSD lines in one file (elapsed-time in s)
SRX_INCIDENT = [
    '<14>1 2026-03-02T02:05:00+01:00 srx-dc-01 RT_FLOW - RT_FLOW_SESSION_CREATE '
    '[junos@2636.1.1.1.2.40 source-address="192.0.2.13" source-port="50700" '
    'destination-address="198.51.100.20" destination-port="1556" protocol-id="6" '
    'policy-name="backup-pbx" session-id-32="48103"]',
    "<14>Mar  2 02:10:00 srx-dc-01 RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed TCP FIN: "
    "192.0.2.10/50420->198.51.100.20/1556 0x0 None 192.0.2.10/50420->198.51.100.20/1556 0x0 "
    "N/A N/A N/A N/A 6 backup-pbx dmz backup 48100 400(52000) 700(910000) 600 UNKNOWN UNKNOWN "
    "N/A N/A ge-0/0/2.0 No",
    '<14>1 2026-03-02T02:15:00+01:00 srx-dc-01 RT_FLOW - RT_FLOW_SESSION_CLOSE '
    '[junos@2636.1.1.1.2.40 reason="TCP CLIENT RST" source-address="192.0.2.11" '
    'source-port="50501" destination-address="198.51.100.20" destination-port="13782" '
    'protocol-id="6" policy-name="backup-pbx" session-id-32="48101" elapsed-time="30"]',
    '<14>1 2026-03-02T02:20:00+01:00 srx-dc-01 RT_FLOW - RT_FLOW_SESSION_CLOSE '
    '[junos@2636.1.1.1.2.40 reason="idle Timeout" source-address="192.0.2.10" '
    'source-port="53000" destination-address="198.51.100.53" destination-port="53" '
    'protocol-id="17" policy-name="dns" session-id-32="48102" elapsed-time="8"]',
    SRX_STRUCTURED.replace('elapsed-time="1805"', 'elapsed-time="1850"'),
    '<14>1 2026-03-02T02:41:10+01:00 srx-dc-01 RT_FLOW - RT_FLOW_SESSION_CLOSE '
    '[junos@2636.1.1.1.2.40 reason="idle Timeout" source-address="192.0.2.11" '
    'source-port="50500" destination-address="198.51.100.20" destination-port="1556" '
    'protocol-id="6" policy-name="backup-pbx" session-id-32="48214" elapsed-time="1905"]',
    "<14>Mar  2 02:52:00 srx-dc-01 RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed idle Timeout: "
    "192.0.2.12/50610->198.51.100.20/13724 0x0 None 192.0.2.12/50610->198.51.100.20/13724 0x0 "
    "N/A N/A N/A N/A 6 backup-pbx dmz backup 48215 40(9000) 35(7000) 1830 UNKNOWN UNKNOWN N/A "
    "N/A ge-0/0/2.0 No",
]

INVENTORY = """host,ip,role,os
dbhost-dmz01,192.0.2.10,client,linux
app-dmz02,192.0.2.11,client,linux
web-dmz03,192.0.2.12,client,linux
new-dmz04,192.0.2.13,client,linux
nbu-media01,198.51.100.20,media,linux
dns01,198.51.100.53,other,linux
"""


def write_case(folder, lines: list[str], *, model: str) -> None:
    """A case folder around ``lines``: case.toml (device zone UTC+1, year 2026, no timeout
    stated), the inventory, and the keepalive exports of one at-risk and one tuned host."""
    (folder / "firewall").mkdir(parents=True)
    (folder / "hosts").mkdir()
    (folder / "firewall" / "traffic.log").write_text("\n".join(lines) + "\n")
    (folder / "case.toml").write_text(
        '[case]\nid = "HANDMADE"\n\n[firewall]\ntz = "+01:00"\nyear = 2026\n'
        f'model = "{model}"\n')
    (folder / "inventory.csv").write_text(INVENTORY)
    for host, seconds in (("dbhost-dmz01", 7200), ("nbu-media01", 600)):
        (folder / "hosts" / f"{host}.sysctl.txt").write_text(
            f"net.ipv4.tcp_keepalive_time = {seconds}\nnet.ipv4.tcp_keepalive_intvl = 75\n"
            "net.ipv4.tcp_keepalive_probes = 9\n")
