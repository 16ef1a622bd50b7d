"""Display formatting of durations."""

import pandas as pd

import kit
from kit.analysis.format import hms


def test_hms_is_signed_and_lets_hours_pass_24():
    assert hms(pd.Timedelta(hours=92, minutes=24, seconds=20)) == "92:24:20"
    assert hms(pd.Timedelta(hours=-1)) == "-1:00:00"
    assert hms(None) == "n/a" and hms(pd.NaT) == "n/a"


def test_readable_formats_only_duration_columns():
    frame = pd.DataFrame({"host": ["a", "b"], "n": [1, 2],
                          "margin": pd.to_timedelta(["-1h", "30min"]),
                          "gone": pd.to_timedelta([None, "2h"])})
    shown = kit.readable(frame)
    assert shown["margin"].tolist() == ["-1:00:00", "0:30:00"]
    assert shown["gone"].tolist() == ["n/a", "2:00:00"]
    assert shown["n"].tolist() == [1, 2] and shown["host"].tolist() == ["a", "b"]
    assert frame["margin"].dtype.kind == "m"  # the input is left alone
