"""The ``kit`` command. Each subcommand is a small function registered on its own subparser.

Add a subcommand by writing ``_add_<name>(subparsers)`` that sets ``func`` on its parser and
listing it in ``_COMMANDS``.
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import KitError
from .redaction.keys import KEY_ENV

#: what to do about an output error, by errno: a full disk, a read-only or unwritable folder
_WRITE_ADVICE = {
    errno.ENOSPC: "free some space or choose another --out folder",
    errno.EDQUOT: "free some space or choose another --out folder",
    errno.EACCES: "choose a writable --out folder",
    errno.EPERM: "choose a writable --out folder",
    errno.EROFS: "choose a writable --out folder",
}


def _duration(option: str) -> Callable[[str], object]:
    """An argparse type reading a duration in the kit's grammar (``kit.units``)."""
    from .units import UnitError, parse_duration

    def read(text: str) -> object:
        try:
            return parse_duration(text, name=option)
        except UnitError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return read


def _zone(option: str) -> Callable[[str], str]:
    """An argparse type reading a time zone in the kit's grammar (``kit.units``)."""
    from .units import UnitError, parse_zone

    def read(text: str) -> str:
        try:
            return parse_zone(text, name=option).name
        except UnitError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return read


def _add_synth_log(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "synth-log", help="write a benchmark-size synthetic ASA/FWSM syslog file",
        description="Write a synthetic multi-device ASA/FWSM log (deterministic for a seed).")
    parser.add_argument("out", type=Path, help="output file")
    parser.add_argument("--lines", type=int, default=5_000_000, help="number of lines")
    parser.add_argument("--seed", type=int, default=0, help="random seed (same seed, same file)")
    parser.set_defaults(func=_synth_log)


def _synth_log(args: argparse.Namespace) -> int:
    from .synth import write_log

    path = write_log(args.out, lines=args.lines, seed=args.seed)
    print(f"wrote {args.lines:,} lines to {path} ({path.stat().st_size / 1e6:,.1f} MB)")
    return 0


def _add_new_case(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "new-case", help="scaffold an empty case folder",
        description="Create a case folder with a commented case.toml, an inventory.csv header "
                    "and a README of what to collect on each OS.")
    parser.add_argument("dir", type=Path, help="the case folder to create")
    parser.add_argument("--id", dest="case_id", help="case id (default: the folder name)")
    parser.set_defaults(func=_new_case)


def _new_case(args: argparse.Namespace) -> int:
    from .case import new_case

    root = new_case(args.dir, case_id=args.case_id)
    print(f"created {root}: fill in case.toml, then follow {root / 'README.md'}")
    return 0


def _add_sample(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "sample", help="write a generated case folder with its ground truth",
        description="Write a case like data/sample-incident from parameters (deterministic for "
                    "a seed), with truth.json and truth-sessions.csv.gz.")
    parser.add_argument("out_dir", type=Path, help="the case folder to write")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--days", type=int, default=2, help="days of logs (first night: fulls)")
    parser.add_argument("--clients", type=int, default=8, help="DMZ clients (OS mix repeats)")
    parser.add_argument("--timeout", default="1:00:00", type=_duration("--timeout"),
                        help='firewall idle timeout: seconds, "h:mm:ss" or "1h" (default 1:00:00)')
    parser.add_argument("--keepalive", default="sample",
                        help='"sample", "all-tuned", "all-default", or host=duration pairs '
                             '(seconds, "h:mm:ss" or "15min") separated by commas (on top of '
                             'the sample)')
    parser.add_argument("--background-rate", type=float, default=None,
                        help="background connections per hour (default 100; 20 for vendors "
                             "other than cisco, whose lines are longer)")
    parser.add_argument("--vendor", default="cisco",
                        choices=("cisco", "paloalto", "fortinet", "juniper", "netfilter"),
                        help="the firewall's vendor (default cisco: the ASA/FWSM sample; "
                             "others: one firewall of that vendor with an application "
                             "timeout on port 13724)")
    parser.add_argument("--start", default="2024-06-03", help="first day (relay-local date)")
    parser.add_argument("--malformed", type=int, default=6, help="malformed lines to inject")
    parser.add_argument("--infer-timeout", action="store_true",
                        help="leave idle_timeout out of case.toml (the kit must infer it)")
    parser.set_defaults(func=_sample)


