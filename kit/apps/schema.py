"""The frames ``kit.apps`` returns: column names and dtypes, declared once.

Every failure source (bpdbjobs, the application-errors CSV) shares :data:`FAILURE_DTYPES`, so
``kit.explain_failures`` reads one shape; ``read_bpdbjobs`` adds the job's own columns in front.
"""

from __future__ import annotations

import pandas as pd

from ..errors import ParseError
from ..loadreport import LoadReport
from .catalogue import CLASSES

STRING = pd.StringDtype("pyarrow")
UTC = pd.DatetimeTZDtype("ns", "UTC")

JOB_TYPES = {0: "backup", 1: "archive", 2: "restore", 3: "verify", 4: "duplicate", 5: "import",
             6: "catalog-backup", 7: "vault", 22: "backup-from-snapshot", 28: "snapshot"}
JOB_STATES = {0: "queued", 1: "active", 2: "requeued", 3: "done", 4: "suspended",
              5: "incomplete"}

#: one row per failure, whatever wrote it
FAILURE_DTYPES: dict[str, object] = {
    "time": UTC,
    "host": STRING,
    "peer": STRING,
    "peer_ip": STRING,
    "peer_port": pd.UInt16Dtype(),
    "local_port": pd.UInt16Dtype(),
    "app": STRING,
    "error_code": STRING,
    "class": pd.CategoricalDtype(CLASSES),
    "message": STRING,
    "job_id": pd.Int64Dtype(),
    "source": STRING,
    "line": pd.UInt64Dtype(),
}

#: one row per job try (``read_bpdbjobs``): the job's columns, then the failure columns
JOB_DTYPES: dict[str, object] = {
    "job_id": pd.Int64Dtype(),
    "parent_job": pd.Int64Dtype(),
    "job_type": STRING,
    "state": pd.CategoricalDtype(tuple(JOB_STATES.values())),
    "status": pd.Int64Dtype(),
    "job_status": pd.Int64Dtype(),
    "policy": STRING,
    "schedule": STRING,
    "client": STRING,
    "server": STRING,
    "master": STRING,
    "try_number": pd.Int64Dtype(),
    "tries": pd.Int64Dtype(),
    "try_started": UTC,
    "try_ended": UTC,
    "try_elapsed": "timedelta64[ns]",
    "kbytes": pd.UInt64Dtype(),
    "files": pd.UInt64Dtype(),
    "status_description": STRING,
    "status_lines": STRING,
    "message_time": UTC,
    "layout": pd.CategoricalDtype(("all_columns", "most_columns")),
    **{k: v for k, v in FAILURE_DTYPES.items() if k != "job_id"},
}


def frame(rows: list[dict[str, object]], dtypes: dict[str, object]) -> pd.DataFrame:
    """``rows`` as a frame with exactly ``dtypes``' columns, in order (zero rows allowed)."""
    columns = {}
    for name, dtype in dtypes.items():
        values = [row.get(name) for row in rows]
        if dtype == UTC:
            columns[name] = pd.to_datetime(pd.Series(values, dtype=object), utc=True)
        elif dtype == "timedelta64[ns]":
            columns[name] = pd.to_timedelta(pd.Series(values, dtype=object))
        else:
            columns[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(columns).astype(dtypes)


def failed_tries(jobs: pd.DataFrame) -> pd.DataFrame:
    """The job tries that ended with a non-zero status: the failures there are to explain."""
    ended = jobs["try_ended"].notna().to_numpy(bool)
    return jobs[jobs["status"].fillna(0).ne(0).to_numpy(bool) & ended]


def raise_if_nothing_read(report: LoadReport, errors: list[ParseError], rows: list) -> None:
    """Every file failed and nothing was read: raise the first file's error as it was."""
    if errors and not rows and len(errors) == len(report.files):
        raise errors[0]
