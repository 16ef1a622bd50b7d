"""``read_firewall_log``: sources -> vendor per file -> blocks -> worker threads -> one frame.

Each file's vendor is detected from its first lines (``vendors.sniff``) or forced by
``vendor=``. The main thread reads (and decompresses) ~8 MB newline-aligned blocks while two
worker threads parse the previous ones (the compiled passes and pyarrow release the GIL);
results are taken back in order, counted into the one load report, and a file's times are
settled once the whole file is read (year inference needs the file's last stamp). Cisco files
go through the Cisco block pipeline into one frame (Teardowns are matched to Builts across
files); every other vendor's file becomes a frame of its own; a mixed load is put back into
file order at the end.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import ParseError, SourceError
from ..loadreport import KEEP_REJECTS, ON_BAD_LINES, FileReport, LoadReport, OnBadLines
from ..sources import Source, iter_sources, nothing_in
from .acl import drop_unmatched_acl_denies
from .capacity import check_fits
from .clock import ClockOffsets, settle_times
from .frame import Collected, build_frame
from .memory import release_memory
from .messages import BlockResult, BlockSettings, parse_block
from .schema import conform
from .vendors import CISCO, VENDORS, Vendor, expected_lines, other_vendors_note, sniff, vendor
from .vendors.common import Parsed, VendorSettings
from .vendors.frame import file_frame
from .zones import parse_zone

AUTO = "auto"
WORKERS = 2
#: blocks submitted and not yet taken back: one more than the workers, so that neither waits
#: while the main thread counts a result into the report
IN_FLIGHT = WORKERS + 1
#: bytes per block: large enough to amortise each kernel call, small enough that the blocks in
#: flight (and their scratch) stay a small part of the peak memory
BLOCK_BYTES = 8 * 1024 * 1024
#: seconds a load must take before the automatic progress bar appears
PROGRESS_DELAY = 2.0
NO_FIREWALL_LINES = (
    "no Cisco ASA/PIX/FWSM/FTD syslog lines recognised in this file, nor Palo Alto, "
    f"FortiGate, Juniper SRX or conntrack ones ({expected_lines()}; pass vendor= to force one)")


def read_firewall_log(source: Any, *, vendor: str = AUTO, tz: Any = "UTC",
                      relay_tz: Any = "UTC", year: int | None = None,
                      on_bad_lines: OnBadLines = "warn", progress: bool | None = None,
                      engine: str = "pandas", **dask_options: Any) -> pd.DataFrame:
    """Read firewall logs of any supported vendor into the one connection-event frame.

    Parameters
    ----------
    source : path, directory, glob, bytes, file-like, FileUpload value, or a list of these
        Directories are read recursively in sorted order. gzip, bz2, xz and zip are recognised
        from the content, so a rotated ``messages.1`` that is gzip reads like any other file.
        Files of different vendors may be mixed: they read into one frame and one report.
    vendor : {"auto", "cisco", "paloalto", "fortinet", "juniper", "netfilter"}
        ``"auto"`` detects each file's vendor from its first lines; a name forces it for every
        file. Cisco covers ASA, PIX, FWSM and FTD; ``paloalto`` PAN-OS TRAFFIC CSV (syslog or
        the Strata forwarder); ``fortinet`` FortiGate traffic key=value; ``juniper`` SRX
        ``RT_FLOW_SESSION_CREATE``/``CLOSE``; ``netfilter`` ``conntrack -E -o
        timestamp,extended,id``.
    tz : str or tzinfo
        Zone of the device's own stamps when they name none: ``"UTC"``, ``"+02:00"``,
        ``"-0500"`` or an IANA name such as ``"Europe/Berlin"`` (daylight saving per stamp).
        PAN-OS Generated/Start, FortiGate ``date``/``time`` without ``tz`` and SRX BSD stamps
        are device stamps.
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
        dtypes (except 106023: every one stays ignored there), parsed on a Dask cluster
        (``blocksize=``, ``scheduler=``: see :func:`kit.scale.engine.read_dask`); its load
        report is ``frame.load_report``.
        A ``kit parse`` dataset folder is read by either engine.

    Returns
    -------
    pandas.DataFrame
        One row per TCP/UDP connection event (Cisco 106015 as ``deny-no-connection``, and a
        TCP 106023 access-list deny too where it follows a TCP teardown of the same two
        endpoints on the same device; the other 106023 stay ignored) in file order, with
        the columns of ``kit.firewall.schema.CONNECTION_DTYPES``; ``df.attrs["load_report"]`` is the
        :class:`kit.LoadReport` (per-file counts, ignored messages by id, first rejects,
        clock offsets between two stamps of the same lines).

    Notes
    -----
    Time is always UTC. Cisco: which clock a stamp belongs to, in this order: (1) a stamp that
    names its zone (``Z``, ``+02:00``, ``UTC``, ``CEST``) uses it; (2) when a line has two
    stamps, the first (with its host) is the relay's (``relay_tz``) and the second the
    device's (``tz``); (3) a single stamp with a year, or one followed by ``:`` and the
    ``%ASA-`` tag, is the device's (``tz``); (4) a single ``timestamp host`` before the message
    is the relay's (``relay_tz``). Year-less stamps roll over to the next year when a file's
    months go from December back to January. A line without any stamp gets no time (NaT).
    Other vendors take their event time from the log's own fields (evidence-sources.md §3-§7):
    PAN-OS Generated (or field 102 with its offset), FortiGate ``eventtime`` (else ``date`` +
    ``time`` + ``tz``), SRX the header stamp, conntrack the ``[sec.usec]`` prefix.

    Cisco ``src`` is the initiator: from a Built's direction (``orientation="logged"``), from
    the matching Built for a Teardown (``"built"``), else the endpoint on the higher port
    (``"port"``: the lower port is taken as the service). The other vendors log the initiator
    (``"logged"``).

    Raises
    ------
    kit.ParseError
        If no source yields any connection event, or (``on_bad_lines="error"``) on a bad line.
    """
    forced = None if vendor == AUTO else _vendor(vendor)
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
    check_fits(sources)
    report = loader.report
    with _progress_bar(progress, sources) as bar, ThreadPoolExecutor(WORKERS) as pool:
        for item in sources:
            found = sniff(item)
            chosen = forced or VENDORS[found.vendor]
            if chosen.module is None:
                loader.read(item, pool, bar)
            else:
                loader.read_vendor(item, chosen, pool, bar)
            if note := other_vendors_note(found, chosen.name):
                report.files[-1].problems.insert(0, note)
        report.clock_offsets = loader.offsets.medians()
        if on_bad_lines == "error":
            report.enforce("error")
        if not len(loader.collected) and not any(len(f) for f in loader.frames):
            raise no_events_error(report)
        frame = _combined(loader, pool, [f.source for f in report.files])
        if frame is None:  # only 106023 candidates, none after a teardown
            raise no_events_error(report)
    release_memory()
    report.enforce(on_bad_lines)
    frame.attrs["load_report"] = report
    return frame


def no_events_error(report: LoadReport) -> ParseError:
    """The error for a load that found no connection event at all (both engines raise it)."""
    return ParseError(
        "no firewall connection events (Cisco 106015/302013-302016/302303/302304, PAN-OS "
        "TRAFFIC, FortiGate traffic, SRX RT_FLOW_SESSION, conntrack NEW/DESTROY) found "
        f"in {len(report.files)} source(s): "
        f"{report.read:,} lines read, {report.ignored:,} ignored, {report.rejected:,} "
        f"rejected" + (f"; {report.problems[0]}" if report.problems else ""))


def _vendor(name: str) -> Vendor:
    try:
        return vendor(name)
    except ValueError:
        raise ValueError(f"vendor={name!r} is not supported: expected {AUTO!r} or one of "
                         f"{list(VENDORS)}") from None


def _combined(loader: _Loader, pool: ThreadPoolExecutor, order: list[str],
              ) -> pd.DataFrame | None:
    """The Cisco frame and the other vendors' frames as one, in file order (a Cisco-only or
    single-vendor load is returned as built, without a copy); None when no row is left."""
    frames = [f for f in loader.frames if len(f)]
    if len(loader.collected):
        drop_unmatched_acl_denies(loader.collected, loader.cisco_files, pool)
    if len(loader.collected):
        frames.insert(0, build_frame(loader.collected, loader.device_names, pool))
    if not frames:
        return None
    if len(frames) == 1:
        return frames[0]
    whole = pd.concat(frames, ignore_index=True)
    rank = {name: k for k, name in enumerate(dict.fromkeys(order))}
    file_rank = whole["source"].map(rank).to_numpy(dtype=np.int64, na_value=len(rank))
    at = np.lexsort((whole["line"].to_numpy(dtype=np.int64, na_value=0), file_rank))
    return conform(whole.take(at).reset_index(drop=True))


class _Loader:
    """State of one call: the report, the rows collected so far, devices and clock offsets."""

    def __init__(self, device_zone, relay_zone, year: int | None) -> None:
        self.device_zone, self.relay_zone, self.year = device_zone, relay_zone, year
        self.report = LoadReport()
        self.collected = Collected()
        self.frames: list[pd.DataFrame] = []
        #: each Cisco file's report and its rows in ``collected``, in order
        self.cisco_files: list[tuple[FileReport, int]] = []
        self.offsets = ClockOffsets()
        self.devices: dict[str | None, int] = {}

    @property
    def device_names(self) -> list[str | None]:
        return list(self.devices)

    def expand(self, source: Any) -> list[Source]:
        """Every source, in order; a path that cannot be found becomes a file problem."""
        items = source if isinstance(source, (list, tuple)) else [source]
        found: list[Source] = []
        for item in items:
            try:
                expanded = list(iter_sources(item))  # all or nothing: a loop adds none
                if not expanded:
                    raise nothing_in(item)
                found.extend(expanded)
            except SourceError as exc:
                name = exc.source or str(item)
                self.report.files.append(FileReport(name, problems=[_message(exc)]))
        return found

    def _year_guess(self, source: Source) -> int:
        return self.year or (source.mtime or datetime.now(UTC)).year

    def read(self, source: Source, pool: ThreadPoolExecutor, bar: Any) -> None:
        """Parse one Cisco source block by block (``IN_FLIGHT`` at once) and settle its times."""
        file = FileReport(source.name)
        self.report.files.append(file)
        settings = BlockSettings(self.device_zone, self.relay_zone, self._year_guess(source),
                                 acl_denies=True)
        stamps: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        firewall_lines = 0

        def take(result: BlockResult) -> None:
            nonlocal firewall_lines
            firewall_lines += result.firewall_lines
            self._account(file, result)
            stamps.append((result.time_ns, result.zone, result.yearless))

        _blocks(source, file, pool, bar, lambda block: pool.submit(parse_block, block,
                                                                   settings), take)
        times, zone, yearless = (np.concatenate([s[k] for s in stamps]) if stamps
                                 else np.zeros(0, t) for k, t in enumerate(
                                     (np.int64, np.int16, bool)))
        self.collected.add_times(
            settle_times(times, zone, yearless, year=self.year, modified=source.mtime,
                         device_zone=self.device_zone, relay_zone=self.relay_zone),
            source.name)
        self.cisco_files.append((file, len(times)))
        _file_problems(file, firewall_lines)

    def read_vendor(self, source: Source, chosen: Vendor, pool: ThreadPoolExecutor,
                    bar: Any) -> None:
        """Parse one source of a non-Cisco vendor into a frame of its own."""
        file = FileReport(source.name)
        self.report.files.append(file)
        settings = VendorSettings(self.device_zone, self.relay_zone, self._year_guess(source))
        tables, lines, extras, extra_lines = [], [], [], []
        recognised = 0

        def take(result: Parsed) -> None:
            nonlocal recognised
            first_line = file.read + 1
            recognised += result.recognised
            _count(file, result.lines, result.decode_errors, result.events.num_rows,
                   result.ignored, result.reject_rows, result.reject_reasons)
            tables.append(result.events)
            lines.append(first_line + result.events.column("row").to_numpy())
            if result.extras is not None:
                extras.append(result.extras)
                extra_lines.append(first_line + result.extras.column("row").to_numpy())
            for device_name, seconds, count in result.offsets:
                self.offsets.add(device_name, seconds, count)

        parse = chosen.module.parse_block  # type: ignore[union-attr]
        _blocks(source, file, pool, bar, lambda block: pool.submit(parse, block, settings),
                take)
        line = np.concatenate(lines) if lines else np.zeros(0, np.int64)
        settle = getattr(chosen.module, "settle_file", None)
        if settle is not None and tables:
            tables = [settle(pa.concat_tables(tables),
                             pa.concat_tables(extras) if extras else None, line,
                             np.concatenate(extra_lines) if extra_lines else line[:0],
                             source.name)]
        self.frames.append(file_frame(
            tables, line, source.name, year=self.year, modified=source.mtime,
            device_zone=self.device_zone, relay_zone=self.relay_zone))
        _file_problems(file, recognised, chosen.description)

    def _account(self, file: FileReport, result: BlockResult) -> None:
        first_line = file.read + 1
        _count(file, result.lines, result.decode_errors, len(result.connections.row),
               result.ignored, result.reject_rows, result.reject_reasons)
        codes = np.array([self.devices.setdefault(d, len(self.devices)) for d in result.devices],
                         dtype=np.int32)
        device = codes[result.device_index] if len(codes) else np.zeros(0, np.int32)
        self.collected.add(result.connections, device,
                           first_line + result.connections.row.astype(np.int64))
        for device_name, seconds, lines in result.offsets:
            self.offsets.add(device_name, seconds, lines)


def _blocks(source: Source, file: FileReport, pool: ThreadPoolExecutor, bar: Any,
            submit: Any, take: Any) -> None:
    """Submit ``source``'s blocks to the pool, at most ``IN_FLIGHT`` at once, and ``take`` each
    result in order; an unreadable (corrupt) stream becomes a file problem."""
    pending: deque[Future[Any]] = deque()
    try:
        for block in source.blocks(BLOCK_BYTES):
            pending.append(submit(block))
            bar.update(len(block))
            while len(pending) >= IN_FLIGHT:
                take(pending.popleft().result())
    except SourceError as exc:
        file.problems.append(_message(exc))
    finally:
        while pending:
            take(pending.popleft().result())


def _count(file: FileReport, lines: int, decode_errors: int, parsed: int, ignored: Any,
           reject_rows: np.ndarray, reject_reasons: list[str]) -> None:
    """One block's counts into its file's report (line numbers made file-wide)."""
    first_line = file.read + 1
    file.read += lines
    file.decode_errors += decode_errors
    file.parsed += parsed
    for key, count in ignored.items():
        file.ignore(key, count)
    for i in range(len(reject_rows)):
        if len(file.rejects) >= KEEP_REJECTS:
            file.reject(first_line + int(reject_rows[i]), reject_reasons[i],
                        count=len(reject_rows) - i)
            break
        file.reject(first_line + int(reject_rows[i]), reject_reasons[i])


def _file_problems(file: FileReport, recognised: int, what: str = CISCO) -> None:
    if file.read == 0 and not file.problems:
        file.problems.append("empty file (no lines)")
    elif file.read and not recognised:
        file.problems.append((NO_FIREWALL_LINES if what == CISCO else
                              f"no {what} lines recognised in this file (vendor forced or "
                              "detected from its first lines)") + _binary_hint(file))


def _binary_hint(file: FileReport) -> str:
    """A hint when every line kept as a reject was binary: UTF-16 text without a BOM reads so."""
    if file.rejects and all(r.reason.startswith("binary data") for r in file.rejects):
        return ("; its lines hold NUL or control bytes: UTF-16 without BOM? Save the log as "
                "UTF-8, or as UTF-16 with a byte-order mark")
    return ""


def _message(exc: SourceError) -> str:
    """The error's text without its ``source:`` prefix (the report adds the file name)."""
    text = str(exc)
    prefix = f"{exc.source}: " if exc.source else ""
    return text[len(prefix):] if prefix and text.startswith(prefix) else text


def _progress_bar(progress: bool | None, sources: list[Source]) -> Any:
    if progress is False:
        return nullcontext(_NoBar())
    from tqdm.auto import tqdm  # imported only when a bar may show (it pulls in ipywidgets)

    sizes = [s.plain_size() for s in sources]
    total = sum(sizes) if sizes and None not in sizes else None  # type: ignore[arg-type]
    return tqdm(total=total, unit="B", unit_scale=True, desc="reading firewall log",
                delay=0 if progress else PROGRESS_DELAY, leave=False)


class _NoBar:
    def update(self, n: int) -> None:
        """No progress display."""
