"""``kit parse``: the connection-event frame as a Parquet dataset, written while the logs are
read, partitioned by device and day, with the exact schema and the load report beside it.

::

    DIR/
      _kit_dataset.json     kit version, time settings, schema, rows, the sources of each run
      _load_report.json     the load report of each run
      device=fw01/day=2024-06-02/part-<run>-<partition>-0.parquet

Each partition of the Dask engine's frame is written by the worker that computed it, so memory
is bounded by a few partitions whatever the input size. A later run appends (new files, same kit
version and time settings); anything else is refused with a :class:`DatasetError`. Rows keep
their global order in a ``_row`` column, so reading gives back the frame the reader returned.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from .. import __version__
from ..errors import KitError
from ..firewall.schema import FEW_VALUE_COLUMNS, conform, text_categories
from ..firewall.zones import parse_zone
from ..loadreport import FileReport, LoadReport, Reject
from .partitions import ROW

METADATA = "_kit_dataset.json"
REPORT = "_load_report.json"
FORMAT = "kit-connection-events"
PARTITIONS = ("device", "day")
_ROW = ROW


class DatasetError(KitError, ValueError):
    """A ``kit parse`` dataset that cannot be written to or read as asked."""


@dataclass
class Dataset:
    """An existing ``kit parse`` output folder (see the module docstring)."""

    path: Path
    meta: dict[str, Any]

    @property
    def rows(self) -> int:
        return int(self.meta["rows"])

    def dtypes(self) -> dict[str, Any]:
        """The stored schema as pandas dtypes."""
        return {name: _dtype(spec) for name, spec in self.meta["schema"].items()}

    def load_report(self) -> LoadReport:
        """Every run's load report, in run order."""
        runs = json.loads((self.path / REPORT).read_text())
        report = LoadReport()
        for run in runs:
            report = report + _report_from_json(run)
        return report

    def builts(self) -> Any:
        """The stored Builts' matching columns (``engine.MATCHING``), indexed before row 0 of
        the next run (so they come first, as earlier rows do)."""
        import dask.dataframe as dd

        from .engine import MATCHING

        frame = dd.read_parquet(self.path, engine="pyarrow", columns=[*MATCHING, _ROW],
                                filters=[("_key", "!=", "")])
        frame = frame[~frame["_key"].isna()]
        frame[_ROW] = frame[_ROW] - self.rows
        return frame.map_partitions(pd.DataFrame.set_index, _ROW)[list(MATCHING)]

    def read(self, *, engine: str = "pandas", tz: Any = "UTC", relay_tz: Any = "UTC",
             year: int | None = None) -> Any:
        """The connection-event frame, in the order it was read.

        ``engine="dask"``: a lazy frame with one partition per file, each indexed by the global
        row number and sorted by it (no shuffle to order the whole: ``compute().sort_index()``
        gives the pandas frame).

        Raises DatasetError when non-default time settings differ from the dataset's (its
        times were settled with its own settings when it was written).
        """
        asked = _settings(tz, relay_tz, year)
        stored = self.meta["settings"]
        defaults = _settings("UTC", "UTC", None)
        clash = {k: (stored[k], asked[k]) for k in asked
                 if asked[k] != defaults[k] and asked[k] != stored[k]}
        if clash:
            raise DatasetError(
                f"{self.path}: parsed with {stored}, but asked for "
                + ", ".join(f"{k}={v[1]!r}" for k, v in clash.items())
                + "; parse the logs again with `kit parse --tz ...` or drop the setting")
        dtypes = self.dtypes()
        if engine == "dask":
            import dask.dataframe as dd

            frame = dd.read_parquet(self.path, engine="pyarrow", dataset={"partitioning": "hive"})
            frame = frame.map_partitions(_by_row, dtypes, meta=_empty(dtypes))
            object.__setattr__(frame, "load_report", self.load_report())
            return frame
        if engine != "pandas":
            raise ValueError(f"engine must be 'pandas' or 'dask', not {engine!r}")
        frame = pd.read_parquet(self.path, engine="pyarrow").sort_values(_ROW)
        frame = text_categories(_conformed(frame.set_index(_ROW), dtypes).reset_index(drop=True))
        frame.attrs["load_report"] = self.load_report()
        return frame


