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
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import CaseError, KitError
from ..loadreport import LoadReport
from ..sources import iter_sources
from .inventory import empty_inventory, read_inventory
from .settings import CaseSettings, read_settings

#: the keepalive frame's columns (``kit.read_keepalive``), used for a case without exports
HOSTS_DTYPES: dict[str, object] = {
    "host": pd.StringDtype("pyarrow"), "os": "category",
    "keepalive_time": "timedelta64[ns]", "keepalive_interval": "timedelta64[ns]",
    "keepalive_probes": pd.Int64Dtype(), "time_to_detect": "timedelta64[ns]",
    "defaulted": pd.StringDtype("pyarrow"), "warnings": pd.StringDtype("pyarrow"),
    "source": pd.StringDtype("pyarrow"), "line": pd.UInt64Dtype(),
}
#: the sockets frame's columns (``kit.read_sockets``), used for a case without captures
SOCKETS_DTYPES: dict[str, object] = {
    "host": pd.StringDtype("pyarrow"), "state": pd.StringDtype("pyarrow"),
    "local_ip": pd.StringDtype("pyarrow"), "local_port": pd.UInt16Dtype(),
    "peer_ip": pd.StringDtype("pyarrow"), "peer_port": pd.UInt16Dtype(),
    "timer": pd.StringDtype("pyarrow"), "timer_remaining": "timedelta64[ns]",
    "probes": pd.Int64Dtype(), "source": pd.StringDtype("pyarrow"), "line": pd.UInt64Dtype(),
}


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
    import kit  # the readers are re-exported lazily by the package

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
    connections = _read(firewall_dir, lambda: kit.read_firewall_log(
        firewall_dir, tz=settings.tz, relay_tz=settings.relay_tz, year=settings.year,
        on_bad_lines="skip"))
    report: LoadReport = connections.attrs["load_report"]

    hosts_dir = root / "hosts"
    if _has_files(hosts_dir):
        hosts = _read(hosts_dir, lambda: kit.read_keepalive(hosts_dir))
        report = report + hosts.attrs["load_report"]
    else:
        warnings.warn(f"{hosts_dir}: no keepalive exports; the hosts' keepalive risk cannot be "
                      "judged until you add them (see the case README)", stacklevel=2)
        hosts = _empty(HOSTS_DTYPES)

    sockets_dir = root / "sockets"
    if _has_files(sockets_dir):
        sockets = _read(sockets_dir, lambda: kit.read_sockets(sockets_dir))
        report = report + sockets.attrs["load_report"]
    else:
        sockets = _empty(SOCKETS_DTYPES)

    inventory_file = root / "inventory.csv"
    inventory = read_inventory(inventory_file) if inventory_file.is_file() else empty_inventory()
    return Case(root, settings, connections, hosts, sockets, inventory, report)


def _has_files(folder: Path) -> bool:
    """Whether the readers would find any input there (same rules: hidden files skipped)."""
    return folder.is_dir() and next(iter_sources(folder), None) is not None


def _read(folder: Path, reader) -> pd.DataFrame:
    """Run a reader; its KitError becomes a CaseError that says which case folder it came from."""
    try:
        return reader()
    except CaseError:
        raise
    except KitError as exc:
        raise CaseError(f"{folder}: {exc}") from exc


def _empty(dtypes: dict[str, object]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in dtypes.items()})
