"""The ``kit`` command. Each subcommand is a small function registered on its own subparser.

Add a subcommand by writing ``_add_<name>(subparsers)`` that sets ``func`` on its parser and
listing it in ``_COMMANDS``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .errors import KitError


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


_COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [_add_new_case, _add_synth_log]


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
        print(f"kit {args.command}: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
