"""The parse cache: each firewall log's parsed rows kept as Parquet in ``CASE/.kit/cache/``.

A case is parsed once, not once per notebook: ``load_case`` keeps each input file's part of the
connection-event frame and its load report, keyed by the file's size, modification time and
content hash (BLAKE2b), the kit's version and the settings the parse depends on (``tz``,
``relay_tz``, ``year``). A changed, touched or added file is parsed again, alone; the others are
read back. Files read in one call are oriented together; a teardown whose Built lies in a file
parsed in another call is oriented across the parts here (``orient_across``), as one read would.

The cache holds the case's raw data: it is never attached to a report, redaction checks ignore
it, and ``kit cache clear CASE`` removes it. A folder that cannot be written only warns: the case
then loads without a cache.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..firewall.schema import CONNECTION_DTYPES, text_categories
from ..loadreport import FileReport, LoadReport, Reject

#: the case's private folder (cache and redaction key), relative to the case folder
KIT_DIR = ".kit"
CACHE_DIR = "cache"
_HASH_CHUNK = 1 << 22
#: the parts are written uncompressed (dictionary-encoded still): reading them back is what a
#: re-open waits for, about three times faster than snappy for twice the size on disk


def cache_dir(case_root: Path) -> Path:
    """``CASE/.kit/cache``: where the parse cache of a case lives."""
    return Path(case_root) / KIT_DIR / CACHE_DIR


def clear_cache(case_root: str | Path) -> int:
    """Remove a case's parse cache; returns the number of files removed (0 when none)."""
    folder = cache_dir(Path(case_root))
    if not folder.is_dir():
        return 0
    count = sum(1 for p in folder.rglob("*") if p.is_file())
    shutil.rmtree(folder)
    return count


def content_digest(path: Path) -> str:
    """BLAKE2b of the file's bytes (streamed)."""
    digest = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def file_key(path: Path, parse_settings: dict[str, Any]) -> str:
    """The cache key of one input file: its size, mtime and content hash, the kit's version and
    the settings its parse depends on, and the frame's schema (a part of another schema is
    parsed again)."""
    from .. import __version__

    stat = path.stat()
    fields = {"name": path.name, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns,
              "digest": content_digest(path), "kit": __version__, **parse_settings,
              "schema": {c: str(t) for c, t in CONNECTION_DTYPES.items()}}
    return hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode()).hexdigest()


class ParseCache:
    """Per-file Parquet parts of one case (see the module docstring)."""

    def __init__(self, case_root: Path, kind: str = "firewall"):
        self.folder = cache_dir(case_root) / kind
        self._warned = False

    def load(self, key: str) -> tuple[pd.DataFrame, FileReport, dict[str, pd.Timedelta]] | None:
        """The cached part for ``key``, or None (absent or unreadable: then parse again)."""
        rows, meta = self.folder / f"{key}.parquet", self.folder / f"{key}.json"
        if not (rows.is_file() and meta.is_file()):
            return None
        try:
            info = json.loads(meta.read_text(encoding="utf-8"))
            frame = text_categories(pd.read_parquet(rows, engine="pyarrow"))
            offsets = {device: pd.Timedelta(seconds=seconds)
                       for device, seconds in info["offsets"].items()}
            return frame, _file_report(info["report"]), offsets
        except (OSError, ValueError, KeyError, TypeError) as exc:
            warnings.warn(f"{rows}: unreadable cache entry ({exc}); parsing the file again",
                          stacklevel=3)
            return None

    def store(self, key: str, frame: pd.DataFrame, report: FileReport,
              offsets: dict[str, pd.Timedelta]) -> None:
        """Keep one part; a cache folder that cannot be written only warns (once)."""
        info = {"report": _report_dict(report),
                "offsets": {d: pd.Timedelta(v).total_seconds() for d, v in offsets.items()}}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            part = frame.copy(deep=False)
            part.attrs = {}
            temporary = self.folder / f"{key}.parquet.tmp"
            part.to_parquet(temporary, engine="pyarrow", index=False, compression=None)
            temporary.replace(self.folder / f"{key}.parquet")
            (self.folder / f"{key}.json").write_text(json.dumps(info), encoding="utf-8")
        except OSError as exc:
            if not self._warned:
                warnings.warn(f"{self.folder}: cannot write the parse cache ({exc}); the case "
                              "loads without it (each open parses the logs again)", stacklevel=3)
                self._warned = True

    def prune(self, keep: set[str]) -> None:
        """Remove the parts of files that are gone or changed."""
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.name.split(".", 1)[0] not in keep:
                path.unlink(missing_ok=True)


