"""The sample's NetBackup job records (``jobs/``) and the failures' ground truth.

Every backup job of the story becomes one ``bpdbjobs -report -all_columns`` record whose try
starts when its bpcd connection is built. A failed incremental's try ends when the media server
gives up on the dead connection: the client speaks again after its scan (the firewall refuses the
packet, 106015), and Linux retransmits for about 15 minutes (``tcp_retries2`` = 15, ~924.6 s)
before the write fails. Two failures the firewall does not explain are added: a second stream of
a safe client failing with status 13 (no teardown on that host pair) and a job that fails twice
with 2074 (disk volume is down). No randomness: the firewall log and its truth stay as they were.
``clock_offset_s`` shifts every epoch stamp, as a backup server whose clock is off would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .bpdbjobs import Job, Try, all_columns, status_line
from .hosts import Host
from .sessions import Session

EXPORT = "jobs/bpdbjobs-all_columns.txt"
FIRST_JOB_ID = 41_200
#: the media server's TCP gives up a write on a dead peer after ~924.6 s (Linux defaults)
RETRANSMIT_GIVE_UP_S = 925
#: status per failed client, in client order (strong and weak codes of evidence-sources §9.4)
FAILED_STATUS = (40, 24, 14, 41, 13, 42)
_FAILURE_TEXT = {
    40: "bpbrm (pid={pid}) socket read failed: errno = 62 - Timer expired",
    24: "bpbrm (pid={pid}) socket write failed: errno = 32 Broken pipe",
    14: "bptm (pid={pid}) file write failed",
    41: "bpbrm (pid={pid}) timed out waiting for the client, network connection timed out",
    13: "bpbrm (pid={pid}) file read failed",
    42: "bpbrm (pid={pid}) network read failed: errno = 104 Connection reset by peer",
    2074: "bptm (pid={pid}) disk volume is down",
}
_DESCRIPTION = {0: "the requested operation was successfully completed",
                40: "network connection broken", 24: "socket write failed",
                14: "file write failed", 41: "network connection timed out",
                13: "file read failed", 42: "network read failed",
                2074: "disk volume is down"}


@dataclass(frozen=True)
class JobsExport:
    """The export's bytes and the failures' truth (one entry per failed try)."""

    data: bytes
    failures: list[dict[str, Any]]


def jobs_export(sessions: list[Session], jobs: list[dict[str, Any]], hosts: list[Host],
                clock_offset_s: int = 0) -> JobsExport:
    """The jobs/ export of the story's ``jobs`` (with their ``status`` already decided)."""
    media = next(h for h in hosts if h.role == "media")
    master = next(h for h in hosts if h.role == "master")
    by_job: dict[str, list[Session]] = {}
    for s in sessions:
        if s.job:
            by_job.setdefault(s.job, []).append(s)
    records, failures = [], []
    failed_clients = 0
    for k, job in enumerate(jobs):
        job_id = FIRST_JOB_ID + k
        job["job_id"] = job_id
        own = sorted(by_job[job["job"]], key=lambda s: s.start)
        start = own[0].start
        torn = [s for s in own if s.idle_torn]
        if torn:
            status = FAILED_STATUS[failed_clients % len(FAILED_STATUS)]
            failed_clients += 1
            resumed = max(s.resume_at for s in torn)
            end = resumed + RETRANSMIT_GIVE_UP_S
            last = max(torn, key=lambda s: (s.end, s.conn_id))
            failures.append(_failure(job_id, 1, job["client"], media.name, status, end,
                                     clock_offset_s, True, last, torn, resumed))
        else:
            status, end = 0, max(s.end for s in own)
        records.append(_job(job_id, job["client"], media.name, master.name,
                            _policy(job["client"], hosts), job["schedule"],
                            [(start, end, status)], clock_offset_s))
    records += _unexplained(jobs, by_job, hosts, media, master, clock_offset_s, failures)
    text = "".join(all_columns(r) + "\n" for r in records)
    return JobsExport(text.encode("utf-8"), failures)


