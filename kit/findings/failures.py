"""Notebook 05's Findings: which failures the firewall explains, which not, and what next.

``failure_summary`` is the one-line headline notebook 04 quotes; ``failure_findings`` the list.
Both read ``kit.explain_failures`` (computed here when not passed), never their own rule.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..analysis import explain_failures, idle_teardowns, sessions
from ..analysis.format import hms
from ..apps.catalogue import status_name
from ..apps.schema import failed_tries
from ..report.display import Findings, in_zone
from .text import plural, when

#: columns of the failures table notebook 05 shows
TABLE_COLUMNS = ("time", "job_id", "try_number", "peer", "host", "error_code", "class",
                 "explained", "teardown_conn_id", "teardown_time", "lag", "resumed",
                 "confidence", "why_not")


#: columns of the failed job tries notebook 05 shows
FAILED_JOB_COLUMNS = ("job_id", "try_number", "client", "server", "policy", "try_started",
                      "try_ended", "status", "class")
#: columns of the unexplained failures notebook 05 shows
UNEXPLAINED_COLUMNS = ("time", "job_id", "try_number", "peer", "host", "error_code", "why_not")


def _explained(case: Any, explained: pd.DataFrame | None) -> pd.DataFrame:
    if explained is not None:
        return explained
    return case.failures if hasattr(case, "failures") else explain_failures(case)


def _job_counts(frame: pd.DataFrame) -> tuple[int, int]:
    """(jobs with an explained failed try, jobs with a failed try)."""
    jobs = frame.dropna(subset=["job_id"])
    return int(jobs.loc[jobs["explained"], "job_id"].nunique()), int(jobs["job_id"].nunique())


def failure_summary(case: Any, explained: pd.DataFrame | None = None) -> str:
    """One line: how many failed jobs (and application errors) an idle teardown explains."""
    frame = _explained(case, explained)
    if frame.empty:
        return ("No failed jobs or application errors were loaded (jobs/, apps/), so none "
                "could be tied to a teardown.")
    parts = []
    done, jobs = _job_counts(frame)
    if jobs:
        parts.append(f"{done:,} of {plural(jobs, 'failed job')} match an idle teardown of "
                     "their connection within the try")
    errors = frame[frame["job_id"].isna().to_numpy(bool)]
    if len(errors):
        parts.append(f"{int(errors['explained'].sum()):,} of "
                     f"{plural(len(errors), 'application error')} follow an idle teardown of "
                     "their endpoints within the detection lag")
    return "; ".join(parts) + "."


def failures_table(explained: pd.DataFrame) -> pd.DataFrame:
    """The failures with the columns a reader checks first."""
    return explained.loc[:, list(TABLE_COLUMNS)]


def failed_jobs_table(jobs: pd.DataFrame) -> pd.DataFrame:
    """The failed job tries (``kit.apps.schema.failed_tries``) with the columns notebook 05
    shows."""
    return failed_tries(jobs).loc[:, list(FAILED_JOB_COLUMNS)]


def unexplained_table(explained: pd.DataFrame) -> pd.DataFrame:
    """The failures no idle teardown explains, with why."""
    return explained.loc[~explained["explained"].to_numpy(bool), list(UNEXPLAINED_COLUMNS)]


def failure_findings(case: Any, explained: pd.DataFrame | None = None) -> Findings:
    """Notebook 05's Findings, written from ``kit.explain_failures``."""
    frame = _explained(case, explained)
    tz = getattr(getattr(case, "settings", None), "display_tz", None)
    sentences = [failure_summary(case, frame)]
    if not frame.empty:
        sentences.append(str(frame.attrs.get("clock_offset", "")).capitalize() + ".")
    for row in frame[frame["explained"].to_numpy(bool)].head(6).itertuples():
        sentences.append(_explained_sentence(row, tz))
    missing = frame[~frame["explained"].to_numpy(bool)]
    if len(missing):
        items = [f"{_what(r, tz)}: {r.why_not}" for r in missing.itertuples()]
        sentences.append(f"Not explained ({plural(len(missing), 'failure')}): "
                         f"{'; '.join(items)}.")
    idle = idle_teardowns(sessions(case))
    idle = idle[(idle["protocol"] == "tcp").fillna(False).to_numpy(bool)]
    loose = frame.attrs.get("teardowns_without_failure", idle.iloc[0:0])
    loose = loose[(loose["protocol"] == "tcp").fillna(False).to_numpy(bool)]
    sentences.append(f"Of the {len(idle):,} idle-timeout teardowns, {len(idle) - len(loose):,} "
                     f"belong to a failure listed here and {len(loose):,} to none.")
    sentences += _next_steps(missing)
    return Findings(sentences, title="Findings: failed jobs")


def _what(row: Any, tz: str | None) -> str:
    if not pd.isna(row.job_id):
        return f"job {row.job_id} try {row.try_number} ({row.peer}, status {row.error_code})"
    return f"{row.app or 'error'} {row.error_code} on {row.host} at {when(row.time, tz)}"


def _explained_sentence(row: Any, tz: str | None) -> str:
    """One explained failure; times in the case's display zone, as its tables show them."""
    name = status_name(row.error_code) if str(row.error_code).isdigit() else None
    code = f"status {row.error_code}" + (f" {name}" if name else "")
    refused = (f", its next packet refused at {in_zone(row.resumed, tz):%H:%M:%S}"
               if not pd.isna(row.resumed) else "")
    what = _what(row, tz).split(" (")[0]
    return (f"{what[:1].upper()}{what[1:]} ({row.peer} ↔ {row.host}, {code}): connection "
            f"{row.teardown_conn_id} torn down idle at {when(row.teardown_time, tz)}{refused}; "
            f"failed {hms(row.lag)} later (confidence {row.confidence}).")


def _next_steps(missing: pd.DataFrame) -> list[str]:
    """What to collect for the failures the firewall does not explain."""
    steps = []
    why = missing["why_not"].fillna("").astype(str)
    if why.str.contains("no address in the inventory").any():
        steps.append("Add the hosts named above to inventory.csv (host, ip): without their "
                     "addresses their failures cannot be matched.")
    if why.str.contains("no idle teardown|before|after").any():
        steps.append("For failures without a teardown: check that firewall/ covers their time "
                     "and every firewall on their path, and read the job's bpbrm/bptm logs: "
                     "the connection may have died elsewhere.")
    if why.str.contains("not a dropped connection").any():
        steps.append("Failures whose status is not a dropped connection (storage, media, "
                     "policy) are for the backup team, not the firewall.")
    return steps
