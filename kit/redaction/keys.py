"""The per-case redaction key: generated once, kept in the case folder, never in a report.

The same key gives the same pseudonyms on every run, so a re-run can be matched to the report
attached to a support case. The key file is hidden (``.redaction-key``), so the case loaders,
which skip hidden files, never read it as data.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from ..errors import CaseError

KEY_FILE = ".redaction-key"
#: environment variable that overrides the case's key (set by ``kit report --key`` for the
#: notebook kernels, so the key never appears in a notebook's parameters)
KEY_ENV = "KIT_REDACTION_KEY"
KEY_BYTES = 32

KeyLike = bytes | str


def new_key() -> bytes:
    """A fresh random key."""
    return secrets.token_bytes(KEY_BYTES)


def parse_key(key: KeyLike) -> bytes:
    """A key from raw bytes or its hex text (64 hex digits); anything else is a clear error."""
    if isinstance(key, (bytes, bytearray)):
        raw = bytes(key)
    else:
        text = key.strip()
        try:
            raw = bytes.fromhex(text)
        except ValueError:
            raise ValueError(
                f"a redaction key is {2 * KEY_BYTES} hex digits; got {len(text)} characters "
                "that are not all hex"
            ) from None
    if len(raw) != KEY_BYTES:
        raise ValueError(f"a redaction key is {KEY_BYTES} bytes, got {len(raw)}")
    return raw


def fingerprint(key: bytes) -> str:
    """A short public fingerprint: tells whether two reports used the same key, reveals nothing."""
    return hashlib.sha256(b"kit-redaction-fingerprint" + key).hexdigest()[:16]


def case_key(case_dir: str | os.PathLike[str], *, create: bool = True,
             generate: Callable[[], bytes] = new_key) -> bytes:
    """The key stored in ``case_dir/.redaction-key``, made by ``generate`` and stored there
    (mode 0600) if missing.

    Raises
    ------
    CaseError
        The folder is missing, or the key file is unreadable or malformed.
    """
    folder = Path(case_dir)
    if not folder.is_dir():
        raise CaseError(f"{folder}: no such case folder (cannot keep its redaction key there)")
    path = folder / KEY_FILE
    if path.exists():
        return _read_key(path)
    if not create:
        raise CaseError(f"{path}: no redaction key in this case folder")
    key = generate()
    if _publish(path, key.hex() + "\n"):
        return key
    return _read_key(path)  # another first use won the race: its key is the case's key


def _publish(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` (mode 0600) only if no file is there; False if one was.

    The key is written to a private temporary file first and hard-linked into place, so a racing
    reader never sees a half-written key; where links are not supported, exclusive creation.
    """
    temporary = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(text)
        try:
            os.link(temporary, path)
            return True
        except FileExistsError:
            return False
        except OSError:  # no hard links here (some network and FAT file systems)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                return False
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(text)
            return True
    finally:
        temporary.unlink(missing_ok=True)


def _read_key(path: Path, wait: float = 2.0) -> bytes:
    """The key stored at ``path``; a file still being written (no links) is re-read briefly."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return parse_key(path.read_text(encoding="ascii"))
        except (ValueError, UnicodeDecodeError) as exc:
            if time.monotonic() < deadline and not path.read_bytes().strip():
                time.sleep(0.01)
                continue
            raise CaseError(
                f"{path}: malformed redaction key ({exc}); delete the file to generate a new "
                "key (pseudonyms then change from those of earlier reports)"
            ) from None


def resolve_key(case_dir: str | os.PathLike[str], key: KeyLike | None = None, *,
                generate: Callable[[], bytes] = new_key) -> bytes:
    """The key to use for a case: ``key`` if given, else ``$KIT_REDACTION_KEY``, else the case's
    stored key (made by ``generate`` on first use)."""
    if key is not None:
        return parse_key(key)
    from_env = os.environ.get(KEY_ENV)
    if from_env:
        return parse_key(from_env)
    return case_key(case_dir, generate=generate)
