"""The remedy assumptions: one typed, validated value passed to every part of the comparison.

``Assumptions`` is built once from the notebook's parameters (or the what-if sliders) and passed
to ``compare_remedies``, ``replay_remedy``, the Findings and ``WhatIf``. A field left None is
resolved from the case (``resolve_assumptions``), with the sentence that justifies the value.
Durations follow the kit's grammar (``kit.units``: a bare number is seconds).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..errors import KitError
from ..units import UnitError, optional_duration, parse_duration

#: the keepalive the first remedy sets by default (Veritas: 15 minutes)
DEFAULT_KEEPALIVE = pd.Timedelta(minutes=15)
#: a keepalive, heartbeat or DCD probe and its ACK: minimal TCP segments, 70 B Ethernet frames
DEFAULT_FRAME_BYTES = 70

_DURATIONS = ("firewall_timeout", "keepalive", "new_firewall_timeout", "heartbeat",
              "rescued_lifetime")
_PORTS = ("scope_ports", "so_keepalive_ports")


class AssumptionError(KitError, ValueError):
    """An assumption out of range or of the wrong kind; the message names it."""


@dataclass(frozen=True)
class Assumptions:
    """What the remedy comparison assumes; None fields are resolved from the case.

    Parameters
    ----------
    firewall_timeout : duration, optional
        The timeout in force; default ``case.timeout`` (case.toml > inferred), else the
        shortest default of the case's firewall products (``kit.remedies.commands``: 1 hour on
        ASA/FTD, PAN-OS and FortiGate, 30 minutes on SRX).
    keepalive : duration
        The OS keepalive time the ``keepalive`` remedy sets on the at-risk hosts (15 min).
    new_firewall_timeout : duration, optional
        Default: the next whole minute above the largest host keepalive plus its probes.
    heartbeat : duration, optional
        Application heartbeat interval; default half the firewall timeout.
    scope_ports : iterable of int, optional
        Ports of the scoped remedies; default the service ports of the idle-timeout teardowns.
    so_keepalive_ports : iterable of int, optional
        Ports whose sockets use SO_KEEPALIVE where no socket capture says; default NetBackup's.
    rescued_lifetime : duration, optional
        How long a prevented connection lives on; default until the next connection of the same
        host pair and service, else the median duration of that service's completed sessions.
    frame_bytes : int
        Bytes of one probe or ACK frame on the wire (70).
    """

    firewall_timeout: pd.Timedelta | None = None
    keepalive: pd.Timedelta = DEFAULT_KEEPALIVE
    new_firewall_timeout: pd.Timedelta | None = None
    heartbeat: pd.Timedelta | None = None
    scope_ports: tuple[int, ...] | None = None
    so_keepalive_ports: tuple[int, ...] | None = None
    rescued_lifetime: pd.Timedelta | None = None
    frame_bytes: int = DEFAULT_FRAME_BYTES

    def __post_init__(self) -> None:
        for name in _DURATIONS:
            value = getattr(self, name)
            try:
                checked = (parse_duration(value, name=name) if name == "keepalive" else
                           optional_duration(value, name=name, allow_zero=name ==
                                             "rescued_lifetime"))
            except UnitError as exc:
                raise AssumptionError(str(exc)) from None
            object.__setattr__(self, name, checked)
        for name in _PORTS:
            value = getattr(self, name)
            object.__setattr__(self, name, None if value is None else ports(value, name))
        size = self.frame_bytes
        if isinstance(size, bool) or not isinstance(size, int) or not 40 <= size <= 65535:
            raise AssumptionError(f"frame_bytes = {size!r}: a frame is a whole number of bytes "
                                  "between 40 and 65535")

    def replace(self, **changes: Any) -> Assumptions:
        """A copy with ``changes`` applied (validated like the constructor)."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            raise AssumptionError(f"unknown assumption(s) {unknown}; known: "
                                  f"{[f.name for f in dataclasses.fields(self)]}")
        return dataclasses.replace(self, **changes)


def ports(values: Iterable[int], name: str) -> tuple[int, ...]:
    """Port numbers, sorted and distinct; AssumptionError naming ``name`` otherwise."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise AssumptionError(f"{name} must be a list of port numbers, got {values!r}")
    try:
        found = tuple(sorted({int(p) for p in values}))
    except (TypeError, ValueError) as exc:
        raise AssumptionError(f"{name} must be a list of port numbers, got {values!r}") from exc
    if any(not 0 < p < 65536 for p in found):
        raise AssumptionError(f"{name} holds a port outside 1..65535: {found}")
    return found


def as_assumptions(assumptions: Assumptions | None = None, **overrides: Any) -> Assumptions:
    """``assumptions`` (default ``Assumptions()``) with the keyword ``overrides`` that are not
    None applied: the public functions' keyword form."""
    base = Assumptions() if assumptions is None else assumptions
    if not isinstance(base, Assumptions):
        raise AssumptionError(f"assumptions must be a kit.Assumptions, got "
                              f"{type(base).__name__}")
    given = {k: v for k, v in overrides.items() if v is not None}
    return base.replace(**given) if given else base
