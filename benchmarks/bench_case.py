"""A case of about a million sessions, end to end: open, re-open, each notebook, a what-if move,
``kit report --redact``.

    .venv/bin/python benchmarks/bench_case.py                 # ~1M sessions (rate 20,000/h, 2 days)
    .venv/bin/python benchmarks/bench_case.py --rate 2000     # a quicker run (~100k sessions)

The case is generated once with ``kit sample`` (``kit.synth.generate_case``) under
``benchmarks/data/`` (git-ignored). Each step runs in its own child process (so its peak RSS is
its own, from ``os.wait4``), one after the other on the same warm files:

* first open: ``kit.load_case`` with an empty parse cache (parse, then write the cache); the
  time is that of ``load_case`` (the sessions build after it is shown beside it);
* second open: the same with the cache written by the first;
* each notebook: ``kit.report.run_notebook`` (papermill, a fresh kernel) of notebooks 01-04;
* one what-if move: ``WhatIf`` built, then each slider moved once (the time of each move);
* ``kit report --redact`` (the CLI, four notebooks, redaction and its check).

Targets (issue 10): second open <= 3 s, a slider move <= 1 s, each notebook <= 30 s,
``kit report --redact`` <= 120 s, peak RSS <= 4 GB. The exit status is 0 only if all are met.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "benchmarks" / "data"
NOTEBOOKS = ROOT / "notebooks"
TARGETS = {"second open": 3.0, "slider move": 1.0, "notebook": 30.0, "kit report --redact": 120.0}
RSS_TARGET_MB = 4096

OPEN = """
import json, sys, time
import kit
start = time.perf_counter()
case = kit.load_case(sys.argv[1])
loaded = time.perf_counter()
sessions = case.sessions
built = time.perf_counter()
print(json.dumps({"load": loaded - start, "sessions": built - loaded,
                  "events": len(case.connections), "sessions_n": len(sessions)}))
"""

SLIDERS = """
import json, sys, time
import kit
from kit.widgets import WhatIf
case = kit.load_case(sys.argv[1])
case.sessions
start = time.perf_counter()
whatif = WhatIf(case, kit.Assumptions())
built = time.perf_counter() - start
moves = {}
for name, step in (("keepalive", 5), ("new_firewall_timeout", 10), ("heartbeat", 5)):
    slider = whatif.sliders[name]
    start = time.perf_counter()
    slider.value = slider.value + step
    moves[name] = time.perf_counter() - start
print(json.dumps({"whatif_built": built, "moves": moves}))
"""

NOTEBOOK = """
import sys
from pathlib import Path
from kit.report import run_notebook
run_notebook(Path(sys.argv[1]), Path(sys.argv[2]),
             parameters={"case_dir": sys.argv[3], "redact": False}, cwd=Path(sys.argv[1]).parent,
             timeout=1800)
"""


def measure(command: list[str]) -> tuple[float, float, str]:
    """Run ``command``; return (wall seconds, peak RSS MB of it and its waited-for children,
    stdout)."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, text=True,
                             env={k: v for k, v in os.environ.items() if k != "MPLBACKEND"})
    out = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(command[:3])}...: exit status {status}\n{out}")
    return seconds, usage.ru_maxrss / 1024, out


def case_folder(rate: float, days: int) -> Path:
    """The generated case (made once, reused)."""
    folder = DATA / f"case-rate{int(rate)}-days{days}"
    if not (folder / "case.toml").is_file():
        DATA.mkdir(parents=True, exist_ok=True)
        print(f"generating {folder} with kit sample ...", flush=True)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "kit.cli", "sample", str(folder),
                        "--background-rate", str(rate), "--days", str(days)], check=True)
        print(f"  generated in {time.perf_counter() - start:.0f} s", flush=True)
    return folder


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=20_000.0,
                        help="background connections per hour (20,000: ~1M sessions in 2 days)")
    parser.add_argument("--days", type=int, default=2)
    parser.add_argument("--skip-report", action="store_true", help="leave out kit report")
    args = parser.parse_args(argv)

    case = case_folder(args.rate, args.days)
    size = sum(p.stat().st_size for p in (case / "firewall").iterdir()) / 1e6
    rows: list[tuple[str, float, float, str]] = []
    python = sys.executable

    shutil.rmtree(case / ".kit", ignore_errors=True)
    for label in ("first open", "second open"):
        seconds, rss, out = measure([python, "-c", OPEN, str(case)])
        info = json.loads(out.strip().splitlines()[-1])
        rows.append((label, info["load"], rss, f"kit.load_case; then sessions built in "
                     f"{info['sessions']:.1f} s; child process {seconds:.1f} s in all; "
                     f"{info['events']:,} events, {info['sessions_n']:,} sessions"))

    seconds, rss, out = measure([python, "-c", SLIDERS, str(case)])
    info = json.loads(out.strip().splitlines()[-1])
    moves = info["moves"]
    rows.append(("slider move", max(moves.values()), rss,
                 f"WhatIf built in {info['whatif_built']:.1f} s; moves: " + ", ".join(
                     f"{name} {value:.2f} s" for name, value in moves.items())))

    with tempfile.TemporaryDirectory() as out_dir:
        for notebook in sorted(NOTEBOOKS.glob("0[1-4]_*.ipynb")):
            seconds, rss, _ = measure([python, "-c", NOTEBOOK, str(notebook),
                                       str(Path(out_dir) / notebook.name), str(case)])
            rows.append((f"notebook {notebook.stem}", seconds, rss, "papermill, fresh kernel"))
        if not args.skip_report:
            seconds, rss, _ = measure([python, "-m", "kit.cli", "report", str(case), "--out",
                                       str(Path(out_dir) / "report"), "--redact"])
            rows.append(("kit report --redact", seconds, rss, "4 notebooks, redaction, check"))

    print(f"\ncase: {case} ({size:,.0f} MB of firewall logs)")
    print("| step | wall s | peak RSS MB | target | notes |")
    print("|---|---|---|---|---|")
    met = True
    for label, seconds, rss, notes in rows:
        key = "notebook" if label.startswith("notebook") else label
        target = TARGETS.get(key)
        ok = (target is None or seconds <= target) and rss <= RSS_TARGET_MB
        met &= ok
        shown = f"<= {target:g} s" if target is not None else "-"
        print(f"| {label} | {seconds:.1f} | {rss:,.0f} | {shown} {'met' if ok else 'MISSED'} | "
              f"{notes} |")
    print(f"\nall targets met: {met}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