def read_cached(files: Sequence[Path], case_root: Path, parse_settings: dict[str, Any],
                parse: Callable[[list[str]], pd.DataFrame]) -> tuple[pd.DataFrame, list[str]]:
    """The connection-event frame of ``files``, each read from the cache or parsed.

    ``parse`` reads a list of paths (``kit.read_firewall_log`` with the case's settings); the
    files not in the cache are parsed in one call and their parts stored. The frame equals one
    ``parse(files)``: rows in file order, one load report, clock offsets per device (the median
    of the parts' medians). Also returns the files' cache keys (for ``SessionsCache``).
    """
    cache = ParseCache(case_root)
    keys = {path: file_key(path, parse_settings) for path in files}
    parts: dict[Path, tuple[pd.DataFrame, FileReport, dict[str, pd.Timedelta]]] = {}
    for path, key in keys.items():
        hit = cache.load(key)
        if hit is not None:  # named as the file is now (the case may have moved)
            parts[path] = (_named(hit[0], str(path)), _renamed(hit[1], str(path)), hit[2])
    fresh = [path for path in files if path not in parts]
    if fresh:
        frame = parse([str(path) for path in fresh])
        report: LoadReport = frame.attrs["load_report"]
        by_source = {name: part for name, part in frame.groupby("source", sort=False,
                                                                observed=True)}
        for path, file_report in zip(fresh, report.files, strict=True):
            part = text_categories(by_source.get(str(path), frame.iloc[:0]).reset_index(drop=True))
            parts[path] = (part, file_report, report.clock_offsets)
            cache.store(keys[path], part, file_report, report.clock_offsets)
    cache.prune(set(keys.values()))
    if not fresh and len(files) == 1:
        frame = parts[files[0]][0]
    else:
        frame = text_categories(_concat([parts[path][0] for path in files]))
        if len(fresh) != len(files):
            frame = orient_across(frame)
    frame.attrs["load_report"] = LoadReport([parts[path][1] for path in files],
                                            _offsets([parts[path][2] for path in files]))
    return frame, [keys[path] for path in files]


class SessionsCache:
    """``case.sessions`` kept beside the parsed parts, keyed by every firewall part's key (so by
    the files, the kit's version and the parse settings), the inventory's content, the case's
    ``[services]``, its stated timeout and the sessions' columns: a re-open reads the sessions
    instead of pairing a million events again."""

    def __init__(self, case_root: Path, part_keys: Sequence[str], inventory: pd.DataFrame,
                 services: dict[int, str], timeout: Any = None):
        rows = pd.util.hash_pandas_object(inventory.astype(object), index=False).to_numpy()
        from ..analysis.sessions import SESSION_COLUMNS

        fields = {"parts": list(part_keys), "inventory": hashlib.sha256(rows.tobytes())
                  .hexdigest(), "columns": list(inventory.columns),
                  "services": sorted(services.items()), "schema": list(SESSION_COLUMNS),
                  "timeout": str(timeout)}
        key = hashlib.sha256(json.dumps(fields, default=str).encode()).hexdigest()
        self.folder = cache_dir(case_root) / "sessions"
        self.path = self.folder / f"{key}.parquet"

    def load(self) -> pd.DataFrame | None:
        """The cached sessions, or None (absent or unreadable)."""
        if not self.path.is_file():
            return None
        try:
            return pd.read_parquet(self.path, engine="pyarrow")
        except (OSError, ValueError) as exc:
            warnings.warn(f"{self.path}: unreadable cache entry ({exc}); building the sessions "
                          "again", stacklevel=3)
            return None

    def store(self, sessions: pd.DataFrame) -> None:
        """Keep the sessions (replacing older entries); an unwritable folder only warns."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for old in self.folder.glob("*.parquet"):
                old.unlink(missing_ok=True)
            temporary = self.path.with_suffix(".tmp")
            frame = sessions.copy(deep=False)
            frame.attrs = {}
            frame.to_parquet(temporary, engine="pyarrow", index=False, compression=None)
            temporary.replace(self.path)
        except OSError as exc:
            warnings.warn(f"{self.folder}: cannot write the sessions cache ({exc})",
                          stacklevel=3)


def _named(part: pd.DataFrame, name: str) -> pd.DataFrame:
    """A cached part with its ``source`` column set to the file's current name."""
    if part.empty or "source" not in part.columns:
        return part
    column = part["source"]
    if isinstance(column.dtype, pd.CategoricalDtype):
        part["source"] = pd.Categorical.from_codes(np.zeros(len(part), dtype=np.int8),
                                                   categories=pd.Index([name], dtype="str"))
    else:
        part["source"] = pd.Series(name, index=part.index, dtype=column.dtype)
    return part


