"""Check Findings text against a generated case's ground truth (``truth.json``).

The same checks run on ``kit.findings`` output directly and on the Findings cells of notebooks
executed by papermill. Every expected number is computed here from the truth, never copied from
the kit's output.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pandas as pd

from kit.analysis.format import hms
from kit.findings.text import when

#: what each vendor calls its connection start and end messages (written here, not imported)
EVENT_NAMES = {"cisco": ("Built", "Teardown"), "paloalto": ("TRAFFIC start", "TRAFFIC end"),
               "fortinet": ("session start", "session end"),
               "juniper": ("RT_FLOW_SESSION_CREATE", "RT_FLOW_SESSION_CLOSE"),
               "netfilter": ("NEW", "DESTROY")}


def _victims(truth: dict[str, Any]) -> list[dict[str, Any]]:
    return truth["victims"]


def _number(text: str) -> int:
    return int(text.replace(",", ""))


def check_teardowns(text: str, truth: dict[str, Any]) -> None:
    """Notebook 01's findings: victim count, host pairs, ports and the timeout."""
    victims = _victims(truth)
    timeout = hms(pd.Timedelta(seconds=truth["timeout_s"]))
    counts = truth["counts"]
    refused = counts.get("deny_no_connection", 0)
    denies = (f", {refused:,} packet{'s' if refused != 1 else ''} refused after a teardown "
              "(deny-no-connection)" if refused else "")
    start, end = EVENT_NAMES[truth.get("params", {}).get("vendor", "cisco")]
    assert f"Loaded {counts['connection_events']:,} connection events ({counts['built']:,} " \
           f"{start}, {counts['teardown']:,} {end}{denies})" in text
    if not victims:
        assert re.search(r"None of the [\d,]+ TCP teardowns was for idleness", text), text
        assert f"The firewall idle timeout is {timeout} (case.toml); the data has no " \
               "idle-timeout teardowns to confirm it." in text
        return
    found = re.search(r"([\d,]+) of ([\d,]+) TCP teardowns \([\d.]+%\) were idle-timeout", text)
    assert found, text
    assert _number(found[1]) == len(victims)
    assert _number(found[2]) == counts["teardowns_by_close"]["idle-timeout"] + sum(
        n for close, n in counts["teardowns_by_close"].items()
        if close not in ("idle-timeout", "none"))

    pairs = Counter((v["src_host"], v["dst_host"], v["service"], v["service_port"])
                    for v in victims)
    assert f"By host pair and service port ({len(pairs)}):" in text
    # the six shown: the most common, ties in any order
    section = text.split(f"By host pair and service port ({len(pairs)}):", 1)[1].split("\n")[0]
    shown = re.findall(r"([\w.-]+) → ([\w.-]+) on ([\w-]+)/(\d+): (\d+)", section)
    assert len(shown) == min(6, len(pairs)), section
    sixth = sorted(pairs.values(), reverse=True)[len(shown) - 1]
    for src, dst, service, port, n in shown:
        assert pairs[(src, dst, service, int(port))] == int(n) >= sixth, (src, dst, n)

    ports = Counter((v["service"], v["service_port"]) for v in victims)
    by_port = re.search(r"By service port: (.*)\.", text)[1]
    listed = {(m[1], int(m[2])): int(m[3]) for m in
              re.finditer(r"([\w-]+)/(\d+): (\d+)", by_port)}
    assert listed == dict(ports)
    assert re.search(rf"The firewall idle timeout is {timeout} \(case.toml\), and the data "
                     "agrees", text), text


