"""kit.loadreport: counts, kept rejects, merging, the on_bad_lines policy and the printed form."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest

from kit import LoadReport, ParseError
from kit.loadreport import KEEP_REJECTS, FileReport


def report() -> LoadReport:
    a = FileReport("a.log", read=10, parsed=6)
    a.ignore("106023", 2)
    a.ignore("blank")
    a.reject(9, "302014: message not understood")
    b = FileReport("b.log.gz", read=3, parsed=3, decode_errors=2)
    return LoadReport([a, b], {"fw1": pd.Timedelta(hours=-5, seconds=2)})


def test_totals_and_invariant() -> None:
    r = report()
    assert (r.read, r.parsed, r.ignored, r.rejected, r.decode_errors) == (13, 9, 3, 1, 2)
    assert r.read == r.parsed + r.ignored + r.rejected
    assert r.ignored_by_key == {"106023": 2, "blank": 1}


def test_rejects_keep_the_first_few_but_count_all() -> None:
    f = FileReport("x.log")
    for line in range(1, 31):
        f.reject(line, "bad")
    f.reject(31, "bad", count=100)
    assert f.rejected == 130
    assert [r.line for r in f.rejects] == list(range(1, KEEP_REJECTS + 1))
    assert str(f.rejects[0]) == "x.log:1: bad"


def test_merge_with_add() -> None:
    other = LoadReport([FileReport("c.log", read=1, rejected=1)], {"fw2": pd.Timedelta(0)})
    merged = report() + other
    assert [f.source for f in merged.files] == ["a.log", "b.log.gz", "c.log"]
    assert set(merged.clock_offsets) == {"fw1", "fw2"}
    assert merged.rejected == 2


def test_to_frame_one_row_per_file() -> None:
    frame = report().to_frame()
    assert list(frame.source) == ["a.log", "b.log.gz"]
    assert list(frame.read) == [10, 3]
    assert list(frame.columns) == ["source", "kind", "read", "parsed", "ignored", "rejected",
                                   "problems"]


def test_enforce_error_names_file_line_and_reason() -> None:
    with pytest.raises(ParseError) as caught:
        report().enforce("error")
    assert (caught.value.source, caught.value.line) == ("a.log", 9)
    assert str(caught.value) == "a.log:9: 302014: message not understood"
    problem = LoadReport([FileReport("p.gz", problems=["corrupt gzip"])])
    with pytest.raises(ParseError, match=r"p\.gz: corrupt gzip"):
        problem.enforce("error")


def test_enforce_warn_once_and_skip_silently() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report().enforce("warn")
    assert len(caught) == 1
    assert "1 line(s) rejected" in str(caught[0].message)
    assert "a.log:9:" in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report().enforce("skip")
        LoadReport([FileReport("ok.log", read=1, parsed=1)]).enforce("warn")
    with pytest.raises(ValueError, match="on_bad_lines"):
        report().enforce("ignore")  # type: ignore[arg-type]


def test_printed_form_says_everything() -> None:
    text = str(report())
    assert text.splitlines()[0] == ("Load report: 2 file(s), 13 lines read = 9 parsed + 3 ignored"
                                    " + 1 rejected")
    assert "  a.log [firewall]: read 10, parsed 6, ignored 3, rejected 1" in text
    assert "2 line(s) had invalid UTF-8 (replaced)" in text
    assert "ignored by message: 106023 2, blank 1" in text
    assert "clock offset relay - device [fw1]: -4:59:58" in text
    assert "a.log:9: 302014: message not understood" in text
