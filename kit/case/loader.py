"""A case folder -> ``Case``: every input of an incident loaded in one call, with one load report.

::

    <case>/
      case.toml        what is known about the incident ([case] id required)
      firewall/        firewall syslog files, any names, plain or gzip/bz2
      hosts/           keepalive exports, one or more files per host, any OS format
      sockets/         optional ss / netstat captures
      inventory.csv    host,ip,role,os (one row per IP)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import CaseError, KitError
from ..hosts.schema import KEEPALIVE_DTYPES, SOCKET_DTYPES, frame
from ..loadreport import LoadReport
from ..sources import iter_sources
from ..units import canonical_names
from .inventory import empty_inventory, read_inventory
from .settings import CaseSettings, read_settings


@dataclass
class Case:
    """Everything loaded from one case folder.

    Attributes
    ----------
    path : Path
        The case folder.
    settings : CaseSettings
        The validated ``case.toml``.
    connections : DataFrame
        The connection-event frame (``kit.firewall.schema``) of every file in ``firewall/``.
    hosts : DataFrame
        One row per host from ``hosts/`` (``kit.read_keepalive``).
    sockets : DataFrame
        Sockets from ``sockets/`` (``kit.read_sockets``); empty when none were collected.
    inventory : DataFrame
        host, ip, role, os from ``inventory.csv``; empty when the file is absent.
    load_report : LoadReport
        The firewall, hosts and sockets files' counts together.
    """

    path: Path
    settings: CaseSettings
    connections: pd.DataFrame
    hosts: pd.DataFrame
    sockets: pd.DataFrame
    inventory: pd.DataFrame
    load_report: LoadReport

    def __repr__(self) -> str:
        timeout = self.settings.idle_timeout
        return (f"Case({self.settings.id!r}, path={str(self.path)!r}, "
                f"{len(self.connections):,} connection events, {len(self.hosts)} hosts, "
                f"{len(self.sockets)} sockets, {len(self.inventory)} inventory rows, "
                f"idle_timeout={'infer' if timeout is None else str(timeout)})")


def load_case(path: str | Path) -> Case:
    """Load a case folder: settings, firewall connections, keepalive exports, sockets, inventory.

    Parameters
    ----------
    path : str or Path
        The case folder (see the module docstring for its layout). ``case.toml`` keys::

            [case]      id (required), title, opened (date), notes
            [firewall]  idle_timeout ("1:00:00" or seconds; absent = infer from the data),
                        tz (device stamps' zone), relay_tz (relay header's zone), year,
                        capacity (max concurrent connections), model
            [services]  ports = { 1556 = "pbx", ... }  (adds to the built-in list)

    Returns
    -------
    Case
        Malformed firewall lines are skipped and counted in ``case.load_report``.

    Raises
    ------
    CaseError
        The folder or ``case.toml`` is missing, ``case.toml`` is malformed (the TOML error gives
        the line), a value is invalid, ``inventory.csv`` has a bad IP, ``firewall/`` holds no
        log, or a file cannot be read; the message names the file and the fix. Unknown keys in
        ``case.toml`` only warn.
    """
    root = Path(path)
    if not root.is_dir():
        what = "is a file, not a folder" if root.exists() else "does not exist"
        raise CaseError(f"{root}: the case folder {what}; pass the folder that holds case.toml "
                        f"and firewall/ (run `kit new-case {root}` to create one)")
    settings = read_settings(root / "case.toml")
    firewall_dir = root / "firewall"
    if not _has_files(firewall_dir):
        raise CaseError(f"{firewall_dir}: no firewall log files; copy the firewall's syslog "
                        "files (plain or gzip) into this folder")
    hosts_dir, sockets_dir = root / "hosts", root / "sockets"
    if not _has_files(hosts_dir):
        warnings.warn(f"{hosts_dir}: no keepalive exports; the hosts' keepalive risk cannot be "
                      "judged until you add them (see the case README)", stacklevel=2)
    inventory_file = root / "inventory.csv"
    inventory = read_inventory(inventory_file) if inventory_file.is_file() else empty_inventory()
    return assemble_case(
        root, settings, firewall=firewall_dir,
        hosts=hosts_dir if _has_files(hosts_dir) else None,
        sockets=sockets_dir if _has_files(sockets_dir) else None,
        inventory=inventory,
    )


def assemble_case(path: Path, settings: CaseSettings, *, firewall: Any, hosts: Any = None,
                  sockets: Any = None, inventory: pd.DataFrame | None = None) -> Case:
    """Read each input with its reader and bind them into a Case with one load report.

    ``firewall``, ``hosts`` and ``sockets`` are anything ``kit.sources`` reads (a folder, files,
    FileUpload values); ``None`` or empty gives an empty frame. Malformed lines are skipped and
    counted; a reader's KitError becomes a CaseError naming the input.
    """
    import kit  # the readers are re-exported lazily by the package

    connections = _read(firewall, lambda: kit.read_firewall_log(
        firewall, tz=settings.tz, relay_tz=settings.relay_tz, year=settings.year,
        on_bad_lines="skip"))
    report: LoadReport = connections.attrs["load_report"]
    inventory = empty_inventory() if inventory is None else inventory
    os_hints = dict(zip(inventory["host"].astype(str), inventory["os"].fillna(""), strict=True))
    frames = {}
    for name, source, reader, dtypes in (
            ("hosts", hosts, partial(kit.read_keepalive, os_hints=os_hints), KEEPALIVE_DTYPES),
            ("sockets", sockets, kit.read_sockets, SOCKET_DTYPES)):
        if source:
            frames[name] = _read(source, lambda r=reader, s=source: r(s, on_bad_lines="skip"))
            report = report + frames[name].attrs["load_report"]
        else:
            frames[name] = frame([], dtypes)
    for name in ("hosts", "sockets"):  # one spelling per host: the inventory's
        frames[name]["host"] = canonical_names(frames[name]["host"], inventory["host"])
    return Case(path, settings, connections, frames["hosts"], frames["sockets"], inventory,
                report)


def _has_files(folder: Path) -> bool:
    """Whether the readers would find any input there (same rules: hidden files skipped)."""
    return folder.is_dir() and next(iter_sources(folder), None) is not None


def _read(source: Any, reader: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """Run a reader; its KitError becomes a CaseError that says which input it came from."""
    try:
        return reader()
    except CaseError:
        raise
    except KitError as exc:
        raise CaseError(f"{_name(source)}: {exc}") from exc


def _name(source: Any) -> str:
    return str(source) if isinstance(source, (str, Path)) else "uploaded files"