def _sample(args: argparse.Namespace) -> int:
    from .synth import generate_case, generate_vendor_case
    from .units import parse_duration

    timeout = args.timeout
    keepalive: str | dict[str, object] = args.keepalive
    if "=" in args.keepalive:
        pairs = (item.split("=", 1) for item in args.keepalive.split(","))
        keepalive = {name.strip(): int(parse_duration(value, name=f"--keepalive {name.strip()}")
                                       .total_seconds()) for name, value in pairs}
    options = {"seed": args.seed, "days": args.days, "clients": args.clients,
               "timeout_s": int(timeout.total_seconds()), "keepalive": keepalive,
               "start": args.start, "malformed": args.malformed,
               "state_timeout": not args.infer_timeout}
    if args.background_rate is not None:
        options["background_rate"] = args.background_rate
    if args.vendor == "cisco":
        truth = generate_case(args.out_dir, **options)
    else:
        truth = generate_vendor_case(args.out_dir, vendor=args.vendor, **options)
    print(f"wrote {args.out_dir}: {truth['counts']['lines']:,} log lines, "
          f"{len(truth['victims'])} idle-timeout teardowns, at risk: "
          f"{', '.join(truth['at_risk_hosts']) or 'none'}")
    return 0


def _add_parse(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "parse", help="read firewall logs: print a summary, or write a Parquet dataset (--out)",
        description="Read firewall syslog files (plain or compressed) and print what was found. "
                    "With --out, write the connection events as a Parquet dataset partitioned "
                    "by device and day, with the load report beside it, in bounded memory "
                    "(on Dask: a local cluster, or --scheduler / KIT_DASK_SCHEDULER); a "
                    "later run appends to the same folder.")
    parser.add_argument("files", nargs="+", help="files, folders or globs")
    parser.add_argument("--tz", default="UTC", type=_zone("--tz"),
                        help='zone of the device stamps: IANA name, "UTC", "+02:00", "UTC+2"')
    parser.add_argument("--relay-tz", default="UTC", type=_zone("--relay-tz"),
                        help="zone of the relay header (same forms as --tz)")
    parser.add_argument("--year", type=int, default=None, help="year of year-less stamps")
    parser.add_argument("--out", type=Path, default=None,
                        help="write a Parquet dataset to this folder (created or appended to)")
    parser.add_argument("--scheduler", default=None,
                        help="Dask scheduler address tcp://HOST:8786 for --out (default: "
                             "$KIT_DASK_SCHEDULER, else a local cluster)")
    parser.add_argument("--blocksize", type=int, default=None,
                        help="bytes per partition of a plain file for --out (default 8 MiB)")
    parser.set_defaults(func=_parse)


def _parse(args: argparse.Namespace) -> int:
    from . import read_firewall_log

    if args.out is not None:
        return _parse_to_dataset(args)

    frame = read_firewall_log(args.files, tz=args.tz, relay_tz=args.relay_tz, year=args.year,
                              on_bad_lines="skip", progress=False)
    teardowns = frame[frame["event"] == "teardown"]
    print(f"{len(frame):,} connection events ({(frame['event'] == 'built').sum():,} built, "
          f"{len(teardowns):,} teardowns) from {frame['device'].nunique()} device(s), "
          f"{frame['time'].min()} to {frame['time'].max()}")
    closes = teardowns["close"].value_counts(dropna=False)
    print("teardowns by close: " + ", ".join(f"{k if isinstance(k, str) else 'none'} {n:,}"
                                              for k, n in closes.items() if n))
    print(printable(str(frame.attrs["load_report"])))
    return 0


def _parse_to_dataset(args: argparse.Namespace) -> int:
    from .scale.dataset import REPORT, parse_to_dataset

    dataset = parse_to_dataset(args.files, args.out, tz=args.tz, relay_tz=args.relay_tz,
                               year=args.year, on_bad_lines="skip", progress=True,
                               blocksize=args.blocksize, scheduler=args.scheduler)
    run = dataset.meta["runs"][-1]
    print(f"wrote {run['rows']:,} connection events from {len(run['sources'])} file(s) to "
          f"{dataset.path} ({dataset.rows:,} in all, run {len(dataset.meta['runs'])}); "
          f"load report: {dataset.path / REPORT}")
    return 0


def _add_report(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report", help="run the notebooks for a case and write report.html for a support case",
        description="Execute the five notebooks for a case into DIR and write one self-contained "
                    "report.html (no code, charts inline, nothing fetched). With --redact (the "
                    "default) addresses and names are replaced by keyed pseudonyms and the "
                    "outputs are checked for any original value before the page is written.")
    parser.add_argument("case_dir", type=Path, help="the case folder")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: CASE_DIR/report)")
    parser.add_argument("--redact", action=argparse.BooleanOptionalAction, default=True,
                        help="redact addresses, host, device and user names (default: on)")
    parser.add_argument("--key", help="redaction key: a file holding its 64 hex digits, or "
                                      f"the digits themselves (visible to others in ps: prefer "
                                      f"a file or ${KEY_ENV}); default: ${KEY_ENV} if set, else "
                                      "the case's .redaction-key, made on first use")
    parser.add_argument("--notebooks", type=Path, default=None,
                        help="folder of the notebooks (default: those shipped with the kit)")
    parser.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    from .redaction import parse_key
    from .report import ReportError, build_report

    key = None
    if args.key is not None:
        from_file = Path(args.key).is_file()
        text = Path(args.key).read_text() if from_file else args.key
        try:
            key = parse_key(text)
        except ValueError as exc:
            raise ReportError(f"--key: {exc}") from None
        if not from_file:
            print(f"kit report: warning: a key typed on the command line is visible to other "
                  f"users (ps); prefer a file or ${KEY_ENV}", file=sys.stderr)
    report = build_report(args.case_dir, args.out, redact=args.redact, key=key,
                          notebooks_dir=args.notebooks,
                          progress=lambda line: print(line, flush=True))
    if report.redacted:
        print(f"redacted (key fingerprint {report.key_fingerprint}); checked: no original "
              "address or name of the case remains in report.html or the executed notebooks")
    else:
        print("NOT redacted: the report shows real addresses and names; do not attach it to a "
              "support case")
    return 0


