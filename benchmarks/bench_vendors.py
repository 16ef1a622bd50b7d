"""Benchmark per vendor: ``kit.read_firewall_log`` against a hand-written per-line loop.

Usage::

    .venv/bin/python benchmarks/bench_vendors.py --vendor paloalto [LINES]   # default 1,000,000

The log (random connections of a busy firewall rendered by ``kit.synth.vendorlogs``) is generated
once under ``benchmarks/data/`` (git-ignored). The loop is what a user writes by hand for that
format and produces the same columns (the PAN-OS CSV through ``csv.reader``, FortiGate pairs
through one ``re.findall``, SRX and conntrack through one regex), rows as tuples, then a
DataFrame. Measurement, targets and table as in ``bench_firewall.py`` (its ``measure`` and
``_best`` are used): kit at least 5x faster, peak RSS at most 1.5x the file.
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_firewall import DATA, _best, measure

#: issue 13's targets for every vendor: >= 5x the per-line loop, peak RSS <= 1.5x the file
SPEEDUP_TARGET, MEMORY_TARGET = 5.0, 1.5

VENDORS = ("paloalto", "fortinet", "juniper", "netfilter")
_PAN_START = re.compile(r"\d,\d{4}/\d\d/\d\d \d\d:\d\d:\d\d,")
_PAN_FIELDS = (6, 3, 4, 7, 8, 16, 17, 22, 24, 25, 29, 31, 35, 36, 44, 45, 46, 52)
_PAIR = re.compile(r'([\w-]+)=("[^"]*"|\S*)')
_FGT_KEYS = ("date", "time", "eventtime", "tz", "devname", "logid", "action", "proto",
             "sessionid", "srcip", "srcport", "srcintf", "dstip", "dstport", "dstintf",
             "duration", "sentbyte", "rcvdbyte", "sentpkt", "rcvdpkt")
_SRX = re.compile(
    r"^<\d+>(?P<stamp>\w{3} +\d+ [\d:]+) (?P<host>\S+) RT_FLOW: (?P<msg>RT_FLOW_SESSION_\w+): "
    r"session (?:closed (?P<reason>.+?): |created )(?P<src>[^/\s]+)/(?P<sport>\d+)->"
    r"(?P<dst>[^/\s]+)/(?P<dport>\d+)(?: 0x\w+)? \S+ \S+(?: 0x\w+)? (?:\S+ ){2,4}"
    r"(?P<proto>\d+) \S+ (?P<from>\S+) (?P<to>\S+) (?P<session>\d+)"
    r"(?: (?P<pc>\d+)\((?P<bc>\d+)\) (?P<ps>\d+)\((?P<bs>\d+)\) (?P<elapsed>\d+))?")
_CONNTRACK = re.compile(
    r"^\[(?P<ts>[\d.]+)\]\s+\[(?P<event>NEW|DESTROY)\]\s+(?:ipv\d\s+\d+\s+)?(?P<proto>\w+)\s+\d+"
    r"\s+(?:\d+ \w+ )?src=(?P<src>\S+) dst=(?P<dst>\S+) sport=(?P<sport>\d+) "
    r"dport=(?P<dport>\d+)(?: packets=\d+ bytes=(?P<b1>\d+))?.*?(?: bytes=(?P<b2>\d+))?"
    r"(?P<assured> \[ASSURED\])?(?: delta-time=(?P<delta>\d+))? id=(?P<id>\d+)")


def run_loop(vendor: str, path: str) -> int:
    """The per-line loop for ``vendor`` (runs in a child process)."""
    import pandas as pd

    rows = []
    with open(path, encoding="utf-8", errors="replace") as stream:
        for line in stream:
            if vendor == "paloalto":
                found = _PAN_START.search(line)
                if found:
                    fields = next(csv.reader([line[found.start():]]))
                    if len(fields) > 46:
                        rows.append(tuple(fields[i] if i < len(fields) else ""
                                          for i in _PAN_FIELDS))
            elif vendor == "fortinet":
                pairs = dict(_PAIR.findall(line))
                if "logid" in pairs:
                    rows.append(tuple(pairs.get(k, "").strip('"') for k in _FGT_KEYS))
            else:
                found = (_SRX if vendor == "juniper" else _CONNTRACK).search(line)
                if found:
                    rows.append(found.groups())
    return len(pd.DataFrame(rows))


def run_kit(path: str) -> int:
    """``kit.read_firewall_log`` as a user would call it (runs in a child process)."""
    import kit

    frame = kit.read_firewall_log(path, tz="+01:00", progress=False, on_bad_lines="skip")
    return len(frame)


def log_file(vendor: str, lines: int) -> Path:
    path = DATA / f"{vendor}-{lines}.log"
    if not path.exists():
        from kit.synth.vendorlogs import write_vendor_log

        DATA.mkdir(exist_ok=True)
        print(f"generating {path} ...", flush=True)
        write_vendor_log(path.with_suffix(".tmp"), vendor, lines=lines)
        path.with_suffix(".tmp").rename(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lines", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--vendor", choices=VENDORS, required=True)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--child", choices=("loop", "kit"), help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        import pandas  # noqa: F401  imported before the clock starts, for both readers

        if args.child == "kit":
            import kit.firewall  # noqa: F401
        start = time.perf_counter()
        rows = run_loop(args.vendor, args.path) if args.child == "loop" else run_kit(args.path)
        print(rows, time.perf_counter() - start)
        return 0
    path = log_file(args.vendor, args.lines)
    size = path.stat().st_size
    rel = os.path.relpath(path)
    me = [sys.executable, __file__, "--vendor", args.vendor]
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)  # warm the cache
    commands = {"per-line loop": [*me, "--child", "loop", "--path", rel],
                "kit.read_firewall_log": [*me, "--child", "kit", "--path", rel]}
    runs: dict[str, list] = {name: [] for name in commands}
    for _ in range(max(1, args.repeat)):
        for name, command in commands.items():
            runs[name].append(measure(command))
    results = {name: _best(rs) for name, rs in runs.items()}
    kit_seconds, _, kit_rss, *_ = results["kit.read_firewall_log"]
    print(f"\n{args.vendor}: {args.lines:,} lines, {size / 1e6:,.0f} MB ({rel}), "
          f"{os.cpu_count()} cores, best of {max(1, args.repeat)}\n")
    print("| reader | rows | read s | process s | process CPU s | lines/s | MB/s | vs kit | "
          "peak RSS MB | RSS/file |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, (seconds, wall, rss, rows, _, cpu) in results.items():
        print(f"| {name} | {rows:,} | {seconds:.2f} | {wall:.2f} | {cpu:.2f} | "
              f"{args.lines / seconds:,.0f} | {size / 1e6 / seconds:,.0f} | "
              f"{seconds / kit_seconds:.2f}x | {rss / 1e6:,.0f} | {rss / size:.2f} |")
    speedup = results["per-line loop"][0] / kit_seconds
    memory = kit_rss / size
    ok_speed, ok_memory = speedup >= SPEEDUP_TARGET, memory <= MEMORY_TARGET
    print(f"\nkit vs per-line loop: {speedup:.1f}x faster (target >= {SPEEDUP_TARGET}x): "
          f"{'met' if ok_speed else 'NOT met'}")
    print(f"kit peak RSS: {memory:.2f}x the file (target <= {MEMORY_TARGET}x): "
          f"{'met' if ok_memory else 'NOT met'}")
    return 0 if ok_speed and ok_memory else 1


if __name__ == "__main__":
    sys.exit(main())
