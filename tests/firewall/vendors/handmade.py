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
