"""Benchmark: logs bigger than one machine: ``kit parse`` to Parquet and the case analysis on Dask,
beside the pandas reader, with 1 and 2 workers.

Usage::

    .venv/bin/python benchmarks/bench_scale.py [LINES] [--workers 1,2] [--blocksize BYTES]

LINES defaults to 20,000,000 (~4.2 GB, the acceptance size); pass a smaller number on a shared
machine. The log is generated on first use with ``kit.synth.sessionlog.write_session_log``
(sessions with realistic durations, nearly every Built followed by its Teardown; ~80 s for 20M
lines) under ``benchmarks/data/`` (git-ignored). Each step runs in its own child process:

* ``pandas``: ``kit.read_firewall_log(log)`` (the default engine, in one process);
* ``parse/N``: ``kit parse log --out DIR`` on kit's ``LocalCluster`` of N single-threaded workers
  (``kit.scale.cluster.local_cluster``: Arrow's allocator handing freed pages back at once);
* ``analysis/N``: ``reduce_case`` (sessions, idle teardowns, histogram, concurrency) on the
  dataset ``parse/N`` wrote, on the same cluster size.

For each: wall time and peak RSS of the client process (sampled every 0.2 s with psutil), of
the largest single process (``ru_maxrss`` from ``os.wait4``, which covers the workers too) and of
the client and its worker processes summed (sampled).
Targets (issue 14): ``kit parse`` peak RSS <= 1.5 GB (whole tree), the analysis client's peak
RSS <= 2 GB.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
#: the generated log's device stamps are of 2024; its relay stamps carry no year
YEAR = 2024
SETTINGS = {"relay_tz": "America/Chicago", "year": YEAR}
PARSE_TARGET = 1.5e9
CLIENT_TARGET = 2.0e9


def child(step: str, log: str, out: str, workers: int, blocksize: int) -> None:
    """One step, inside its own process (prints the row count)."""
    if step == "pandas":
        import kit

        frame = kit.read_firewall_log(log, progress=False, on_bad_lines="skip", **SETTINGS)
        print(len(frame))
        return
    from distributed import Client

    from kit.scale.cluster import local_cluster

    with local_cluster(workers) as cluster, Client(cluster) as client:
        if step == "parse":
            from kit.scale.dataset import parse_to_dataset

            dataset = parse_to_dataset(log, out, on_bad_lines="skip", progress=False,
                                       blocksize=blocksize, scheduler=client, **SETTINGS)
            print(dataset.rows)
        else:
            import kit
            from kit.scale.analysis import reduce_case

            events = kit.read_firewall_log(out, engine="dask", **SETTINGS)
            reduced = reduce_case(events)
            print(len(reduced.sessions))


def measure(command: list[str]) -> tuple[float, int, int, int, float, str]:
    """Run ``command``; (wall seconds, client peak RSS, largest process's peak RSS,
    process-tree peak RSS, mean 1-minute load average of the machine meanwhile, stdout).
    The client's and the tree's are sampled; the largest
    process's is ``ru_maxrss`` from ``os.wait4`` (the maximum over the child and its waited-for
    descendants, i.e. the workers)."""
    import psutil

    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    peak = [0, 0]  # tree, client
    loads: list[float] = []
    done = threading.Event()

    def sample() -> None:
        parent = psutil.Process(process.pid)
        while not done.is_set():
            try:
                tree = [parent, *parent.children(recursive=True)]
                total = 0
                for p in tree:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_info().rss
                peak[0] = max(peak[0], total)
                with contextlib.suppress(psutil.Error):
                    peak[1] = max(peak[1], parent.memory_info().rss)
                loads.append(os.getloadavg()[0])
            except psutil.Error:
                return
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    done.set()
    seconds = time.perf_counter() - start
    output = process.stdout.read().strip() if process.stdout else ""
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{command} failed with exit code {os.waitstatus_to_exitcode(status)}")
    load = sum(loads) / len(loads) if loads else os.getloadavg()[0]
    return seconds, peak[1], usage.ru_maxrss * 1024, peak[0], load, output


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lines", nargs="?", type=int, default=20_000_000)
    parser.add_argument("--workers", default="1,2", help="cluster sizes to compare")
    parser.add_argument("--blocksize", type=int, default=None,
                        help="bytes per partition (default: kit parse's own)")
    parser.add_argument("--steps", default="pandas,parse,analysis",
                        help="which steps to run (parse and analysis per cluster size)")
    parser.add_argument("--child", nargs=5, metavar=("STEP", "LOG", "OUT", "N", "BLOCKSIZE"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.blocksize is None:
        from kit.scale.engine import BLOCKSIZE

        args.blocksize = BLOCKSIZE
    steps = set(args.steps.split(","))
    if args.child:
        step, log, out, workers, blocksize = args.child
        child(step, log, out, int(workers), int(blocksize))
        return 0

    from kit.synth.sessionlog import write_session_log

    log = DATA / f"sessions-{args.lines}.log"
    if not log.exists():
        print(f"generating {log} ({args.lines:,} lines) ...", flush=True)
        began = time.perf_counter()
        write_session_log(log, lines=args.lines, seed=0)
        print(f"generated in {time.perf_counter() - began:.0f} s", flush=True)
    size = log.stat().st_size
    print(f"log: {args.lines:,} lines, {size / 1e6:,.0f} MB; {os.cpu_count()} cores; "
          f"blocksize {args.blocksize / 2**20:g} MiB")
    rows = []

    def run(step: str, workers: int, out: Path) -> None:
        command = [sys.executable, __file__, "--child", step, str(log), str(out), str(workers),
                   str(args.blocksize)]
        seconds, client, largest, tree, load, output = measure(command)
        label = step if step == "pandas" else f"{step}/{workers}"
        rows.append((label, int(output.splitlines()[-1]), seconds, client, largest, tree, load))
        print(f"{label:12s} rows {rows[-1][1]:>12,}  {seconds:8.1f} s  peak RSS MB: client "
              f"{client / 1e6:,.0f}, largest process {largest / 1e6:,.0f}, tree "
              f"{tree / 1e6:,.0f}; load {load:.1f}", flush=True)

    if "pandas" in steps:
        run("pandas", 0, DATA / "unused")
    for workers in (int(w) for w in args.workers.split(",")):
        out = DATA / f"scale-{args.lines}-parquet-{workers}"
        shutil.rmtree(out, ignore_errors=True)
        for step in ("parse", "analysis"):
            if step in steps:
                run(step, workers, out)
        shutil.rmtree(out, ignore_errors=True)

    pandas_s = next((r[2] for r in rows if r[0] == "pandas"), None)
    print("\n| step | rows | s | vs pandas reader | peak RSS MB: client | largest process "
          "| whole tree | load |")
    print("|---|---|---|---|---|---|---|---|")
    for label, count, seconds, client, largest, tree, load in rows:
        ratio = f"{seconds / pandas_s:.2f}x" if pandas_s else "n/a"
        print(f"| {label} | {count:,} | {seconds:.1f} | {ratio} | "
              f"{client / 1e6:,.0f} | {largest / 1e6:,.0f} | {tree / 1e6:,.0f} | {load:.1f} |")
    verdicts = []
    for step, column, target, what in (("parse", 5, PARSE_TARGET, "kit parse tree"),
                                       ("analysis", 3, CLIENT_TARGET, "analysis client")):
        peaks = [r[column] for r in rows if r[0].startswith(step)]
        if peaks:
            verdicts.append(max(peaks) <= target)
            print(f"{what} peak RSS {max(peaks) / 1e9:.2f} GB (target <= {target / 1e9:g}): "
                  f"{'met' if verdicts[-1] else 'MISSED'}")
    return 0 if all(verdicts) else 1

if __name__ == "__main__":
    sys.exit(main())
