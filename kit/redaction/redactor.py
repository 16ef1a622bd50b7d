"""The Redactor: one keyed mapping from a site's identities to pseudonyms, applied everywhere.

Identities are IP addresses (prefix-preserving, class-keeping: see ``addresses``), host and device
names and user names (keyed HMAC: ``host-3f9a12``, ``fw-0b71c4``, ``user-9e02aa``). A name is
case-insensitive (``DB01`` and ``db01`` are one host); a dotted name keeps its shape
(``nbu01.corp.example`` -> ``host-1c2d3e.dom-77a0f1``). Free text (teardown reasons, file names,
warnings, reject messages, notes) is redacted by replacing every IP literal and every identity the
Redactor has learned, in one pass. Learn all identities of a case first (``learn_frame`` on each
of its frames), so text anywhere is redacted consistently.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd

from ..loadreport import Reject
from .addresses import AddressMapper, parse_address
from .keys import KeyLike, fingerprint, parse_key

NAME_KINDS = ("host", "device", "user", "policy")
PREFIX = {"host": "host", "device": "fw", "user": "user", "policy": "policy"}
#: columns of the failure frames (bpdbjobs, explain_failures) that name hosts
HOST_COLUMNS = ("hostname", "client", "server", "master", "peer")
DIGEST_CHARS = 6

#: an IPv4 literal in free text (validated by ``ipaddress`` before it is replaced)
IPV4_TEXT = r"(?<![0-9.])(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9]|\.[0-9])"
#: an IPv6 candidate in free text (``16:54:07`` matches too and is left alone by validation)
IPV6_TEXT = (
    r"(?<![0-9A-Za-z:.])(?:[0-9A-Fa-f]{0,4}:){2,7}"
    r"(?:(?:[0-9]{1,3}\.){3}[0-9]{1,3}|[0-9A-Fa-f]{1,4})?(?![0-9A-Za-z:])"
)
WITHHELD = "[raw line withheld from the redacted report]"
#: a known name counts only as a whole word: not preceded or followed by a letter or digit
NAME_BEFORE, NAME_AFTER = r"(?<![A-Za-z0-9])", r"(?![A-Za-z0-9])"


def column_kind(label: Any) -> str | None:
    """What a column holds, from its name: ``ip``, ``host``, ``device``, ``user`` or None (text).

    ``ip``/``*_ip``, ``host``/``*_host``/``hostname``, ``device``/``*_device``, ``user``/``*_user``;
    the jobs' ``client``, ``server``, ``master``, ``peer`` are hosts, ``policy`` a policy name.
    """
    if not isinstance(label, str):
        return None
    name = label.lower()
    for kind in ("ip", *NAME_KINDS):
        if name == kind or name.endswith("_" + kind):
            return kind
    if name == "policy":
        return "policy"
    return "host" if name in HOST_COLUMNS else None


def frame_identities(frame: pd.DataFrame) -> Iterator[tuple[str, str]]:
    """``(value, kind)`` for every distinct identity in the frame's identity columns.

    A value in an IP column that is not an address (firewalls log host names there) is a host.
    Values without a letter or digit (``*``, ``-``) identify nobody and are skipped.
    """
    for position, label in enumerate(frame.columns):
        kind = column_kind(label)
        if kind is None:
            continue
        column = frame.iloc[:, position]
        for value in pd.unique(column.dropna().astype(str)):
            if not _meaningful(value):
                continue
            if kind == "ip":
                yield value, ("ip" if parse_address(value) is not None else "host")
            else:
                yield value, kind


def _meaningful(value: str) -> bool:
    return any(ch.isalnum() for ch in value)


def _derive(key: bytes, purpose: bytes) -> bytes:
    return hmac.new(key, b"kit-redaction:" + purpose, hashlib.sha256).digest()


class Redactor:
    """A keyed, deterministic mapping of identities to pseudonyms (see the module docstring).

    Parameters
    ----------
    key
        32 bytes, or their 64 hex digits (see ``kit.redaction.keys``).
    root
        A folder (the case folder) whose path is cut from file names in free text, so a report
        shows ``firewall/asa.log``, not the analyst's home directory.
    """

    def __init__(self, key: KeyLike, *, root: str | os.PathLike[str] | None = None):
        raw = parse_key(key)
        self.fingerprint = fingerprint(raw)
        self._addresses = AddressMapper(_derive(raw, b"addresses"))
        self._name_key = _derive(raw, b"names")
        self._roots = _root_prefixes(root)
        self._kinds: dict[str, tuple[str, str]] = {}  # lower(name) -> (kind, original)
        self._digests: dict[str, str] = {}  # lower(label) -> digest
        self._labels: dict[str, str] = {}  # digest -> lower(label)
        self._pattern: re.Pattern[str] | None = None
        self._address_texts: dict[str, str] = {}  # value -> pseudonym, across every column

    # -- learning ------------------------------------------------------------------------------
    def learn(self, values: Iterable[str], kind: str) -> None:
        """Remember identities of ``kind`` so free text mentioning them is redacted too."""
        if kind not in NAME_KINDS and kind != "ip":
            raise ValueError(f"kind must be 'ip' or one of {NAME_KINDS}, not {kind!r}")
        for value in values:
            if kind != "ip" and _meaningful(value) and value.lower() not in self._kinds:
                self._kinds[value.lower()] = (kind, value)
                self._pattern = None

    def learn_frame(self, frame: pd.DataFrame) -> None:
        """Learn the identities in a frame's identity columns (see ``frame_identities``)."""
        for value, kind in frame_identities(frame):
            self.learn([value], kind)

    @property
    def names(self) -> dict[str, str]:
        """Every learned name -> its kind."""
        return {original: kind for kind, original in self._kinds.values()}

    # -- single values -------------------------------------------------------------------------
    def address(self, value: str) -> str:
        """The pseudonym of a value from an IP column: an address, or else a host name.

        Each distinct value is mapped once for the life of the Redactor (Crypto-PAn is the
        costly part), whichever frame or column it appears in."""
        mapped = self._address_texts.get(value)
        if mapped is None:
            mapped = self._addresses(value) if parse_address(value) is not None else \
                self.name(value, "host")
            self._address_texts[value] = mapped
        return mapped

    def name(self, value: str, kind: str) -> str:
        """The pseudonym of a host, device or user name (an address stays an address)."""
        if parse_address(value) is not None:
            return self._addresses(value)
        if not _meaningful(value):
            return value
        self.learn([value], kind)
        prefix = PREFIX[kind]
        labels = value.split(".")
        if kind != "user" and len(labels) > 1 and all(labels):
            return f"{prefix}-{self._digest(labels[0])}.dom-{self._digest('.'.join(labels[1:]))}"
        return f"{prefix}-{self._digest(value)}"

    def _digest(self, label: str) -> str:
        folded = label.lower()
        digest = self._digests.get(folded)
        if digest is None:
            full = hmac.new(self._name_key, folded.encode("utf-8"), hashlib.sha256).hexdigest()
            digest = full[:DIGEST_CHARS]
            if self._labels.get(digest, folded) != folded:  # a collision: lengthen this one
                digest = full[: 2 * DIGEST_CHARS]
            self._digests[folded] = digest
            self._labels[digest] = folded
        return digest

    def text(self, value: str) -> str:
        """Free text with the case folder's path cut, and every address and learned name
        replaced by its pseudonym."""
        if value.isdigit():  # connection ids, counts: the bulk of a large frame's text
            return value
        for root in self._roots:
            value = value.replace(root, "")
        return self._regex().sub(self._substitute, value)

    def _regex(self) -> re.Pattern[str]:
        if self._pattern is None:
            names = sorted((kind_original[1] for kind_original in self._kinds.values()),
                           key=lambda n: (-len(n), n))
            parts = [f"(?P<v6>{IPV6_TEXT})", f"(?P<v4>{IPV4_TEXT})"]
            if names:
                alternatives = "|".join(re.escape(n) for n in names)
                parts.insert(0, f"(?P<name>{NAME_BEFORE}(?:{alternatives}){NAME_AFTER})")
            self._pattern = re.compile("|".join(parts), re.IGNORECASE)
        return self._pattern

    def _substitute(self, match: re.Match[str]) -> str:
        found = match.group(0)
        if match.lastgroup == "name":
            kind, _ = self._kinds.get(found.lower(), ("host", found))
            return self.name(found, kind)
        candidate = found.rstrip(".")
        if parse_address(candidate) is None:
            return found
        return self._addresses(candidate) + found[len(candidate):]

    # -- containers ----------------------------------------------------------------------------
    def frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """A redacted copy of ``frame``: identity columns by kind, other text columns as free
        text, labels of the index and columns, and ``attrs`` (e.g. its load report)."""
        self.learn_frame(frame)
        columns = [
            self.series(frame.iloc[:, i].reset_index(drop=True), kind=column_kind(label))
            for i, label in enumerate(frame.columns)
        ]
        out = pd.concat(columns, axis=1) if columns else frame.iloc[:, :0].reset_index(drop=True)
        out.columns = self._labels_of(frame.columns)
        out.index = self._labels_of(frame.index)
        out.attrs = self.value(frame.attrs)
        return out

    def series(self, series: pd.Series, *, kind: str | None = None) -> pd.Series:
        """A redacted copy of ``series``; ``kind`` as ``column_kind`` returns (None: free text)."""
        convert = self._converter(kind)
        dtype = series.dtype
        if isinstance(dtype, pd.CategoricalDtype):
            categories = [convert(c) if isinstance(c, str) else c for c in dtype.categories]
            if len(set(categories)) == len(categories):
                return series.cat.rename_categories(categories)
            return series.astype(object).map(lambda v: convert(v) if isinstance(v, str) else v)\
                .astype("category")
        if pd.api.types.is_object_dtype(dtype):
            return series.map(lambda v: convert(v) if isinstance(v, str) else self.value(v))
        if pd.api.types.is_string_dtype(dtype):
            values = series.dropna()
            if kind is None:  # all-digit text (connection ids, counts) holds no identity
                values = values[~values.str.isdigit().fillna(False).to_numpy(dtype=bool)]
            mapping = {v: convert(v) for v in pd.unique(values)}
            changed = {v: m for v, m in mapping.items() if m != v}
            if not changed:
                return series.copy()
            hit = series.isin(list(changed)).fillna(False).to_numpy(dtype=bool)
            out = series.copy()
            out[hit] = series[hit].map(changed).astype(dtype)
            return out
        return series.copy()

    def _converter(self, kind: str | None):
        if kind == "ip":
            return self.address
        if kind in NAME_KINDS:
            return lambda value: self.name(value, kind)
        return self.text

    def _labels_of(self, index: pd.Index) -> pd.Index:
        if isinstance(index, pd.MultiIndex):
            levels = [self._labels_of(level) for level in index.levels]
            return index.set_levels(levels, verify_integrity=False)
        if index.dtype == object or pd.api.types.is_string_dtype(index.dtype):
            convert = self._converter(column_kind(index.name))
            return index.map(lambda v: convert(v) if isinstance(v, str) else v)
        return index

    def value(self, obj: Any) -> Any:
        """Redact anything a notebook might show: text, frames, dicts, lists, dataclasses
        (settings, load reports, estimates). Other values (numbers, times, paths) pass through."""
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, Reject):
            return Reject(self.text(obj.source), obj.line, self.text(withhold_excerpt(obj.reason)))
        if isinstance(obj, pd.DataFrame):
            return self.frame(obj)
        if isinstance(obj, pd.Series):
            return self.series(obj, kind=column_kind(obj.name))
        if isinstance(obj, dict):
            redacted = obj.copy()  # keeps the mapping's type (Counter, defaultdict, ...)
            redacted.clear()
            redacted.update({self.value(k): self.value(v) for k, v in obj.items()})
            return redacted
        if isinstance(obj, (list, tuple, set, frozenset)):
            return type(obj)(self.value(v) for v in obj)
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            changes = {f.name: self.value(getattr(obj, f.name))
                       for f in dataclasses.fields(obj) if f.init}
            return dataclasses.replace(obj, **changes)
        return obj


def withhold_excerpt(reason: str) -> str:
    """A reject reason without the raw line it quotes at its end (``...: 'Jun  4 ... syslog01'``):
    a raw line can name hosts the case knows nothing about (the relay server), which neither the
    redaction nor its check could recognise."""
    end = reason.rstrip()
    for quote in ("'", '"'):
        start = end.rfind(": " + quote)
        if start >= 0 and end.endswith(quote) and len(end) > start + 3:
            return f"{reason[:start]}: {WITHHELD}"
    return reason


def _root_prefixes(root: str | os.PathLike[str] | None) -> tuple[str, ...]:
    """The spellings of the case folder's path, longest first, each with a trailing separator."""
    if root is None:
        return ()
    spellings = {os.fspath(root), os.path.abspath(root), os.path.realpath(root)}
    useful = {s.rstrip(os.sep) for s in spellings} - {"", ".", ".."}
    return tuple(sorted((s + os.sep for s in useful), key=len, reverse=True))
