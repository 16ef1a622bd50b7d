"""kit.findings on generated cases (checked against their ground truth), its timeout sentence in
every situation, and untrusted names shown as text."""

from __future__ import annotations

import dataclasses
import html

import pandas as pd
import pytest
from findings_checks import check_case, check_durations, check_remedies, check_teardowns

import kit
from kit import findings
from kit.analysis import TimeoutEstimate


@pytest.mark.parametrize("name", ["timeout-30min", "all-tuned", "sample-paloalto"])
def test_findings_state_the_ground_truth(generated_cases, name):
    folder, truth = generated_cases[name]
    case = kit.load_case(folder)
    comparison = kit.compare_remedies(case)
    check_teardowns(str(findings.teardown_findings(case)), truth)
    check_durations(str(findings.duration_findings(case)), truth)
    check_remedies(str(findings.remedy_findings(case, comparison)), truth)
    check_case(str(findings.case_findings(case, comparison)), truth)


def test_the_checks_fail_on_a_wrong_finding(generated_cases):
    """The truth checks can fail: one victim fewer in the text is caught."""
    folder, truth = generated_cases["timeout-30min"]
    text = str(findings.teardown_findings(kit.load_case(folder)))
    n = len(truth["victims"])
    wrong = text.replace(f"{n} of ", f"{n - 1} of ", 1)
    with pytest.raises(AssertionError):
        check_teardowns(wrong, truth)


def _estimate(seconds: float | None) -> TimeoutEstimate:
    value = None if seconds is None else pd.Timedelta(seconds=seconds)
    return TimeoutEstimate(value, 0 if value is None else 12, None,
                           "none" if value is None else "high", "EVIDENCE.")


HOUR = pd.Timedelta(hours=1)


@pytest.mark.parametrize(("configured", "inferred", "expected"), [
    (None, None, "neither stated in case.toml nor visible in the data"),
    (None, 1830, "not stated in case.toml; inferred from the data: 0:30:30. EVIDENCE."),
    (HOUR, None, "is 1:00:00 (case.toml); the data has no idle-timeout teardowns to confirm it"),
    (HOUR, 3655, "is 1:00:00 (case.toml), and the data agrees: EVIDENCE."),
    (HOUR, 3540, "is 1:00:00 (case.toml), and the data agrees: EVIDENCE."),
    (HOUR, 1805, "is 1:00:00 (case.toml), used everywhere; the data disagrees: it suggests "
                 "0:30:05: EVIDENCE. Check `show running-config timeout`"),
    (HOUR, 3600 + 75, "is 1:00:00 (case.toml), used everywhere; the data disagrees: it "
                      "suggests 1:01:15"),
])
def test_timeout_sentence_says_where_the_timeout_comes_from(configured, inferred, expected):
    assert expected in findings.timeout_sentence(configured, _estimate(inferred))


def test_untrusted_names_are_escaped(generated_cases):
    """A host name taken from a hostile inventory or log shows as text, never as markup."""
    folder, _ = generated_cases["timeout-30min"]
    case = kit.load_case(folder)
    hostile = '<img src=x onerror="alert(1)">'
    victim = str(kit.idle_teardowns(kit.sessions(case))["dst_ip"].iloc[0])
    # a Case's frames are read-only (its sessions are derived once): change a copy
    inventory = case.inventory.assign(host=case.inventory["host"].where(
        case.inventory["ip"] != victim, hostile))
    case = dataclasses.replace(case, inventory=inventory)
    shown = findings.teardown_findings(case)
    assert hostile in str(shown)                      # the plain text keeps it verbatim
    page = shown._repr_html_()
    assert hostile not in page and html.escape(hostile) in page


def test_teardown_reasons_counts_every_teardown(generated_cases):
    folder, truth = generated_cases["timeout-30min"]
    table = findings.teardown_reasons(kit.load_case(folder))
    assert table["teardowns"].sum() == truth["counts"]["teardown"]
    by_close = table.groupby("close")["teardowns"]
    expected = {k: v for k, v in truth["counts"]["teardowns_by_close"].items() if v}
    assert by_close.sum().to_dict() == expected
    assert list(table["teardowns"]) == sorted(table["teardowns"], reverse=True)
    udp = table.loc[table["protocol"] == "udp"]
    assert set(udp["close"]) == {"none"} and set(udp["reason"]) == {"(no reason logged)"}


def test_assumptions_table_lists_every_assumption(generated_cases):
    folder, truth = generated_cases["timeout-30min"]
    comparison = kit.compare_remedies(kit.load_case(folder), keepalive="0:10:00")
    table = findings.assumptions(comparison)
    assert list(table.index) == list(comparison.attrs["assumptions"])
    assert table.loc["keepalive", "value"] == "0:10:00"
    assert table.loc["firewall_timeout", "value"] == \
        kit.analysis.format.hms(pd.Timedelta(seconds=truth["timeout_s"]))
    assert table["why"].str.len().min() > 10
