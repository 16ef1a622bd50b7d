"""Shared helpers for the firewall reader tests: read text and check the load-report invariant."""

from __future__ import annotations

from typing import Any

import pandas as pd

from kit import read_firewall_log
from kit.loadreport import LoadReport

CONFIG: dict[str, Any] = {"on_bad_lines": "skip", "progress": False}


def check_counts(report: LoadReport) -> None:
    """read == parsed + ignored + rejected, per file and in total."""
    for f in report.files:
        assert f.read == f.parsed + f.ignored + f.rejected, f
    assert report.read == report.parsed + report.ignored + report.rejected


def read(data: str | bytes | Any, **options: Any) -> pd.DataFrame:
    """``read_firewall_log`` on text (or anything it accepts), invariant checked."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    frame = read_firewall_log(data, **{**CONFIG, **options})
    report = frame.attrs["load_report"]
    check_counts(report)
    assert report.parsed == len(frame)
    return frame


def row(line: str, **options: Any) -> pd.Series:
    """The single row one line gives."""
    frame = read(line + "\n", **options)
    assert len(frame) == 1, frame
    return frame.iloc[0]


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")