def find_dataset(source: Any) -> Dataset | None:
    """The dataset ``source`` names (a folder holding ``_kit_dataset.json``), else None."""
    if isinstance(source, (list, tuple)) and len(source) == 1:
        source = source[0]
    if not isinstance(source, (str, Path)):
        return None
    path = Path(source)
    if not (path / METADATA).is_file():
        nested = sorted(p.parent for p in path.glob(f"*/{METADATA}")) if path.is_dir() else []
        if nested:  # its Parquet files would otherwise be read as (rejected) log lines
            raise DatasetError(f"{path}: holds the kit parse dataset {nested[0]}; pass that "
                               "folder itself (or parse into the case's firewall/ folder)")
        return None
    meta = json.loads((path / METADATA).read_text())
    if meta.get("format") != FORMAT:
        raise DatasetError(f"{path / METADATA}: not a kit parse dataset (format "
                           f"{meta.get('format')!r}); remove the file or pick another folder")
    return Dataset(path, meta)


def parse_to_dataset(sources: Any, out: str | Path, *, tz: Any = "UTC", relay_tz: Any = "UTC",
                     year: int | None = None, on_bad_lines: Any = "warn",
                     progress: bool | None = None, blocksize: int | None = None,
                     scheduler: Any = None) -> Dataset:
    """Parse ``sources`` into (or onto) the dataset at ``out``; see the module docstring.

    Parameters
    ----------
    sources : path, directory, glob, or a list of these
        The logs (as for :func:`kit.read_firewall_log`).
    out : str or Path
        The dataset folder: created, or appended to.
    tz, relay_tz, year, on_bad_lines, progress
        As for :func:`kit.read_firewall_log`; an existing dataset's settings must match.
    blocksize, scheduler
        As for ``read_firewall_log(engine="dask")``.

    Returns
    -------
    Dataset
        The dataset after this run.

    Raises
    ------
    DatasetError
        ``out`` is a dataset of another kit version or time settings, already holds one of
        these sources, or is a non-empty folder that is not a dataset.
    """
    from distributed import as_completed

    from .cluster import connect, progress_bar
    from .engine import BLOCKSIZE, frame_meta, read_dask

    root = Path(out)
    settings = _settings(tz, relay_tz, year)
    existing = find_dataset(root)
    _check_target(root, existing, settings, sources)
    client = connect(scheduler)
    frame = read_dask(sources, tz=tz, relay_tz=relay_tz, year=year, on_bad_lines=on_bad_lines,
                      progress=progress, blocksize=blocksize or BLOCKSIZE, scheduler=client,
                      earlier_builts=existing.builts() if existing else None,
                      matching_columns=True)
    report: LoadReport = frame.load_report
    run = len(existing.meta["runs"]) if existing else 0
    first_row = existing.rows if existing else 0
    root.mkdir(parents=True, exist_ok=True)
    parts = frame.to_delayed()
    with client.as_current():
        futures = client.compute([_write(part, str(root), run, i, first_row)
                                  for i, part in enumerate(parts)])
    rows = 0
    with progress_bar(progress, len(futures), "writing Parquet") as bar:
        for future in as_completed(futures):
            rows += future.result()
            bar.update(1)
    meta = existing.meta if existing else {
        "format": FORMAT, "kit_version": __version__, "settings": settings,
        "schema": {name: _spec(dtype) for name, dtype in frame_meta().dtypes.items()},
        "partitioning": list(PARTITIONS), "rows": 0, "runs": []}
    for name in FEW_VALUE_COLUMNS:  # the load's vocabulary (Dask engine, pass 1), grown by each run
        stored = meta["schema"][name]
        stored["categories"] = sorted(set(stored["categories"] if existing else ())
                                      | set(frame._meta[name].cat.categories))
    meta["rows"] = first_row + rows
    meta["runs"].append({"rows": rows, "sources": [f.source for f in report.files]})
    runs = json.loads((root / REPORT).read_text()) if existing else []
    runs.append(_report_to_json(report))
    (root / REPORT).write_text(json.dumps(runs, indent=1))
    (root / METADATA).write_text(json.dumps(meta, indent=1))
    return Dataset(root, meta)


def _check_target(root: Path, existing: Dataset | None, settings: dict[str, Any],
                  sources: Any) -> None:
    if existing is None:
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise DatasetError(f"{root}: exists and is not a kit parse dataset; pass a new or "
                               "empty folder, or an existing dataset to append to")
        return
    meta = existing.meta
    if meta["kit_version"] != __version__:
        raise DatasetError(
            f"{root}: written by kit {meta['kit_version']}, this is kit {__version__}; datasets "
            "of different versions are not mixed: parse into a new folder")
    if meta["settings"] != settings:
        raise DatasetError(
            f"{root}: parsed with time settings {meta['settings']}, not {settings}; datasets "
            "with different time settings are not mixed: use the same --tz/--relay-tz/--year "
            "or parse into a new folder")
    from ..sources import iter_sources

    done = {name for run in meta["runs"] for name in run["sources"]}
    items = sources if isinstance(sources, (list, tuple)) else [sources]
    again = sorted({s.name for item in items for s in iter_sources(item)} & done)
    if again:
        raise DatasetError(f"{root}: already holds {', '.join(again)}; each log is parsed once "
                           "(append only later files)")


