"""Every regular expression in the package runs in time linear in its input (issue 15, 1-2).

Python's ``re`` backtracks: a pattern such as ``^(.*?)\\s*\\((.*)\\)$`` rescans a run of blanks
from every position, and one line of 100,000 spaces took minutes. This test finds every compiled
pattern in ``kit`` (a new one is audited automatically), screens it against families of
hostile inputs at two small sizes, then feeds it ~1 MB of its worst family and bounds the time
to 10 times a linear regex scan of the same text (a quadratic pattern takes hours there). The
bulk firewall parse runs its patterns in RE2, through pyarrow's compute kernels: linear by
construction.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import time
from collections.abc import Callable, Iterator
from functools import partial

import pytest

import kit

#: characters and words whose long runs drive backtracking: blanks, word and digit runs,
#: separators the patterns use, and the words that start their interesting branches
FAMILIES = [" ", "\t", "a", "0", ".", ":", "-", "=", "#", "(", "/", "\\", "%", "@", "a ", "0.",
            "a=", "a:", "0:", " (", "( ", "-a ", "a(", "[", "\"a\"=", "tcp ", "<1>", "from ",
            "HKLM\\", "x" + " " * 7]
#: prefixes that walk a pattern into the branch where a run of blanks then hurts
PREFIXES = [
    "sysctl", "# sysctl", "X", "reg query", "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_keepalive_time = 1", "net.inet.tcp.keepidle: 1", "1 ->",
    "tcp_keepalive_interval = 1", "tcp tcp_keepalive_interval rw 1", "tcp tcp_keepalive_interval",
    "KeepAliveTime : 1", "KeepAliveTime REG_DWORD 1", " KeepAliveTime REG_DWORD 1",
    '"KeepAliveTime"=dword:1', "tcp_keepidle = 1", "tcp", "tcp 0 0 a b", "ESTAB 0 0 a b",
    "HKEY_LOCAL_MACHINE\\x", "Jun  4 20:08:10 ", "data:a/b,", "Setting tcp_keepidle to",
    "root@h:~#", "1", "keepalive time",
]
BLANKS = [" ", "\t", "a ", " ("]
CASES = [("", run) for run in FAMILIES] + [(p, b) for p in PREFIXES for b in BLANKS]
SMALL, MEDIUM, LARGE = 2_000, 16_000, 1_000_000
#: how the package calls a pattern, read from its module's source; unknown use: ``search``
_USES = re.compile(r"\.(search|match|fullmatch|findall|finditer|sub|subn|split)\(")


def _patterns() -> Iterator[tuple[str, re.Pattern[str], tuple[str, ...]]]:
    for info in pkgutil.walk_packages(kit.__path__, "kit."):
        module = importlib.import_module(info.name)
        source = inspect.getsource(module)
        for name, value in vars(module).items():
            items = value if isinstance(value, (tuple, list)) else [value]
            for i, item in enumerate(items):
                pattern = item[0] if isinstance(item, tuple) and item else item
                if isinstance(pattern, re.Pattern) and isinstance(pattern.pattern, str):
                    suffix = f"[{i}]" if items is value else ""
                    yield f"{info.name}.{name}{suffix}", pattern, _methods(source, name)


def _methods(source: str, name: str) -> tuple[str, ...]:
    """``match``/``fullmatch`` where the source only ever anchors the pattern, else ``search``."""
    calls = re.findall(rf"\b{re.escape(name)}\.(\w+)\(", source)
    anchored = {c for c in calls if c in ("match", "fullmatch")}
    return tuple(sorted(anchored)) if calls and set(calls) == anchored else ("search",)


PATTERNS = sorted(_patterns(), key=lambda p: p[0])


def _text(prefix: str, run: str, size: int) -> str:
    return prefix + run * (size // len(run)) + "\x00"


def _seconds(call: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - start)
    return best


def _runner(pattern: re.Pattern[str], methods: tuple[str, ...]) -> Callable[[str], None]:
    calls = [getattr(pattern, m) for m in methods]

    def run(text: str) -> None:
        for call in calls:
            call(text)
    return run


def test_the_audit_finds_the_package_patterns() -> None:
    names = {name for name, _, _ in PATTERNS}
    assert len(PATTERNS) >= 50
    assert {"kit.firewall.reasons._INITIATOR", "kit.hosts.text._COMMAND"} <= names


@pytest.mark.parametrize(("name", "pattern", "methods"), PATTERNS,
                         ids=[n for n, _, _ in PATTERNS])
def test_pattern_is_linear_on_its_worst_input(name: str, pattern: re.Pattern[str],
                                              methods: tuple[str, ...]) -> None:
    run = _runner(pattern, methods)
    worst, worst_time = CASES[0], -1.0
    for prefix, family in CASES:
        small = _seconds(partial(run, _text(prefix, family, SMALL)))
        medium = _seconds(partial(run, _text(prefix, family, MEDIUM)), repeat=2)
        # linear: 8x the time for 8x the text; quadratic: 64x. Slack for timer noise.
        assert medium < 24 * small + 0.2, (  # + 0.2 s: a shared, busy machine
            f"{name}.{'/'.join(methods)} on {prefix!r} + {family!r} * n: {small * 1e3:.2f} ms "
            f"at {SMALL:,} chars, {medium * 1e3:.1f} ms at {MEDIUM:,} (super-linear)")
        if medium > worst_time:
            worst, worst_time = (prefix, family), medium
    text = _text(*worst, LARGE)
    # a linear pass that visits every character through a regex group (~0.3 s per MB here)
    scan = _seconds(lambda: re.compile(r"(?:[^\x00]|\x00)*").match(text), repeat=1)
    large = _seconds(lambda: run(text), repeat=1)
    assert large < 10 * scan + 0.5, (
        f"{name}: {large:.2f} s on 1 MB of {worst!r}, {scan * 1e3:.1f} ms for a linear scan")
