"""Notebook 05's Findings and timeline on generated cases, checked against their ground truth."""

from __future__ import annotations

from pathlib import Path

import pytest
from findings_checks import check_failures

import kit
from kit.timelines import failure_timeline

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-incident"


@pytest.mark.parametrize("name", ["timeout-30min", "all-tuned"])
def test_failure_findings_state_the_ground_truth(generated_cases, name):
    folder, truth = generated_cases[name]
    check_failures(str(kit.failure_findings(kit.load_case(folder))), truth)


def test_the_failure_check_fails_on_a_wrong_finding(generated_cases):
    folder, truth = generated_cases["timeout-30min"]
    text = str(kit.failure_findings(kit.load_case(folder)))
    with pytest.raises(AssertionError):
        check_failures(text.replace("2 of 2 failed jobs", "1 of 2 failed jobs"), truth)


def test_summary_line_for_notebook_04():
    case = kit.load_case(SAMPLE)
    assert kit.failure_summary(case) == (
        "5 of 7 failed jobs match an idle teardown of their connection within the try.")


def test_summary_without_failures(generated_cases):
    folder, _ = generated_cases["timeout-30min"]
    case = kit.load_case(folder)
    case.jobs = case.jobs.iloc[0:0]
    assert kit.failure_summary(case).startswith("No failed jobs or application errors")


def test_timeline_draws_the_whole_chain():
    case = kit.load_case(SAMPLE)
    explained = kit.explain_failures(case)
    fig = failure_timeline(explained, kit.sessions(case), job_id=41209)
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert sorted(labels) == sorted([
        "job 41209 try 1", "connection carrying traffic",
        "silent 1:00:00 (the firewall's idle timeout)", "idle teardown 01:08:14",
        "next packet refused 02:36:09 (deny-no-connection)", "job failed 02:51:34, status 40"])
    empty = failure_timeline(explained.iloc[0:0], kit.sessions(case))
    assert empty.axes[0].texts[0].get_text() == "no explained failure to draw"
    with pytest.raises(KeyError, match="explain_failures output"):
        failure_timeline(case.jobs, kit.sessions(case))