def check_durations(text: str, truth: dict[str, Any]) -> None:
    """Notebook 02's findings: the idle teardowns' durations against the timeout."""
    victims = _victims(truth)
    timeout = hms(pd.Timedelta(seconds=truth["timeout_s"]))
    if not victims:
        assert "There are no idle-timeout teardowns" in text
        return
    durations = sorted(v["duration_s"] for v in victims)
    low, high = (hms(pd.Timedelta(seconds=d)) for d in (durations[0], durations[-1]))
    own = {int(port): t for port, t in truth.get("port_timeouts_s", {}).items()}
    active = sorted(v["duration_s"] - own.get(v["service_port"], truth["timeout_s"])
                    for v in victims)
    assert f"The {len(victims)} idle-timeout teardown{'s' if len(victims) > 1 else ''} lasted " \
           f"{low} to {high}" in text
    ports = sorted({(v["service_port"], v["service"]) for v in victims if v["service_port"] in own})
    scoped = " and ".join(f"{hms(pd.Timedelta(seconds=own[p]))} on {name}/{p}" for p, name in ports)
    scoped = f"; {scoped}, {'its' if len(ports) == 1 else 'their'} own timeout" if ports else ""
    assert f"the {timeout} timeout (case.toml{scoped}) plus " \
           f"{hms(pd.Timedelta(seconds=active[0]))} to " \
           f"{hms(pd.Timedelta(seconds=active[-1]))} of activity" in text, text
    ends = sorted(v["end"] for v in victims)
    first, last = (pd.Timestamp(t) for t in (ends[0], ends[-1]))
    tz = truth["clock"]["device_tz"]  # [case] display_tz defaults to the firewall's zone
    assert f"They came between {when(first, tz)} and {when(last, tz)}" in text


def check_remedies(text: str, truth: dict[str, Any]) -> None:
    """Notebook 03's findings: at-risk hosts and the recommendation."""
    victims = _victims(truth)
    at_risk = sorted(truth["at_risk_hosts"])
    exported = [h for h, info in truth["hosts"].items() if info.get("export")]
    timeout = hms(pd.Timedelta(seconds=truth["timeout_s"]))
    if at_risk:
        found = re.search(r"([\d,]+) of ([\d,]+) hosts with a keepalive export are at risk "
                          rf"\(first keepalive probe at or after the {timeout} timeout\): "
                          r"(.*?)\.(?: |$|\n)", text)
        assert found, text
        assert (_number(found[1]), _number(found[2])) == (len(at_risk), len(exported))
        named = re.findall(r"([\w.-]+) \(\w+, \d+:\d\d:\d\d\)", found[3])
        assert sorted(named) == at_risk
    else:
        assert f"None of the {len(exported)} hosts with a keepalive export is at risk" in text
    if victims:
        assert f"{len(victims)} of the {len(victims)} idle-timeout teardowns have an at-risk " \
               "host on one side" in text
        recommended = re.search(r"Recommended: ([\w-]+)\.", text)
        assert recommended, text
        assert f"{recommended[1]} prevents {len(victims)} of {len(victims)} idle-timeout " \
               "teardowns (100%)" in text
    else:
        assert "There are no idle-timeout teardowns in the data: no change is needed." in text


def check_case(text: str, truth: dict[str, Any]) -> None:
    """Notebook 04's findings: the case line, then all of the above."""
    assert f"Case {truth['params']['case_id']}" in text
    check_teardowns(text, truth)
    check_durations(text, truth)
    check_remedies(text, truth)


#: notebook -> the check of its Findings
def check_failures(text: str, truth: dict[str, Any]) -> None:
    """Notebook 05's findings: explained and failed jobs, the clock offset, each explained try's
    teardown and each unexplained one's reason, counted from ``truth["failures"]``."""
    if "failures" not in truth:  # a case without a jobs/ export
        expected = ("1. No failed jobs or application errors were loaded (jobs/, apps/), so none "
                    "could be tied to a teardown.")
        assert text.splitlines()[1] == expected, text
        return
    tries = truth["failures"]["tries"]
    failed = {t["job_id"] for t in tries}
    explained = {t["job_id"] for t in tries if t["explained"]}
    noun = "failed job" if len(failed) == 1 else "failed jobs"
    assert f"{len(explained):,} of {len(failed):,} {noun} match an idle teardown" in text, text
    offset = hms(pd.Timedelta(seconds=truth["failures"]["clock_offset_s"]))
    assert f"clock offset to the firewall: +{offset}" in text, text
    for t in tries:
        if t["explained"]:
            assert f"connection {t['teardown_conn_id']} torn down idle" in text, t
        else:
            assert t["why_not"] in text, t


CHECKS = {
    "01_find_idle_teardowns.ipynb": check_teardowns,
    "02_connection_durations.ipynb": check_durations,
    "03_compare_remedies.ipynb": check_remedies,
    "04_case_report.ipynb": check_case,
    "05_failed_jobs.ipynb": check_failures,
}
