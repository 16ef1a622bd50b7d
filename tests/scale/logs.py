"""Generated logs for the scale tests: a few MB with everything that crosses partition edges.

Year-less relay stamps from December into January (year rollover), two devices, Builts whose
Teardowns come many lines (so many partitions) later, legacy ``faddr``/``laddr`` Teardowns,
identity users, CRLF lines, other messages, damaged and non-syslog lines.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

_BUILT = ("{stamp} {device} : %ASA-6-302013: Built {direction} TCP connection {conn} for "
          "outside:{oip}/{oport} ({oip}/{oport}){buser} to inside:{iip}/{iport} ({iip}/{iport})")
_TEAR = ("{stamp} {device} : %ASA-6-302014: Teardown TCP connection {conn} for "
         "outside:{oip}/{oport}{ouser} to inside:{iip}/{iport} duration 0:{m:02d}:{s:02d} "
         "bytes {nbytes} {reason}")
_LEGACY = ("{stamp} {device} : %ASA-6-302014: Teardown TCP connection {conn} faddr {oip}/{oport} "
           "gaddr {iip}/{iport} laddr {iip}/{iport} duration 0:{m:02d}:{s:02d} bytes {nbytes} "
           "TCP FINs")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def lines(n: int, *, seed: int = 0, start_day: int = 330) -> list[str]:
    """``n`` log lines (without line ends), ~150 bytes each, over December -> January."""
    rng = np.random.default_rng(seed)
    out: list[str] = []
    open_conns: list[tuple[str, int, str, int, str, int, str]] = []
    conn = 1000
    seconds = start_day * 86_400
    for _ in range(n):
        seconds += int(rng.integers(0, 800))
        day = (seconds // 86_400) % 365
        month = int(np.searchsorted(np.cumsum([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]),
                                    day, side="right"))
        first = int(np.cumsum([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30])[month])
        clock = seconds % 86_400
        stamp = (f"{_MONTHS[month]} {day - first + 1:2d} {clock // 3600:02d}:"
                 f"{clock // 60 % 60:02d}:{clock % 60:02d}")
        roll = rng.random()
        if roll < 0.02:
            out.append(f"{stamp} fw01 : %ASA-6-302014: Teardown TCP connection broken")
        elif roll < 0.03:
            out.append("this line is not syslog at all")
        elif roll < 0.06:
            out.append(f"{stamp} fw02 : %ASA-6-106023: Deny tcp src outside:1.2.3.4/5 dst "
                       "inside:10.0.0.1/22 by access-group \"in\"")
        elif roll < 0.5 or not open_conns:
            conn += 1
            device = "fw01" if rng.random() < 0.7 else "fw02"
            oip, iip = f"198.51.100.{rng.integers(1, 250)}", f"10.0.{rng.integers(0, 9)}.5"
            oport, iport = int(rng.integers(1024, 65000)), int(rng.choice([443, 22, 1556]))
            user = " (LOCAL\\alice)" if rng.random() < 0.05 else ""
            inbound = rng.random() < 0.5
            out.append(_BUILT.format(stamp=stamp, device=device,
                                     direction="inbound" if inbound else "outbound", conn=conn,
                                     oip=oip, oport=oport, buser=user.strip(), iip=iip,
                                     iport=iport))
            open_conns.append((device, conn, oip, oport, iip, iport, user))
        else:
            k = int(rng.integers(0, len(open_conns)))
            device, c, oip, oport, iip, iport, user = open_conns.pop(k)
            template = _LEGACY if rng.random() < 0.1 else _TEAR
            out.append(template.format(stamp=stamp, device=device, conn=c, oip=oip, oport=oport,
                                       ouser=user, iip=iip, iport=iport,
                                       m=int(rng.integers(0, 60)), s=int(rng.integers(0, 60)),
                                       nbytes=int(rng.integers(0, 10**6)),
                                       reason="TCP FINs" if rng.random() < 0.8 else
                                       "Conn-timeout"))
    return out


def write(path: Path, n: int, *, seed: int = 0, crlf_every: int = 0, final_newline: bool = True,
          compress: bool = False, start_day: int = 330) -> Path:
    """Write ``lines(n)`` to ``path`` (gzip when ``compress``); every ``crlf_every``-th line
    ends in CRLF."""
    rows = lines(n, seed=seed, start_day=start_day)
    ends = ["\r\n" if crlf_every and i % crlf_every == 0 else "\n" for i in range(len(rows))]
    text = "".join(r + e for r, e in zip(rows, ends, strict=True))
    if not final_newline:
        text = text.rstrip("\r\n")
    data = text.encode()
    path.write_bytes(gzip.compress(data, compresslevel=1) if compress else data)
    return path
