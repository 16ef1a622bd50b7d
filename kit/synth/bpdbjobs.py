"""``bpdbjobs -report -all_columns`` / ``-most_columns`` lines, written from job records.

The field order is evidence-sources.md §9.1's; commas inside values are escaped as ``\\,``.
Used by the sample case (its jobs/ export) and by the reader's round-trip property tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class Try:
    """One attempt of a job: its server, times (epoch s; ended 0 while running), status
    (None while running) and Job Details status lines."""

    server: str
    started: int
    ended: int
    status: int | None
    description: str = ""
    lines: tuple[str, ...] = ()
    pid: int = 13579
    stunit: str = "stu-disk01"
    kbytes: int = 0
    files: int = 0


@dataclass(frozen=True)
class Job:
    """One job record; the job-level start/end/status are taken from its tries."""

    job_id: int
    client: str
    server: str
    policy: str
    schedule: str
    tries: tuple[Try, ...] = ()
    job_type: int = 0
    state: int = 3
    master: str = "nbu-master01"
    parent: int | None = None
    file_list: tuple[str, ...] = ("ALL_LOCAL_DRIVES",)
    path_last_written: str = ""
    extra: tuple[str, ...] = field(default=("0", "", "", "", "0", "", "", "", "", "", "0"))


def escape(value: object) -> str:
    """A value as bpdbjobs writes it: commas escaped."""
    return "" if value is None else str(value).replace(",", "\\,")


def _head(job: Job) -> list[object]:
    first = job.tries[0] if job.tries else None
    last = job.tries[-1] if job.tries else None
    started = first.started if first else 0
    ended = last.ended if last else 0
    status = last.status if last else None
    elapsed = (ended or started) - started if first else 0
    kbytes = sum(t.kbytes for t in job.tries)
    files = sum(t.files for t in job.tries)
    return [job.job_id, job.job_type, job.state, status, job.policy, job.schedule, job.client,
            job.server, started, elapsed, ended, last.stunit if last else "",
            len(job.tries), "", kbytes, files, job.path_last_written, 100 if ended else 35,
            last.pid if last else "", "root", 1, 0, 1, 0, "", job.master, 3, 1, 0, kbytes,
            files]


def all_columns(job: Job) -> str:
    """The job as one ``bpdbjobs -report -all_columns`` line (no newline)."""
    fields: list[object] = [*_head(job), len(job.file_list), *job.file_list, len(job.tries)]
    for t in job.tries:
        elapsed = (t.ended - t.started) if t.ended else 0
        fields += [t.pid, t.stunit, t.server, t.started, elapsed, t.ended,
                   "" if t.status is None else t.status, t.description, len(t.lines),
                   *t.lines, t.kbytes, t.files]
    fields += [job.job_id if job.parent is None else job.parent, 646, 0, *job.extra]
    return ",".join(escape(f) for f in fields)


def most_columns(job: Job) -> str:
    """The job as one ``bpdbjobs -report -most_columns`` line: no file list, no tries."""
    fields: list[object] = [*_head(job), len(job.file_list), len(job.tries),
                            job.job_id if job.parent is None else job.parent, 646, 0,
                            *job.extra]
    return ",".join(escape(f) for f in fields)


def status_line(epoch: int, utc_offset_s: int, level: str, text: str) -> str:
    """A Job Details line ``MM/DD/YYYY HH:MM:SS - Level text`` in the host's local time."""
    local = datetime.fromtimestamp(epoch + utc_offset_s, tz=UTC)
    return f"{local:%m/%d/%Y %H:%M:%S} - {level} {text}"
