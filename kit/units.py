"""The kit's one vocabulary: how a value written by a person or a tool is read.

Host identity
-------------
A host is named many ways: ``SAP-WIN01`` in a Windows export, ``sap-win01`` in the inventory,
``sap-win01.corp.example.com`` in a prompt. One rule says when two names are the same host:
case-insensitively, and a short name equals its fully qualified form (the first label decides).
Addresses stay whole. Every join on host names (inventory, keepalive and socket tables, risk,
Findings, redaction) goes through ``host_key``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

import pandas as pd

# -- host identity -------------------------------------------------------------------------------


def host_key(name: object) -> str | None:
    """The identity of a host name: ``SAP-WIN01``, ``sap-win01.corp.example.com.`` -> ``sap-win01``.

    Case-insensitive (casefold), and a short name equals its FQDN (only the first label counts);
    an IP address is its own key (compressed form). None for a missing or blank name.
    """
    if name is None or (not isinstance(name, str) and pd.isna(name)):
        return None
    text = str(name).strip().rstrip(".")
    if not text:
        return None
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        return text.split(".", 1)[0].casefold()


def same_host(a: object, b: object) -> bool:
    """Whether two names denote the same host (see ``host_key``); False when either is blank."""
    key = host_key(a)
    return key is not None and key == host_key(b)


def host_keys(names: pd.Series) -> pd.Series:
    """``host_key`` of every name of a column (NA stays NA), computed once per distinct name."""
    mapping = {name: host_key(name) for name in pd.unique(names.dropna())}
    return names.map(mapping).astype(pd.StringDtype())


def canonical_names(names: pd.Series, preferred: Iterable[object]) -> pd.Series:
    """Each name spelled as in ``preferred`` (the inventory) when it is the same host.

    Names without a counterpart keep their own spelling, so a host is shown one way everywhere.
    """
    spelling: dict[str, str] = {}
    for name in preferred:
        key = host_key(name)
        if key is not None:
            spelling.setdefault(key, str(name))
    mapping = {name: spelling.get(host_key(name) or "", name) for name in pd.unique(names.dropna())}
    return names.map(mapping).astype(names.dtype)