def write_jobs_export(root, truth: dict[str, Any], sessions: list[Session],
                      jobs: list[dict[str, Any]], hosts: list[Host],
                      clock_offset_s: int = 0) -> None:
    """Write ``EXPORT`` under the case folder ``root`` (a Path) and record the failures in
    ``truth`` (after ``truth_document``, which decides each job's status): one step shared by
    every sample generator, whatever its firewall."""
    export = jobs_export(sessions, jobs, hosts, clock_offset_s)
    (root / EXPORT).parent.mkdir(parents=True, exist_ok=True)
    (root / EXPORT).write_bytes(export.data)
    truth["failures"] = {"export": EXPORT, "clock_offset_s": clock_offset_s,
                         "tries": export.failures}


def _unexplained(jobs: list[dict[str, Any]], by_job: dict[str, list[Session]],
                 hosts: list[Host], media: Host, master: Host, offset: int,
                 failures: list[dict[str, Any]]) -> list[Job]:
    """A safe client's database stream failing with 13, and a job failing twice with 2074,
    both during the last night."""
    last_night = max(j["night"] for j in jobs)
    safe = [j for j in jobs if j["night"] == last_night and j["status"] == "ok"]
    if len(safe) < 2:
        return []
    records = []
    job_id = FIRST_JOB_ID + len(jobs)
    first = by_job[safe[0]["job"]]
    start, end = min(s.start for s in first) + 60, max(s.end for s in first) - 60
    records.append(_job(job_id, safe[0]["client"], media.name, master.name,
                        "DMZ_DB_Agent", "Hourly", [(start, end, 13)], offset))
    failures.append(_failure(job_id, 1, safe[0]["client"], media.name, 13, end, offset,
                             False, None, [], None,
                             why=f"no idle teardown between {media.name} and "
                                 f"{safe[0]['client']} in the firewall logs"))
    second = by_job[safe[1]["job"]]
    start = min(s.start for s in second) + 30
    tries = [(start, start + 600, 2074), (start + 1200, start + 1800, 2074)]
    records.append(_job(job_id + 1, safe[1]["client"], media.name, master.name,
                        _policy(safe[1]["client"], hosts), "Full", tries, offset))
    for number, (_, ended, _) in enumerate(tries, start=1):
        failures.append(_failure(job_id + 1, number, safe[1]["client"], media.name, 2074, ended,
                                 offset, False, None, [], None,
                                 why="status 2074 (disk volume is down) is not a dropped "
                                     "connection"))
    return records


def _policy(client: str, hosts: list[Host]) -> str:
    os = next(h.os for h in hosts if h.name == client)
    return f"DMZ_{os.capitalize()}"


def _job(job_id: int, client: str, server: str, master: str, policy: str, schedule: str,
         tries: list[tuple[int, int, int]], offset: int) -> Job:
    built = []
    for number, (start, end, status) in enumerate(tries, start=1):
        pid = 13_000 + job_id % 1000 * 3 + number
        lines = [
            status_line(start + offset, 0, "Info", f"nbjm (pid=2468) starting backup job "
                        f"(jobid={job_id}) for client {client}, policy {policy}, schedule "
                        f"{schedule}"),
            status_line(start + offset, 0, "Info", f"bpbrm (pid={pid}) connected to {client}"),
        ]
        if status:
            lines.append(status_line(end + offset, 0, "Error",
                                     _FAILURE_TEXT[status].format(pid=pid)))
        lines.append(status_line(end + offset, 0, "Info" if not status else "Error",
                                 f"bptm (pid={pid + 1}) EXITING with status {status}"))
        built.append(Try(server, start + offset, end + offset, status, _DESCRIPTION[status],
                         tuple(lines), pid=pid, kbytes=0 if status else 1_048_576 + job_id,
                         files=0 if status else 1000 + job_id % 97))
    return Job(job_id, client, server, policy, schedule, tuple(built), master=master)


def _failure(job_id: int, try_number: int, client: str, server: str, status: int, end: int,
             offset: int, explained: bool, last: Session | None, torn: list[Session],
             resumed: int | None, why: str | None = None) -> dict[str, Any]:
    from .truth import _iso  # one time format for the whole truth

    return {
        "job_id": job_id, "try": try_number, "client": client, "server": server,
        "status": status, "time": _iso(end), "explained": explained,
        "teardown_conn_id": last.conn_id if last else None,
        "teardown_time": _iso(last.end) if last else None,
        "lag_s": end - last.end if last else None,
        "resumed": _iso(resumed) if resumed is not None else None,
        "teardown_conn_ids": sorted(s.conn_id for s in torn),
        "why_not": why,
    }