def _add_cache(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "cache", help="manage a case's parse cache (CASE/.kit/cache)",
        description="The parsed firewall logs of a case are kept in CASE/.kit/cache so the "
                    "notebooks and `kit report` do not parse them again; a changed file is "
                    "parsed again by itself. `kit cache clear CASE` removes the cache.")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    clear = actions.add_parser("clear", help="remove the parse cache of a case")
    clear.add_argument("case_dir", type=Path, help="the case folder")
    clear.set_defaults(func=_cache_clear)


def _cache_clear(args: argparse.Namespace) -> int:
    from .case.cache import cache_dir, clear_cache
    from .errors import CaseError

    if not args.case_dir.is_dir():
        raise CaseError(f"{args.case_dir}: not a case folder")
    removed = clear_cache(args.case_dir)
    where = cache_dir(args.case_dir)
    print(f"removed {where} ({removed} file(s))" if removed else f"no parse cache in {where}")
    return 0


def _add_open(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "open", help="copy the guided notebooks into a case folder and open JupyterLab on them",
        description="Copy the five guided notebooks into CASE_DIR/notebooks/, set to that case "
                    "(the repo's or package's notebooks are never edited), then start JupyterLab "
                    "there on 127.0.0.1 with a login token. Notebooks already copied are kept: "
                    "they hold your work.")
    parser.add_argument("case_dir", type=Path, help="the case folder (`kit new-case` makes one)")
    parser.add_argument("--no-lab", action="store_true",
                        help="only copy the notebooks and print how to open them")
    parser.add_argument("--replace", action="store_true",
                        help="copy fresh notebooks over the case's existing ones")
    parser.add_argument("--port", type=int, default=None, help="JupyterLab's port")
    parser.set_defaults(func=_open)


def _open(args: argparse.Namespace) -> int:
    import os
    import shlex
    import subprocess

    from .notebooks import copy_to_case

    paths = copy_to_case(args.case_dir, replace=args.replace)
    folder = paths[0].parent
    print(f"notebooks for {args.case_dir}: {', '.join(p.name for p in paths)} in {folder}")
    command = [sys.executable, "-m", "jupyter", "lab", f"--notebook-dir={folder}",
               "--ServerApp.ip=127.0.0.1"]  # loopback only; JupyterLab makes the login token
    if args.port is not None:
        command.append(f"--ServerApp.port={args.port}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    if args.no_lab:
        print("open them with:\n  " + shlex.join(command) + "\nthen run each notebook with "
              "Run > Run All Cells, in order")
        return 0
    return subprocess.call(command)


_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_new_case, _add_open, _add_sample, _add_synth_log, _add_parse, _add_report, _add_cache,
]


def build_parser() -> argparse.ArgumentParser:
    """The ``kit`` argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(
        prog="kit", description="idle-timeout kit: case folders, sample data, log parsing")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in _COMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``kit`` command; kit errors print as one line on stderr and exit with status 2."""
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KitError as exc:
        print(printable(f"kit {args.command}: error: {exc}"), file=sys.stderr)
        return 2
    except OSError as exc:
        if exc.errno not in _WRITE_ADVICE:
            raise
        where = f"{exc.filename}: " if exc.filename else ""
        print(printable(f"kit {args.command}: error: cannot write {where}{exc.strerror} "
                        f"({_WRITE_ADVICE[exc.errno]})"), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"kit {args.command}: interrupted", file=sys.stderr)
        return 130


def printable(text: str) -> str:
    """``text`` with control characters escaped (newlines kept): a file name or a log line can
    hold terminal escape sequences that would otherwise reach the terminal."""
    if all(c.isprintable() or c == "\n" for c in text):
        return text
    return "".join(c if c.isprintable() or c == "\n"
                   else c.encode("unicode_escape").decode("ascii") for c in text)


if __name__ == "__main__":
    sys.exit(main())
