"""The Dask engine gives the pandas engine's frame row for row, and the same load report."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pandas as pd
import pytest

from kit import ParseError, read_firewall_log
from kit.firewall.schema import FEW_VALUE_COLUMNS, text_categories

from .logs import write

OPTIONS = {"on_bad_lines": "skip", "progress": False, "year": 2024}
BLOCKSIZE = 64 * 1024 + 7  # odd: partition edges fall inside lines


def both(source, client, blocksize: int = BLOCKSIZE, **options):
    """(pandas frame, dask frame computed, dask frame) for the same call."""
    options = {**OPTIONS, **options}
    expected = read_firewall_log(source, **options)
    lazy = read_firewall_log(source, engine="dask", blocksize=blocksize, scheduler=client,
                             **options)
    with client.as_current():
        return expected, lazy.compute(), lazy


def assert_same(expected: pd.DataFrame, got: pd.DataFrame, lazy) -> None:
    """Equal frames; the lazy frame's few-valued categories are the load's vocabulary (known
    before the rows), trimmed to those that occur by ``text_categories``."""
    pd.testing.assert_frame_equal(text_categories(got), expected, check_exact=True)
    assert kinds(lazy.dtypes.to_dict()) == kinds(expected.dtypes.to_dict())  # the meta too
    for name in FEW_VALUE_COLUMNS:
        assert set(expected[name].cat.categories) <= set(lazy._meta[name].cat.categories)
    report, got_report = expected.attrs["load_report"], lazy.load_report
    assert got_report.files == report.files
    assert got_report.clock_offsets == report.clock_offsets


def kinds(dtypes: dict) -> dict:
    """Dtypes with the few-valued columns' (data-dependent) categories left out."""
    return {c: "category" if c in FEW_VALUE_COLUMNS else t for c, t in dtypes.items()}


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("logs")
    return {
        "plain": write(folder / "a.log", 12_000, seed=1),
        "crlf": write(folder / "b.log", 3_000, seed=2, crlf_every=3, final_newline=False,
                      start_day=358),
        "gzip": write(folder / "c.log.gz", 4_000, seed=3, compress=True, start_day=10),
        "gzip-no-suffix": write(folder / "d.log.1", 2_000, seed=4, compress=True, start_day=20),
    }


def test_partition_edges_fall_inside_lines(logs):
    data = logs["plain"].read_bytes()
    edges = range(BLOCKSIZE, len(data), BLOCKSIZE)
    assert len(edges) >= 20
    assert sum(data[edge - 1:edge] != b"\n" for edge in edges) >= len(edges) - 1


def test_plain_file_split_mid_line_equals_pandas(logs, local_client):
    expected, got, lazy = both(logs["plain"], local_client)
    assert lazy.npartitions >= 20
    assert_same(expected, got, lazy)
    # what makes the file-level state matter: years roll over, Teardowns meet Builts of other
    # partitions, and the line numbers run on across partitions
    assert expected["time"].dt.year.tolist()[0] == 2024
    assert set(expected["time"].dt.year) == {2024, 2025}
    assert (expected["orientation"] == "built").sum() > 5000
    assert expected["line"].max() > 11_000


def test_mix_of_plain_crlf_and_gzip_files_equals_pandas(logs, local_client):
    sources = [str(logs[k]) for k in ("plain", "gzip", "crlf", "gzip-no-suffix")]
    expected, got, lazy = both(sources, local_client)
    assert_same(expected, got, lazy)
    assert expected["source"].nunique() == 4


def test_year_from_the_modification_time_equals_pandas(logs, local_client):
    os.utime(logs["crlf"], (1_738_000_000, 1_738_000_000))  # 2025-01-27
    expected, got, lazy = both(logs["crlf"], local_client, blocksize=16 * 1024, year=None)
    assert_same(expected, got, lazy)
    assert sorted(set(expected["time"].dt.year)) == [2024, 2025]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-16", "utf-8-sig"])
def test_re_encoded_file_is_one_partition_and_equals_pandas(logs, local_client, encoding):
    """UTF-16 (with or without a BOM) and a UTF-8 BOM: not cut into raw byte ranges."""
    text = logs["plain"].read_bytes()[:60_000].decode()
    path = logs["plain"].parent / f"{encoding}.log"
    path.write_bytes(text[:text.rindex("\n") + 1].encode(encoding))
    expected, got, lazy = both(path, local_client, blocksize=4096)
    assert lazy.npartitions == 1
    assert_same(expected, got, lazy)
    assert len(expected) > 200


def test_tiny_blocks_equal_pandas(logs, local_client):
    """4 KiB partitions: every Teardown's Built is in another partition."""
    head = logs["plain"].parent / "head.log"
    head.write_bytes(logs["plain"].read_bytes()[:100_000])
    expected, got, lazy = both(head, local_client, blocksize=4096)
    assert lazy.npartitions > 20
    assert_same(expected, got, lazy)


