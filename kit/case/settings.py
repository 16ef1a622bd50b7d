"""``case.toml``: what is known about the incident, read into a validated, typed ``CaseSettings``.

Keys (all optional except ``[case] id``)::

    [case]       id, title, opened (date), notes
    [firewall]   idle_timeout ("1:00:00", "1h" or seconds; absent = infer from the data),
                 tz, relay_tz (kit.units zones), year, capacity (max concurrent connections),
                 model (free text)
    [services]   ports = { 1556 = "pbx", 13724 = "vnetd" }   (adds to the built-in list)
    [compute]    engine ("pandas", the default: in this process; "dask": the heavy part on a
                 Dask cluster, see ``kit.case.reduced``), scheduler ("tcp://HOST:8786"; absent:
                 ``KIT_DASK_SCHEDULER``, else a local cluster)

Unknown tables or keys give a warning (a typo must not silently change the analysis); values of
the wrong type or out of range give a ``CaseError`` naming the file, the key and the fix.
"""

from __future__ import annotations

import datetime as dt
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import CaseError
from ..units import UnitError, optional_duration, parse_zone

#: table -> the keys the kit understands in it
KNOWN_KEYS: dict[str, tuple[str, ...]] = {
    "case": ("id", "title", "opened", "notes", "display_tz"),
    "firewall": ("idle_timeout", "tz", "relay_tz", "year", "capacity", "model"),
    "services": ("ports",),
    "compute": ("engine", "scheduler"),
}
#: the engines ``[compute] engine`` accepts
ENGINES = ("pandas", "dask")


@dataclass(frozen=True)
class CaseSettings:
    """The validated content of ``case.toml``.

    ``idle_timeout`` is None when the case does not state it (the analysis then infers it from
    the teardown durations). ``tz`` is the zone of the device stamps, ``relay_tz`` that of the
    syslog relay's header. ``services`` holds only the case's own ``[services]`` ports.
    ``display_tz`` is the zone tables and charts show times in (default: ``tz``); times are
    stored in UTC whatever it is.
    """

    id: str
    title: str | None = None
    opened: dt.date | None = None
    notes: str | None = None
    idle_timeout: pd.Timedelta | None = None
    tz: str = "UTC"
    relay_tz: str = "UTC"
    year: int | None = None
    capacity: int | None = None
    model: str | None = None
    services: dict[int, str] = field(default_factory=dict)
    display_tz: str = "UTC"
    #: where the heavy part of the analysis runs (``ENGINES``) and, for Dask, the scheduler
    #: address (None: ``KIT_DASK_SCHEDULER``, else a local cluster)
    engine: str = "pandas"
    scheduler: str | None = None


def read_settings(path: Path) -> CaseSettings:
    """Read and validate ``case.toml`` (raises CaseError naming the file, the key and the fix)."""
    if not path.is_file():
        raise CaseError(
            f"{path}: no case.toml; every case folder needs one with at least [case] id = "
            f"\"...\" (run `kit new-case {path.parent}` to scaffold a case, or create the file)"
        )
    try:
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise CaseError(f"{path}: not UTF-8 text ({exc}); save it as UTF-8") from exc
    except tomllib.TOMLDecodeError as exc:
        raise CaseError(
            f"{path}: not valid TOML: {exc}. Fix that line: strings need double quotes, "
            "tables are written [name], one key = value per line"
        ) from exc
    return settings_from_dict(data, source=str(path))


def settings_from_dict(data: dict[str, Any], *, source: str = "case.toml") -> CaseSettings:
    """Validate parsed TOML (a dict of tables) into CaseSettings; ``source`` names the file."""
    _warn_unknown(data, source)
    case = _table(data, "case", source)
    firewall = _table(data, "firewall", source)
    services = _table(data, "services", source)
    compute = _table(data, "compute", source)
    if "id" not in case:
        raise CaseError(f'{source}: [case] id is missing; add e.g. id = "INC-1234" under [case]')
    engine = _engine(compute.get("engine", "pandas"), source)
    scheduler = _scheduler(compute.get("scheduler"), source)
    if scheduler is not None and engine == "pandas":
        warnings.warn(f'{source}: [compute] scheduler is used only with engine = "dask"; the '
                      "case runs in this process with pandas", stacklevel=3)
    return CaseSettings(
        id=_string(case, "case", "id", source, required=True),
        title=_string(case, "case", "title", source),
        opened=_date(case.get("opened"), source),
        notes=_string(case, "case", "notes", source),
        idle_timeout=parse_timeout(firewall.get("idle_timeout"), source=source),
        tz=check_zone(firewall.get("tz", "UTC"), "tz", source),
        relay_tz=check_zone(firewall.get("relay_tz", "UTC"), "relay_tz", source),
        year=_int(firewall, "year", source, low=1970, high=2200),
        capacity=_int(firewall, "capacity", source, low=1, high=None),
        model=_string(firewall, "firewall", "model", source),
        services=_ports(services.get("ports", {}), source),
        display_tz=check_zone(case.get("display_tz", firewall.get("tz", "UTC")), "display_tz",
                              source, table="case"),
        engine=engine, scheduler=scheduler,
    )


