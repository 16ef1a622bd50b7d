"""Benchmark: ``kit.read_firewall_log`` against ``grep -c`` and a hand-written per-line ``re`` loop.

Usage::

    .venv/bin/python benchmarks/bench_firewall.py [LINES]     # default 5,000,000 (~1 GB)

The log is generated on first use with ``kit.synth.write_log`` under ``benchmarks/data/``
(git-ignored). Each reader runs in its own child process, one after the other, on the same warm
file, ``--repeat`` times interleaved (the best counts: the machine is shared and noisy). The
table shows the read's own time (measured inside the child around the reader call, after
``import pandas`` / ``import kit`` and before the interpreter exits: the same for both Python
readers), the whole process's wall time, lines/s, MB/s, the ratios of read times and each child's
peak RSS (ru_maxrss from ``os.wait4``). The targets: kit at least 5x faster than the ``re``
loop, and kit's peak RSS at most 1.5x the file size.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
SPEEDUP_TARGET = 5.0
MEMORY_TARGET = 1.5

#: what a user writes by hand: one regex per line, rows as tuples, then a DataFrame
_HAND_WRITTEN = re.compile(
    r"^(?P<stamp>\w{3} +\d+ [\d:]+).*?%(?P<product>ASA|PIX|FWSM|FTD)-\d-(?P<msg_id>30201[3-6]): "
    r"(?P<event>Built|Teardown) (?:(?P<direction>inbound|outbound) )?(?P<protocol>TCP|UDP) "
    r"connection (?P<conn_id>\d+) for (?P<src_if>[^:]+):(?P<src_ip>[^/]+)/(?P<src_port>\d+)"
    r"(?: \([^)]*\))?(?:\([^)]*\))? to (?P<dst_if>[^:]+):(?P<dst_ip>[^/]+)/(?P<dst_port>\d+)"
    r"(?: \([^)]*\))?(?:\([^)]*\))?(?: duration (?P<h>\d+):(?P<m>\d+):(?P<s>\d+) "
    r"bytes (?P<bytes>\d+)(?: (?P<reason>.*))?)?")


def run_loop(path: str) -> int:
    """The per-line ``re`` loop (runs in a child process)."""
    import pandas as pd

    rows = []
    with open(path, encoding="utf-8", errors="replace") as stream:
        for line in stream:
            match = _HAND_WRITTEN.search(line)
            if match:
                rows.append(match.groups())
    frame = pd.DataFrame(rows, columns=list(_HAND_WRITTEN.groupindex))
    return len(frame)


def run_kit(path: str) -> int:
    """``kit.read_firewall_log`` as a user would call it on this log (runs in a child process)."""
    import kit

    frame = kit.read_firewall_log(path, relay_tz="America/Chicago", progress=False,
                                  on_bad_lines="skip")
    return len(frame)


def measure(command: list[str]) -> tuple[float, int, str]:
    """Run ``command``; return (wall seconds, peak RSS bytes, stdout)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    output = child.stdout.read().strip() if child.stdout else ""
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise SystemExit(f"{command} failed with exit code {child.returncode}")
    return seconds, usage.ru_maxrss * 1024, output


def _best(runs: list[tuple[float, int, str]]) -> tuple[float, float, int, int]:
    """(read seconds, process seconds, peak RSS, rows): the fastest read and the highest RSS.

    A Python child prints ``rows seconds`` (the read alone, imports and exit excluded); for
    ``grep`` the read is the whole process."""
    reads = []
    for wall, _, out in runs:
        rows, *inner = out.split()
        reads.append((float(inner[0]) if inner else wall, wall, int(rows)))
    seconds, wall, rows = min(reads)
    return seconds, wall, max(r[1] for r in runs), rows


def log_file(lines: int) -> Path:
    """The benchmark log for ``lines`` lines, generated once with ``kit.synth``."""
    path = DATA / f"asa-{lines}.log"
    if not path.exists():
        from kit.synth import write_log

        print(f"generating {path} ...", flush=True)
        write_log(path.with_suffix(".tmp"), lines=lines, seed=0)
        path.with_suffix(".tmp").rename(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lines", nargs="?", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=2,
                        help="runs of each reader, interleaved; the best wall time counts "
                             "(the machine is shared and noisy), the highest peak RSS")
    parser.add_argument("--child", choices=("loop", "kit"), help=argparse.SUPPRESS)
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        import pandas  # noqa: F401  imported before the clock starts, for both readers

        if args.child == "kit":
            import kit.firewall  # noqa: F401
        start = time.perf_counter()
        rows = (run_loop if args.child == "loop" else run_kit)(args.path)
        print(rows, time.perf_counter() - start)
        return 0

    path = log_file(args.lines)
    size = path.stat().st_size
    rel = os.path.relpath(path)
    me = [sys.executable, __file__]
    subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL, check=True)  # warm the cache
    commands = {
        "grep -c 302014": ["grep", "-c", "302014", rel],
        "per-line re loop": [*me, "--child", "loop", "--path", rel],
        "kit.read_firewall_log": [*me, "--child", "kit", "--path", rel],
    }
    runs: dict[str, list[tuple[float, int, str]]] = {name: [] for name in commands}
    for _ in range(max(1, args.repeat)):  # interleaved, so drifting load hits all alike
        for name, command in commands.items():
            runs[name].append(measure(command))
    results = {name: _best(rs) for name, rs in runs.items()}
    kit_seconds, _, kit_rss, _ = results["kit.read_firewall_log"]
    print(f"\n{args.lines:,} lines, {size / 1e6:,.0f} MB ({rel}), {os.cpu_count()} cores, "
          f"best of {max(1, args.repeat)} interleaved runs\n")
    print("| reader | rows / count | read s | process s | lines/s | MB/s | vs kit | peak RSS MB "
          "| RSS/file |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, (seconds, wall, rss, rows) in results.items():
        print(f"| {name} | {rows:,} | {seconds:.2f} | {wall:.2f} | {args.lines / seconds:,.0f} | "
              f"{size / 1e6 / seconds:,.0f} | {seconds / kit_seconds:.2f}x | {rss / 1e6:,.0f} | "
              f"{rss / size:.2f} |")
    speedup = results["per-line re loop"][0] / kit_seconds
    memory = kit_rss / size
    ok_speed, ok_memory = speedup >= SPEEDUP_TARGET, memory <= MEMORY_TARGET
    print(f"\nkit vs re loop: {speedup:.1f}x faster (target >= {SPEEDUP_TARGET}x): "
          f"{'met' if ok_speed else 'NOT met'}")
    print(f"kit peak RSS: {memory:.2f}x the file (target <= {MEMORY_TARGET}x): "
          f"{'met' if ok_memory else 'NOT met'}")
    return 0 if ok_speed and ok_memory else 1


if __name__ == "__main__":
    sys.exit(main())
