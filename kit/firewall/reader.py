"""``read_firewall_log``: sources -> blocks -> worker threads -> the connection-event frame.

The main thread reads (and decompresses) ~16 MB newline-aligned blocks while two worker threads
parse the previous ones (pyarrow releases the GIL); results are taken back in order, counted into
the load report, and a file's times are settled once the whole file is read (year inference
needs the file's last stamp).
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParseError, SourceError
from ..loadreport import KEEP_REJECTS, ON_BAD_LINES, FileReport, LoadReport, OnBadLines
from ..sources import Source, compression, iter_sources
from .clock import ClockOffsets, settle_times
from .frame import Collected, build_frame
from .memory import release_memory
from .messages import BlockResult, BlockSettings, parse_block
from .zones import parse_zone

VENDORS = ("auto", "cisco")
WORKERS = 2
#: bytes per block: large enough to amortise each kernel call, small enough that the blocks in
#: flight (and their scratch) stay a small part of the peak memory
BLOCK_BYTES = 16 * 1024 * 1024
#: blocks between returning freed memory to the OS: often enough to bound the peak, rarely
#: enough not to stall the workers (trimming locks the allocator's arenas)
RELEASE_EVERY = 8
#: seconds a load must take before the automatic progress bar appears
PROGRESS_DELAY = 2.0
NO_FIREWALL_LINES = (
    "no Cisco ASA/PIX/FWSM/FTD syslog lines recognised in this file (expected lines like "
    "'Jun  2 16:54:07 fw01 : %ASA-6-302014: Teardown TCP connection 7 for outside:"
    "192.0.2.1/51234 to inside:10.0.0.5/1556 duration 1:01:27 bytes 1546 Conn-timeout')")


def read_firewall_log(source: Any, *, vendor: str = "auto", tz: Any = "UTC",
                      relay_tz: Any = "UTC", year: int | None = None,
                      on_bad_lines: OnBadLines = "warn", progress: bool | None = None,
                      engine: str = "pandas", **dask_options: Any) -> pd.DataFrame:
    """Read Cisco ASA / PIX / FWSM / FTD syslog into the connection-event frame.

    Parameters
    ----------
    source : path, directory, glob, bytes, file-like, FileUpload value, or a list of these
        Directories are read recursively in sorted order. gzip, bz2, xz and zip are recognised
        from the content, so a rotated ``messages.1`` that is gzip reads like any other file.
    vendor : {"auto", "cisco"}
        Which firewall family to read; only Cisco (ASA, PIX, FWSM, FTD) is supported so far.
    tz : str or tzinfo
        Zone of the device's own stamps when they name none: ``"UTC"``, ``"+02:00"``,
        ``"-0500"`` or an IANA name such as ``"Europe/Berlin"`` (daylight saving per stamp).
    relay_tz : str or tzinfo
        Zone of a syslog relay's header stamp (same forms as ``tz``).
    year : int, optional
        Year of the first year-less stamp in each file. By default the file's modification year
        (today's for buffers), taken so that no stamp falls after the modification time.
    on_bad_lines : {"warn", "error", "skip"}
        ``"error"`` raises :class:`kit.ParseError` at the first rejected line or file problem,
        naming the file, the line and what was expected; ``"warn"`` emits one summary warning;
        ``"skip"`` is silent. All three count every line in the load report.
    progress : bool, optional
        None shows a progress bar only for loads that take more than a couple of seconds;
        True always; False never (nothing is written to stderr).
    engine : {"pandas", "dask"}
        ``"dask"`` returns a ``dask.dataframe.DataFrame`` with the same rows, columns and
        dtypes, parsed on a Dask cluster (``blocksize=``, ``scheduler=``: see
        :func:`kit.scale.engine.read_dask`); its load report is ``frame.load_report``.
        A ``kit parse`` dataset folder is read by either engine.

    Returns
    -------
    pandas.DataFrame
        One row per TCP/UDP connection event (302013-302016, 302303/302304) in file order, with
        the columns of ``kit.firewall.schema.CONNECTION_DTYPES``; ``df.attrs["load_report"]`` is
        the :class:`kit.LoadReport` (per-file counts, ignored messages by id, first rejects,
        relay-minus-device clock offsets).

    Notes
    -----
    Time is always UTC. Which clock a stamp belongs to, in this order: (1) a stamp that names its
    zone (``Z``, ``+02:00``, ``UTC``, ``CEST``) uses it; (2) when a line has two stamps, the first
    (with its host) is the relay's (``relay_tz``) and the second the device's (``tz``); (3) a
    single stamp with a year, or one followed by ``:`` and the ``%ASA-`` tag, is the device's
    (``tz``); (4) a single ``timestamp host`` before the message is the relay's (``relay_tz``).
    With both clocks on a line, ``time`` comes from the device stamp. Year-less stamps roll over to
    the next year when a file's months go from December back to January. A line without any
    stamp (``<166>:: %ASA-...``) gets no time (NaT).

    ``src`` is the initiator: from a Built's direction (``orientation="logged"``), from the
    matching Built for a Teardown (``"built"``), else the endpoint on the higher port
    (``"port"``: the lower port is taken as the service).

    Raises
    ------
    kit.ParseError
        If no source yields any connection event, or (``on_bad_lines="error"``) on a bad line.
    """
    if vendor not in VENDORS:
        raise ValueError(f"vendor={vendor!r} is not supported yet: expected one of {VENDORS} "
                         "(Cisco ASA, PIX, FWSM and FTD)")
    if on_bad_lines not in ON_BAD_LINES:
        raise ValueError(f"on_bad_lines must be one of {ON_BAD_LINES}, not {on_bad_lines!r}")
    if year is not None and not (isinstance(year, int) and 1970 <= year <= 2200):
        raise ValueError(f"year must be a four-digit year such as 2024, not {year!r}")
    from ..scale.dataset import find_dataset  # a `kit parse` output folder is read as is

    dataset = find_dataset(source)
    if dataset is not None:
        return dataset.read(engine=engine, tz=tz, relay_tz=relay_tz, year=year)
    if engine == "dask":
        from ..scale.engine import read_dask

        return read_dask(source, tz=tz, relay_tz=relay_tz, year=year, on_bad_lines=on_bad_lines,
                         progress=progress, **dask_options)
    if engine != "pandas" or dask_options:
        raise ValueError(f"engine must be 'pandas' or 'dask', not {engine!r}"
                         if engine != "pandas" else
                         f"{sorted(dask_options)} only apply with engine='dask'")
    loader = _Loader(parse_zone(tz, parameter="tz"), parse_zone(relay_tz, parameter="relay_tz"),
                     year)
    sources = loader.expand(source)
    report = loader.report
    with _progress_bar(progress, sources) as bar, ThreadPoolExecutor(WORKERS) as pool:
        for item in sources:
            loader.read(item, pool, bar)
        report.clock_offsets = loader.offsets.medians()
        if on_bad_lines == "error":
            report.enforce("error")
        if not len(loader.collected):
            raise no_events_error(report)
        frame = build_frame(loader.collected, loader.device_names, pool)
    release_memory()
    report.enforce(on_bad_lines)
    frame.attrs["load_report"] = report
    return frame


def no_events_error(report: LoadReport) -> ParseError:
    """The error for a load that found no connection event at all."""
    return ParseError(
        "no firewall connection events (Cisco %ASA/%PIX/%FWSM/%FTD 302013-302016, "
        f"302303, 302304) found in {len(report.files)} source(s): "
        f"{report.read:,} lines read, {report.ignored:,} ignored, {report.rejected:,} "
        f"rejected" + (f"; {report.problems[0]}" if report.problems else ""))


class _Loader:
    """State of one call: the report, the rows collected so far, devices and clock offsets."""

    def __init__(self, device_zone, relay_zone, year: int | None) -> None:
        self.device_zone, self.relay_zone, self.year = device_zone, relay_zone, year
        self.report = LoadReport()
        self.collected = Collected()
        self.offsets = ClockOffsets()
        self.devices: dict[str | None, int] = {}
        self.blocks = 0

    @property
    def device_names(self) -> list[str | None]:
        return list(self.devices)

    def expand(self, source: Any) -> list[Source]:
        """Every source, in order; a path that cannot be found becomes a file problem."""
        items = source if isinstance(source, (list, tuple)) else [source]
        found: list[Source] = []
        for item in items:
            try:
                found.extend(iter_sources(item))
            except SourceError as exc:
                name = exc.source or str(item)
                self.report.files.append(FileReport(name, problems=[_message(exc)]))
        return found

    def read(self, source: Source, pool: ThreadPoolExecutor, bar: Any) -> None:
        """Parse one source block by block (two in flight) and settle its times."""
        file = FileReport(source.name)
        self.report.files.append(file)
        guess = self.year or (source.mtime or datetime.now(UTC)).year
        settings = BlockSettings(self.device_zone, self.relay_zone, guess)
        stamps: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        pending: deque[Future[BlockResult]] = deque()
        firewall_lines = 0

        def take(result: BlockResult) -> None:
            nonlocal firewall_lines
            firewall_lines += result.firewall_lines
            self._account(file, result)
            stamps.append((result.time_ns, result.zone, result.yearless))

        try:
            for block in source.blocks(BLOCK_BYTES):
                pending.append(pool.submit(parse_block, block, settings))
                bar.update(len(block))
                while len(pending) >= WORKERS:
                    take(pending.popleft().result())
        except SourceError as exc:
            file.problems.append(_message(exc))
        finally:
            while pending:
                take(pending.popleft().result())
        times, zone, yearless = (np.concatenate([s[k] for s in stamps]) if stamps
                                 else np.zeros(0, t) for k, t in enumerate(
                                     (np.int64, np.int16, bool)))
        self.collected.add_times(
            settle_times(times, zone, yearless, year=self.year, modified=source.mtime,
                         device_zone=self.device_zone, relay_zone=self.relay_zone),
            source.name)
        if file.read == 0 and not file.problems:
            file.problems.append("empty file (no lines)")
        elif file.read and not firewall_lines:
            file.problems.append(NO_FIREWALL_LINES)

    def _account(self, file: FileReport, result: BlockResult) -> None:
        first_line = file.read + 1
        file.read += result.lines
        file.decode_errors += result.decode_errors
        file.parsed += len(result.connections.row)
        for key, count in result.ignored.items():
            file.ignore(key, count)
        rows, reasons = result.reject_rows, result.reject_reasons
        for i in range(len(rows)):
            if len(file.rejects) >= KEEP_REJECTS:
                file.reject(first_line + int(rows[i]), reasons[i], count=len(rows) - i)
                break
            file.reject(first_line + int(rows[i]), reasons[i])
        codes = np.array([self.devices.setdefault(d, len(self.devices)) for d in result.devices],
                         dtype=np.int32)
        device = codes[result.device_index] if len(codes) else np.zeros(0, np.int32)
        self.collected.add(result.connections, device,
                           first_line + result.connections.row.astype(np.int64))
        for device_name, seconds, lines in result.offsets:
            self.offsets.add(device_name, seconds, lines)
        self.blocks += 1
        if self.blocks % RELEASE_EVERY == 0:
            release_memory()


def _message(exc: SourceError) -> str:
    """The error's text without its ``source:`` prefix (the report adds the file name)."""
    text = str(exc)
    prefix = f"{exc.source}: " if exc.source else ""
    return text[len(prefix):] if prefix and text.startswith(prefix) else text


def _progress_bar(progress: bool | None, sources: list[Source]) -> Any:
    if progress is False:
        return nullcontext(_NoBar())
    from tqdm.auto import tqdm  # imported only when a bar may show (it pulls in ipywidgets)

    sizes = [_plain_size(s) for s in sources]
    total = sum(sizes) if sizes and None not in sizes else None  # type: ignore[arg-type]
    return tqdm(total=total, unit="B", unit_scale=True, desc="reading firewall log",
                delay=0 if progress else PROGRESS_DELAY, leave=False)


def _plain_size(source: Source) -> int | None:
    """On-disk size of an uncompressed file (its decompressed size is unknown otherwise)."""
    try:
        with open(source.name, "rb") as raw:
            head = raw.read(10)
        size = os.path.getsize(source.name)
    except OSError:
        return None
    return None if compression(head) else size


class _NoBar:
    def update(self, n: int) -> None:
        """No progress display."""