def _engine(value: Any, source: str) -> str:
    if value not in ENGINES:
        raise CaseError(f"{source}: [compute] engine = {value!r} is not an engine the kit has; "
                        f"write one of {', '.join(repr(e) for e in ENGINES)} (\"pandas\", the "
                        "default, runs in this process; \"dask\" on a Dask cluster)")
    return str(value)


def _scheduler(value: Any, source: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or "://" not in value or not value.split("://", 1)[1]:
        raise CaseError(f"{source}: [compute] scheduler = {value!r} is not a scheduler address; "
                        'write it as scheduler = "tcp://HOST:8786", or leave it out to use '
                        "KIT_DASK_SCHEDULER or a local cluster")
    return value


def parse_timeout(value: Any, *, source: str = "case.toml",
                  key: str = "[firewall] idle_timeout") -> pd.Timedelta | None:
    """``idle_timeout`` in the kit's duration grammar (``kit.units``: a bare number is seconds,
    ``"1:00:00"``, ``"1h"``), or None (infer) -> a Timedelta; CaseError names file and key."""
    try:
        return optional_duration(value, name=key)
    except UnitError as exc:
        raise CaseError(
            f"{source}: {exc}. Write it as the firewall shows it, \"1:00:00\" (h:mm:ss), or as "
            "seconds, 3600; leave it out to let the kit infer it from the teardowns") from None


def check_zone(value: Any, key: str, source: str, *, table: str = "firewall") -> str:
    """A zone in the kit's grammar (``kit.units.parse_zone``) -> its canonical name."""
    try:
        return parse_zone(value, name=f"[{table}] {key}").name
    except UnitError as exc:
        raise CaseError(f"{source}: {exc}") from None


def _warn_unknown(data: dict[str, Any], source: str) -> None:
    for table, value in data.items():
        if table not in KNOWN_KEYS:
            warnings.warn(
                f"{source}: unknown table [{table}] ignored; the kit reads "
                f"{', '.join(f'[{t}]' for t in KNOWN_KEYS)}", stacklevel=4)
        elif isinstance(value, dict):
            for key in value:
                if key not in KNOWN_KEYS[table]:
                    warnings.warn(
                        f"{source}: unknown key {key!r} in [{table}] ignored; known keys there: "
                        f"{', '.join(KNOWN_KEYS[table])}", stacklevel=4)


def _table(data: dict[str, Any], name: str, source: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise CaseError(f"{source}: {name} must be a table written [{name}] on its own line, "
                        f"followed by its keys")
    return value


def _string(table: dict[str, Any], name: str, key: str, source: str,
            required: bool = False) -> str | None:
    value = table.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        raise CaseError(f'{source}: [{name}] {key} must be a quoted string, e.g. {key} = "..."')
    return value


def _date(value: Any, source: str) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise CaseError(f"{source}: [case] opened = {value!r} is not a date; write it as "
                    "opened = 2024-06-03 (no quotes needed)")


def _int(table: dict[str, Any], key: str, source: str, *, low: int, high: int | None) -> int | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (
            high is not None and value > high):
        bounds = f"between {low} and {high}" if high is not None else f"of at least {low}"
        raise CaseError(f"{source}: [firewall] {key} = {value!r} must be a whole number {bounds}")
    return value


def _ports(value: Any, source: str) -> dict[int, str]:
    if not isinstance(value, dict):
        raise CaseError(f'{source}: [services] ports must be an inline table such as '
                        'ports = { 1556 = "pbx", 13724 = "vnetd" }')
    ports: dict[int, str] = {}
    for key, name in value.items():
        if not (str(key).isdigit() and 1 <= int(key) <= 65535) or not isinstance(name, str):
            raise CaseError(f'{source}: [services] ports entry {key} = {name!r}: each entry is a '
                            'port number 1-65535 = "service name", e.g. 1556 = "pbx"')
        ports[int(key)] = name
    return ports
