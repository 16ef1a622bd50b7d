"""Medians from value tallies (what a case on Dask brings back instead of every value): the same
number as pandas' median of all the values, however the tally is split into partitions."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from kit.case.facts import bytes_median, median_of, medians

values = st.lists(st.integers(0, 50), min_size=1, max_size=60)


@given(values, st.integers(1, 5))
def test_median_of_a_split_tally_is_pandas_median(numbers, parts):
    data = pd.Series(numbers, dtype="UInt64")
    # one tally per partition, one after the other: a value may occur in several
    tally = pd.concat([chunk.value_counts().rename("sessions").rename_axis("bytes").reset_index()
                       for chunk in (data.iloc[i::parts] for i in range(parts)) if len(chunk)],
                      ignore_index=True)
    assert median_of(tally["bytes"], tally["sessions"].to_numpy()) == data.median()
    assert bytes_median(tally) == (len(numbers), float(data.median()))


def test_medians_per_service_port_keep_the_column_type():
    tally = pd.DataFrame({
        "service_port": pd.array([443, 443, 22, 443, 22], dtype="UInt16"),
        "duration": pd.to_timedelta([10, 30, 5, 20, 7], unit="s"),
        "sessions": [1, 1, 2, 2, 1]})
    got = medians(tally, "duration")
    # 443: 10, 20, 20, 30 -> 20 s; 22: 5, 5, 7 -> 5 s
    assert got.to_dict() == {22: pd.Timedelta(seconds=5), 443: pd.Timedelta(seconds=20)}
    assert bytes_median(tally.iloc[:0].assign(bytes=[]).drop(columns="duration")) == (0, None)
