"""Port -> service name: the one built-in table, merged with a case's ``[services]``.

Sessions are grouped and remedies scoped by service, so every part of the kit names ports through
this module (domain.md §D2 for the NetBackup ports).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

#: NetBackup's long-lived control and data ports (domain.md §D2). They are also the default ports
#: whose sockets are assumed to use SO_KEEPALIVE when a case has no socket evidence.
NETBACKUP_SERVICES: dict[int, str] = {
    1556: "pbx",
    1557: "pbx",
    2821: "vrts-at",
    4032: "vrts-auth",
    10082: "spoold",
    10102: "spad",
    13720: "bprd",
    13724: "vnetd",
    13782: "bpcd",
}

#: common services seen as background traffic through a firewall
COMMON_SERVICES: dict[int, str] = {
    20: "ftp-data",
    21: "ftp",
    22: "ssh",
    23: "telnet",
    25: "smtp",
    53: "dns",
    80: "http",
    88: "kerberos",
    110: "pop3",
    123: "ntp",
    135: "msrpc",
    137: "netbios-ns",
    139: "netbios-ssn",
    143: "imap",
    161: "snmp",
    389: "ldap",
    443: "https",
    445: "smb",
    514: "syslog",
    636: "ldaps",
    993: "imaps",
    1433: "mssql",
    1521: "oracle",
    2049: "nfs",
    3306: "mysql",
    3389: "rdp",
    5432: "postgresql",
    8080: "http-alt",
    8443: "https-alt",
}

BUILTIN_SERVICES: dict[int, str] = {**COMMON_SERVICES, **NETBACKUP_SERVICES}

NETBACKUP_PORTS: frozenset[int] = frozenset(NETBACKUP_SERVICES)


def service_table(extra: Mapping[int, str] | None = None) -> dict[int, str]:
    """The built-in table with a case's own ``[services]`` on top (the case wins on conflicts)."""
    table = dict(BUILTIN_SERVICES)
    for port, name in (extra or {}).items():
        port = int(port)
        if not 0 < port < 65536:
            raise ValueError(f"service port {port} is outside 1..65535")
        table[port] = str(name)
    return table


def service_port(src_port: pd.Series, dst_port: pd.Series,
                 table: Mapping[int, str]) -> pd.Series:
    """The port that names each connection's service.

    The responder's (dst) port when it is a known service, else the initiator's port when that one
    is known (the orientation was guessed wrong), else the lower of the two ports (servers listen on
    low ports, clients use ephemeral ones).
    """
    known = np.fromiter(table, dtype=np.int64, count=len(table))
    src = src_port.astype("Int64")
    dst = dst_port.astype("Int64")
    dst_known = dst.isin(known).fillna(False).astype(bool)
    src_known = src.isin(known).fillna(False).astype(bool)
    lower = pd.concat([src, dst], axis=1).min(axis=1, skipna=True).astype("Int64")
    port = lower.where(~src_known, src).where(~dst_known, dst)
    return port.astype(pd.UInt16Dtype()).rename("service_port")


def service_names(ports: pd.Series, table: Mapping[int, str]) -> pd.Series:
    """Name each port from ``table``; an unknown port is named by its number (``"8081"``)."""
    as_int = ports.astype("Int64")
    names = as_int.map(table).astype(pd.StringDtype("pyarrow"))
    fallback = as_int.astype(pd.StringDtype("pyarrow"))
    return names.fillna(fallback).rename("service")
