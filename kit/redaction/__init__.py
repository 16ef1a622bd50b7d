"""Redaction for support cases: keyed pseudonyms for a site's addresses, hosts, devices and users.

``redact(frame, key=...)`` redacts one frame; ``open_case(path, redact=True)`` loads a case and
redacts all of its frames once, so every table, chart label and findings sentence a notebook
builds from it is redacted consistently; ``check_redaction(path, case)`` lists any original value
still present in the outputs.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pandas as pd

from .addresses import AddressMapper, parse_address
from .check import CASE_FRAMES, Leak, case_identities, check_redaction, site_services
from .keys import KEY_ENV, KEY_FILE, KeyLike, case_key, fingerprint, new_key, parse_key, resolve_key
from .redactor import Redactor, column_kind

if TYPE_CHECKING:
    from ..case import Case

__all__ = [
    "KEY_ENV", "KEY_FILE", "AddressMapper", "Leak", "Redactor", "case_identities", "case_key",
    "check_redaction", "column_kind", "fingerprint", "key_for_case", "new_key", "open_case",
    "parse_key", "redact", "redact_case", "resolve_key",
]


def redact(frame: pd.DataFrame, *, key: KeyLike | Redactor) -> pd.DataFrame:
    """A redacted copy of ``frame``.

    Parameters
    ----------
    frame
        Any frame. Columns named ``ip``/``*_ip`` hold addresses (or host names), ``host``/
        ``*_host``, ``device``/``*_device``, ``user``/``*_user`` hold names; every other text
        column, the index and column labels and ``frame.attrs`` are redacted as free text.
    key
        32 bytes or 64 hex digits (the same key always gives the same pseudonyms), or a
        ``Redactor`` that has already learned the case's identities (consistent across frames).

    Returns
    -------
    pandas.DataFrame
        Same shape and dtypes; addresses mapped prefix-preservingly within their class (private
        stays private, public stays public), names as ``host-3f9a12``, ``fw-..``, ``user-..``.
    """
    redactor = key if isinstance(key, Redactor) else Redactor(key)
    return redactor.frame(frame)


def redact_case(case: Case, *, key: KeyLike | Redactor) -> Case:
    """A redacted copy of a whole case: all frames, settings and the load report.

    Every identity of every frame is learned before anything is redacted, so a host named in a
    keepalive export's file name or a reject message is replaced like the same host in a table.
    File names lose the case folder's path. The copy's ``redacted`` is True, so the tables
    shown from it name each host with its inventory OS (a pseudonym alone no longer says it).
    """
    redactor = key if isinstance(key, Redactor) else Redactor(key, root=case.path)
    for name in CASE_FRAMES:
        frame = getattr(case, name, None)
        if isinstance(frame, pd.DataFrame):
            redactor.learn_frame(frame)
    redactor.learn(site_services(case), "service")
    if isinstance(getattr(case, "inventory", None), pd.DataFrame):
        redactor.learn_roles(case.inventory)
    redacted = redactor.value(case)
    redacted.redacted = True
    return redacted


def open_case(path: str | os.PathLike[str], *, redact: bool = False,
              key: KeyLike | None = None) -> Case:
    """Load a case the way a notebook shows it: as is, or redacted once for a support case.

    Parameters
    ----------
    path
        The case folder.
    redact
        Redact every frame before anything is displayed (the notebooks' ``redact`` parameter).
    key
        The redaction key; default ``$KIT_REDACTION_KEY``, else the case's ``.redaction-key``
        (generated on first use, avoiding any pseudonym that equals one of the case's own
        addresses).
    """
    from ..case import load_case

    case = load_case(path)
    if not redact:
        return case
    key = resolve_key(path, key, generate=lambda: key_for_case(case))
    return redact_case(case, key=key)


def key_for_case(case: Case, attempts: int = 20) -> bytes:
    """A new key whose address pseudonyms never equal one of the case's original addresses, so
    ``check_redaction`` cannot mistake a pseudonym for a leak."""
    originals = {parse_address(v) for v, k in case_identities(case).items() if k == "ip"}
    key = new_key()
    for _ in range(attempts):
        mapper = Redactor(key)
        if not originals & {parse_address(mapper.address(str(a))) for a in originals}:
            break
        key = new_key()
    return key  # after many clashes (pathological): the check reports what still collides