def _renamed(report: FileReport, name: str) -> FileReport:
    """A cached file report under the file's current name."""
    return dataclasses.replace(report, source=name, rejects=[
        dataclasses.replace(r, source=name) for r in report.rejects])


def orient_across(frame: pd.DataFrame) -> pd.DataFrame:
    """Orient teardowns whose Built was in a file parsed in another call (as one read would:
    ``kit.firewall.orientation``): a teardown oriented by port takes the direction of the first
    logged Built of its device and connection id, swapping its endpoints where they are reversed.
    """
    tear = ((frame["event"] == "teardown") & (frame["orientation"] == "port")
            & frame["conn_id"].notna()).fillna(False).to_numpy(dtype=bool)
    built = ((frame["event"] == "built") & (frame["orientation"] == "logged")) \
        .fillna(False).to_numpy(dtype=bool)
    if not tear.any() or not built.any():
        return frame
    keys = ["device", "conn_id"]
    first = frame.loc[built, [*keys, "src_port", "dst_port"]].drop_duplicates(keys)
    rows = frame.loc[tear, [*keys, "src_port", "dst_port"]].assign(row=np.flatnonzero(tear))
    matched = rows.merge(first, on=keys, how="inner", suffixes=("", "_built"))
    if matched.empty:
        return frame
    same = (matched["src_port"] == matched["src_port_built"]) & \
        (matched["dst_port"] == matched["dst_port_built"])
    reverse = (matched["src_port"] == matched["dst_port_built"]) & \
        (matched["dst_port"] == matched["src_port_built"])
    swap = (reverse & ~same).fillna(False).to_numpy(dtype=bool)
    out = frame.copy()
    at = matched["row"].to_numpy()[swap]
    for left, right in (("src_if", "dst_if"), ("src_ip", "dst_ip"), ("src_port", "dst_port")):
        a, b = out[left].to_numpy(copy=True), out[right].to_numpy(copy=True)
        a[at], b[at] = out[right].to_numpy()[at], out[left].to_numpy()[at]
        out[left] = pd.array(a, dtype=frame[left].dtype)
        out[right] = pd.array(b, dtype=frame[right].dtype)
    orientation = out["orientation"].copy()
    orientation.iloc[matched["row"].to_numpy()] = "built"
    out["orientation"] = orientation
    return out


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate parts keeping each categorical column categorical, its categories the sorted
    union of the parts' (as one read gives them)."""
    if len(frames) == 1:
        return frames[0]
    frames = [f for f in frames if len(f)] or frames[:1]
    aligned = [f.copy(deep=False) for f in frames]
    for column in frames[0].columns:
        if isinstance(frames[0][column].dtype, pd.CategoricalDtype):
            union = pd.Index([])
            for f in frames:
                union = union.append(f[column].cat.categories.difference(union, sort=False))
            dtype = pd.CategoricalDtype(union.astype(frames[0][column].cat.categories.dtype)
                                        .sort_values())
            for f in aligned:
                f[column] = f[column].astype(dtype)
    return pd.concat(aligned, ignore_index=True)


def _offsets(parts: list[dict[str, pd.Timedelta]]) -> dict[str, pd.Timedelta]:
    samples: dict[str, list[pd.Timedelta]] = {}
    for offsets in parts:
        for device, value in offsets.items():
            samples.setdefault(device, []).append(pd.Timedelta(value))
    return {device: pd.Series(values).median() for device, values in samples.items()}


def _report_dict(report: FileReport) -> dict[str, Any]:
    out = {}
    for f in dataclasses.fields(report):
        value = getattr(report, f.name)
        if f.name == "rejects":
            value = [[r.source, r.line, r.reason] for r in value]
        elif isinstance(value, Counter):
            value = dict(value)
        out[f.name] = value
    return out


def _file_report(data: dict[str, Any]) -> FileReport:
    known = {f.name for f in dataclasses.fields(FileReport)}
    values = {k: v for k, v in data.items() if k in known}
    values["rejects"] = [Reject(*r) for r in values.get("rejects", [])]
    values["ignored_by_key"] = Counter(values.get("ignored_by_key", {}))
    return FileReport(**values)