def _write(part: Any, root: str, run: int, index: int, first_row: int) -> Any:
    from dask import delayed

    return delayed(_write_partition)(part, root, run, index, first_row)


def _write_partition(frame: pd.DataFrame, root: str, run: int, index: int,
                     first_row: int) -> int:
    """Write one partition's rows under device=/day= folders; returns the row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not len(frame):
        return 0
    built = (frame["event"] == "built") & (frame["orientation"] == "logged")
    out = frame.assign(**{  # the matching key is kept only where a later run may need it
        "_key": frame["_key"].where(built), "_first": frame["_first"] & built,
        "day": _days(frame["time"]),
        # plain text (device is a folder name; the categories are in the dataset's schema)
        **{name: _plain_text(frame[name]) for name in FEW_VALUE_COLUMNS},
        _ROW: frame.index.to_numpy("int64") + first_row})
    table = pa.Table.from_pandas(out, preserve_index=False)
    pq.write_to_dataset(table, root, partition_cols=list(PARTITIONS),
                        basename_template=f"part-{run}-{index}-{{i}}.parquet")
    return len(frame)


def _days(times: pd.Series) -> pd.api.extensions.ExtensionArray:
    """``YYYY-MM-DD`` (UTC) of each time, each distinct day formatted once."""
    import numpy as np
    import pyarrow as pa

    ns = times.dt.as_unit("ns").array.asi8  # UTC nanoseconds
    missing = times.isna().to_numpy()
    days, inverse = np.unique(np.where(missing, 0, ns // 86_400_000_000_000), return_inverse=True)
    labels = pa.array(np.datetime_as_string(days.astype("datetime64[D]")), pa.large_string())
    return pd.arrays.ArrowStringArray(
        labels.take(pa.array(inverse.reshape(-1), mask=missing)))


def _plain_text(column: pd.Series) -> pd.api.extensions.ExtensionArray:
    """A category column as plain Arrow text (decoded in Arrow, not through Python objects)."""
    import pyarrow as pa

    return pd.arrays.ArrowStringArray(pa.array(column.array).cast(pa.large_string()))


def _by_row(frame: pd.DataFrame, dtypes: dict[str, Any]) -> pd.DataFrame:
    return _conformed(frame.set_index(_ROW).sort_index(), dtypes)


def _conformed(frame: pd.DataFrame, dtypes: dict[str, Any]) -> pd.DataFrame:
    frame = frame.rename_axis(None)
    frame["device"] = frame["device"].astype("string[pyarrow]")
    return conform(frame).astype(dtypes)


def _empty(dtypes: dict[str, Any]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in dtypes.items()})


def _settings(tz: Any, relay_tz: Any, year: int | None) -> dict[str, Any]:
    return {"tz": parse_zone(tz, parameter="tz").name,
            "relay_tz": parse_zone(relay_tz, parameter="relay_tz").name, "year": year}


def _spec(dtype: Any) -> dict[str, Any]:
    if isinstance(dtype, pd.CategoricalDtype):
        return {"kind": "category", "categories": list(dtype.categories),
                "ordered": bool(dtype.ordered)}
    if isinstance(dtype, pd.StringDtype):
        return {"kind": "string", "storage": dtype.storage,
                "na": "NA" if dtype.na_value is pd.NA else "nan"}
    return {"kind": "other", "name": str(dtype)}


def _dtype(spec: dict[str, Any]) -> Any:
    if spec["kind"] == "category":
        return pd.CategoricalDtype(spec["categories"], ordered=spec["ordered"])
    if spec["kind"] == "string":
        na = pd.NA if spec["na"] == "NA" else float("nan")
        return pd.StringDtype(spec["storage"], na_value=na)
    return pd.api.types.pandas_dtype(spec["name"])


def _report_to_json(report: LoadReport) -> dict[str, Any]:
    files = [{**asdict(f), "ignored_by_key": dict(f.ignored_by_key)} for f in report.files]
    return {"files": files,
            "clock_offsets": {k: v.total_seconds() for k, v in report.clock_offsets.items()}}


def _report_from_json(data: dict[str, Any]) -> LoadReport:
    files = []
    for f in data["files"]:
        f = dict(f)
        f["rejects"] = [Reject(**r) for r in f["rejects"]]
        f["ignored_by_key"] = Counter(f["ignored_by_key"])
        files.append(FileReport(**f))
    return LoadReport(files, {k: pd.Timedelta(seconds=v)
                              for k, v in data["clock_offsets"].items()})