def test_bad_line_errors_are_the_same(logs, local_client):
    with pytest.raises(ParseError) as pandas_error:
        read_firewall_log(logs["plain"], on_bad_lines="error", progress=False)
    with pytest.raises(ParseError) as dask_error:
        read_firewall_log(logs["plain"], on_bad_lines="error", engine="dask", progress=False,
                          blocksize=BLOCKSIZE, scheduler=local_client)
    assert str(dask_error.value) == str(pandas_error.value)
    assert dask_error.value.line == pandas_error.value.line > 1


def test_no_connection_events_is_the_same_error(tmp_path, local_client):
    empty, junk, gone = tmp_path / "empty.log", tmp_path / "junk.log.gz", tmp_path / "gone.log"
    empty.write_bytes(b"")
    junk.write_bytes(gzip.compress(b"hello\nworld\n"))
    sources = [str(empty), str(junk), str(gone)]
    with pytest.raises(ParseError) as pandas_error:
        read_firewall_log(sources, **OPTIONS)
    with pytest.raises(ParseError) as dask_error:
        read_firewall_log(sources, engine="dask", scheduler=local_client, **OPTIONS)
    assert str(dask_error.value) == str(pandas_error.value)
    assert "3 source(s)" in str(dask_error.value)


def test_options_of_the_dask_engine_are_refused_with_pandas(logs):
    with pytest.raises(ValueError, match=r"\['blocksize'\] only apply with engine='dask'"):
        read_firewall_log(logs["plain"], blocksize=4096)
    with pytest.raises(ValueError, match="engine must be"):
        read_firewall_log(logs["plain"], engine="spark")


def test_another_vendors_file_is_a_named_problem_not_a_cisco_parse() -> None:
    """The Dask engine detects each file's vendor as the pandas reader does; a PAN-OS file is
    not parsed as Cisco (every line a reject) but named as a file problem."""
    from kit.scale.partitions import plan

    folder = Path(__file__).parents[2] / "data" / "sample-paloalto" / "firewall"
    parts = plan(folder, 1 << 26)
    assert len(parts) == 2 and all(p.problem for p in parts)
    assert all(p.problem.startswith("Palo Alto PAN-OS") and "engine='pandas'" in p.problem
               for p in parts)


def test_acl_denies_are_matched_by_the_pandas_engine_only(tmp_path, local_client):
    """A 106023 after a teardown of its endpoints is a deny-no-connection row for pandas; the
    Dask engine leaves every 106023 ignored (its docstring says so), with the same line count."""
    log = tmp_path / "acl.log"
    log.write_text(
        "Jun  2 2024 16:00:00 fw1 : %ASA-6-302014: Teardown TCP connection 7 for "
        "outside:198.51.100.20/1556 to dmz:192.0.2.10/50412 duration 1:00:00 bytes 1546 "
        "Conn-timeout\n"
        "Jun  2 2024 16:05:00 fw1 : %ASA-4-106023: Deny tcp src dmz:192.0.2.10/50412 dst "
        'outside:198.51.100.20/1556 by access-group "dmz_in" [0x0, 0x0]\n')
    expected, got, lazy = both(log, local_client)
    assert expected["event"].astype(str).tolist() == ["teardown", "deny-no-connection"]
    assert got["event"].astype(str).tolist() == ["teardown"]
    pandas_file, (dask_file,) = expected.attrs["load_report"].files[0], lazy.load_report.files
    assert (pandas_file.read, pandas_file.parsed, pandas_file.ignored) == (2, 2, 0)
    assert (dask_file.read, dask_file.parsed, dask_file.ignored) == (2, 1, 1)
    assert dict(dask_file.ignored_by_key) == {"106023": 1}


def test_matching_pass_gives_the_frames_own_matching_rows(logs):
    """The matching pass reads a partition without building its frame; what it gives equals
    the Builts (logged direction) and Teardowns of numeric ids taken from the frame itself."""
    from kit.firewall.messages import BlockSettings
    from kit.firewall.zones import parse_zone
    from kit.scale.engine import MATCHING
    from kit.scale.partitions import Placement, matching, plan, rows

    settings = BlockSettings(parse_zone("UTC"), parse_zone("UTC"), 2024)
    parts = plan([logs["plain"], logs["gzip"]], BLOCKSIZE)
    kept = 0
    for start, part in zip(range(0, 10**9, 10**6), parts, strict=False):
        frame = rows(part, settings, Placement(1, 0, 2024), start, {})
        built = (frame["event"] == "built") & (frame["orientation"] == "logged")
        keep = (built | (frame["event"] == "teardown")) & frame["_key"].notna()
        expected = frame.loc[keep, list(MATCHING)].assign(_built=built[keep])
        got = matching(part, settings, start)
        pd.testing.assert_frame_equal(got, expected, check_exact=True)
        kept += len(got)
    assert len(parts) > 5
    assert kept > 10_000
