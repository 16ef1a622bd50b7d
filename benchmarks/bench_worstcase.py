"""Benchmark: the hostile inputs of issue 15, each at three sizes, showing time and memory grow
linearly (or stay flat) with the input.

Usage::

    .venv/bin/python benchmarks/bench_worstcase.py            # all cases, sizes x1, x4, x16
    .venv/bin/python benchmarks/bench_worstcase.py --scale 2  # bigger inputs

Each (case, size) runs in its own child process: the table shows the reader's own time (inside
the child, around the call) and the child's peak RSS (``ru_maxrss`` from ``os.wait4``), then for
each step to the next size the growth of the time against the growth of the input: about 4x for
a 4x input is linear (a quadratic regex would show 16x, and took minutes before the fix). The
inputs are built in memory in the child, so nothing is written to disk. Host exports are
capped at 8 MB by their readers, so their runs stop at 4 MB.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import subprocess
import sys
import time
import zipfile

import kit

MB = 1024 * 1024
TEARDOWN = (b"Jun  4 20:08:10 fw01 : %ASA-6-302014: Teardown TCP connection 1 for "
            b"a:10.0.0.1/1 to b:10.0.0.2/2 duration 1:00:49 bytes 5 X")
GOOD = (b"<166>Aug 28 2023 15:35:00 fw1 : %ASA-6-302014: Teardown TCP connection 7 for "
        b"outside:192.0.2.1/443 to inside:10.0.0.5/40000 duration 0:00:34 bytes 1234 TCP FINs\n")
JUNK = b"Jun  4 20:08:10 host sshd[1]: " + b"x" * 70 + b"\n"


def _teardown_blank_run(size: int) -> None:
    frame = kit.read_firewall_log(TEARDOWN + b" " * size + b"Y\n", progress=False)
    assert len(frame) == 1


def _keepalive_blank_run(size: int) -> None:
    content = b"net.ipv4.tcp_keepalive_time = 600\n" + b" " * size + b"x\n"
    frame = kit.read_keepalive({"name": "h1.sysctl.txt", "content": content}, on_bad_lines="skip")
    assert frame.keepalive_time[0].total_seconds() == 600


def _sockets_blank_run(size: int) -> None:
    content = (b"ESTAB 0 0 10.0.0.5:40000 192.0.2.1:443 timer:(keepalive,7min,0)\n"
               + b" " * size + b"x\n")
    kit.read_sockets({"name": "h1.ss.txt", "content": content}, on_bad_lines="skip")


def _zip_member(size: int) -> None:
    buffer = io.BytesIO()
    with (zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive,
          archive.open("big.log", "w") as member):
        for _ in range(size // len(JUNK)):
            member.write(JUNK)
        member.write(GOOD)
    frame = kit.read_firewall_log(buffer.getvalue(), progress=False, on_bad_lines="skip")
    assert len(frame) == 1


def _gzip_bad_crc(size: int) -> None:
    packed = bytearray(gzip.compress(GOOD * (size // len(GOOD)), compresslevel=1))
    packed[-8] ^= 0xFF
    frame = kit.read_firewall_log(bytes(packed), progress=False, on_bad_lines="skip")
    assert len(frame) == size // len(GOOD)  # every line kept despite the damage


#: case -> (reader, base input size in bytes, what it is)
CASES = {
    "teardown reason: blank run": (_teardown_blank_run, 1 * MB,
                                   "one teardown line whose reason holds N spaces"),
    "keepalive export: blank run": (_keepalive_blank_run, MB // 4,
                                    "a sysctl export with a line of N spaces"),
    "socket listing: blank run": (_sockets_blank_run, MB // 4,
                                  "an ss listing with a line of N spaces"),
    "zip member, streamed": (_zip_member, 16 * MB, "N bytes of syslog in one zip member"),
    "gzip with a wrong CRC": (_gzip_bad_crc, 8 * MB, "N bytes of teardowns, gzip CRC damaged"),
}


def _child(case: str, size: int) -> None:
    reader = CASES[case][0]
    start = time.perf_counter()
    reader(size)
    print(time.perf_counter() - start)


def _run(case: str, size: int) -> tuple[float, float]:
    """(seconds inside the child, peak RSS in MB) of one case at one size."""
    child = subprocess.Popen([sys.executable, __file__, "--child", case, str(size)],
                             stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f"{case} at {size:,} bytes failed (status {status})")
    return float(out.strip()), usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every input size")
    parser.add_argument("--child", nargs=2, metavar=("CASE", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]))
        return 0
    print("| case | input | read s | peak RSS MB | time growth (input x4) |")
    print("|---|---|---|---|---|")
    for case, (_, base, _what) in CASES.items():
        previous = None
        for factor in (1, 4, 16):
            size = int(base * factor * args.scale)
            seconds, rss = _run(case, size)
            growth = f"{seconds / previous:.1f}x" if previous else ""
            print(f"| {case} | {size / MB:g} MB | {seconds:.2f} | {rss:,.0f} | {growth} |",
                  flush=True)
            previous = seconds
    return 0


if __name__ == "__main__":
    sys.exit(main())
