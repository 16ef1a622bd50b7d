"""Open anything a user points the kit at and hand out named, decompressed byte streams.

Accepted: a path (str or Path), a directory (its files, recursively, sorted, hidden ones skipped),
a glob, bytes, a binary or text file-like, an ipywidgets ``FileUpload`` value (a dict with
``name`` and ``content``, or a tuple/list of them), or a list mixing any of these. Compression
(gzip, bz2, zip, xz) is detected from the first bytes, never from the file name, so a rotated
``messages.1`` that is gzip reads like any other file.
"""

from __future__ import annotations

import bz2
import glob as globlib
import io
import lzma
import os
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from isal import igzip

from .errors import SourceError

#: bytes per block handed to parsers: large enough to amortise per-block work, small enough that
#: two blocks in flight stay far below the input size.
BLOCK_SIZE = 16 * 1024 * 1024

#: a run of bytes without a newline longer than this is handed on as one (rejected) line.
MAX_LINE = 64 * 1024 * 1024
_READ_SIZE = 1024 * 1024
_GZIP, _BZ2, _ZIP, _XZ = b"\x1f\x8b\x08", b"BZh", b"PK\x03\x04", b"\xfd7zXZ\x00"
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class Source:
    """One input file (or buffer): a display name, its modification time and a way to open it."""

    name: str
    mtime: datetime | None
    _open_raw: Callable[[], IO[bytes]]

    def open(self) -> IO[bytes]:
        """A binary stream of the decompressed content (raises SourceError if unreadable)."""
        try:
            raw = self._open_raw()
        except OSError as exc:
            raise SourceError(f"cannot open: {exc.strerror or exc}", source=self.name) from exc
        return _decompressed(raw, self.name)

    def blocks(self, size: int = BLOCK_SIZE) -> Iterator[bytes]:
        """Newline-aligned blocks of the content; the last one may lack the final newline.

        A corrupt or truncated compressed stream yields everything decoded before the damage,
        then raises SourceError naming the file and the failure. A "line" longer than
        ``MAX_LINE`` (binary data without newlines) is cut there, so memory stays bounded.
        """
        carry = b""
        buffer = bytearray(size)  # reused: fresh 16 MB allocations cost page faults each time
        with self.open() as stream:
            while True:
                if len(buffer) < len(carry) + _READ_SIZE:  # a line longer than a block
                    buffer = bytearray(len(carry) + _READ_SIZE)
                with memoryview(buffer) as view:
                    view[:len(carry)] = carry
                    filled = len(carry)
                    try:
                        while filled < len(buffer):
                            got = _read_into(stream, view[filled:], self.name)
                            if not got:
                                break
                            filled += got
                    except SourceError:
                        if filled:  # the damaged tail still counts: its last line is cut short
                            yield bytes(view[:filled])
                        raise
                    at_end = filled < len(buffer)
                    cut = buffer.rfind(b"\n", 0, filled) + 1
                    if at_end or (not cut and filled >= MAX_LINE):
                        cut = filled
                    if cut:
                        yield bytes(view[:cut])
                    carry = bytes(view[cut:filled])
                if at_end:
                    return

    def read_bytes(self, limit: int | None = None) -> bytes:
        """The whole decompressed content (or its first ``limit`` bytes)."""
        with self.open() as stream:
            return _read(stream, -1 if limit is None else limit, self.name)

    def read_text(self) -> str:
        """The content as text: BOM-aware (UTF-8, UTF-16), else UTF-8, else latin-1."""
        return decode_text(self.read_bytes())


def decode_text(data: bytes) -> str:
    """Decode small text exports the way their writers encode them (``reg export`` is UTF-16LE)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if len(data) >= 4 and data[1:4:2] == b"\x00\x00" and data[0:1] != b"\x00":
        return data.decode("utf-16-le", errors="replace")  # UTF-16LE without a BOM
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def iter_sources(source: Any) -> Iterator[Source]:
    """Expand whatever the user passed into Sources, in a stable, sorted order."""
    if isinstance(source, Source):
        yield source
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        yield Source("<bytes>", None, lambda: io.BytesIO(data))
    elif isinstance(source, dict) and "content" in source:
        yield _upload(source)
    elif isinstance(source, (str, os.PathLike)):
        yield from _from_path(Path(source))
    elif hasattr(source, "read"):
        yield _from_filelike(source)
    elif isinstance(source, Iterable):
        for item in source:
            yield from iter_sources(item)
    else:
        raise TypeError(
            f"cannot read from {type(source).__name__}: pass a path, directory, glob, bytes, "
            "a file-like object or a FileUpload value"
        )


def _from_path(path: Path) -> Iterator[Source]:
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and not _hidden(p, path))
        for file in files:
            yield _file(file)
    elif path.is_file():
        yield _file(path)
    elif _GLOB_CHARS & set(str(path)):
        matches = sorted(Path(p) for p in globlib.glob(str(path), recursive=True))
        files = [p for p in matches if p.is_file()]
        if not files:
            raise SourceError("the pattern matches no file", source=str(path))
        for file in files:
            yield _file(file)
    else:
        raise SourceError("no such file or directory", source=str(path))


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _file(path: Path) -> Source:
    mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
    return Source(str(path), mtime, lambda: open(path, "rb"))


def _upload(value: dict[str, Any]) -> Source:
    data = bytes(value["content"])
    modified = value.get("last_modified")
    mtime = modified if isinstance(modified, datetime) else None
    return Source(str(value.get("name") or "<upload>"), mtime, lambda: io.BytesIO(data))


def _from_filelike(obj: Any) -> Source:
    data = obj.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    name = getattr(obj, "name", None)
    return Source(str(name) if isinstance(name, str) else "<stream>", None,
                  lambda: io.BytesIO(data))


def _decompressed(raw: IO[bytes], name: str) -> IO[bytes]:
    kind = compression(_peek(raw, 10))
    if kind == "gzip":
        return igzip.IGzipFile(fileobj=raw, mode="rb")
    if kind == "bz2":
        return bz2.BZ2File(raw, mode="rb")
    if kind == "xz":
        return lzma.LZMAFile(raw, mode="rb")
    if kind == "zip":
        return _zip_members(raw, name)
    return raw


def compression(head: bytes) -> str | None:
    """The compression of content starting with ``head`` (10 bytes suffice): "gzip", "bz2",
    "xz", "zip", or None for plain content. Magic numbers are checked beyond their first bytes
    (gzip's method byte, bzip2's block marker), so text or junk that merely starts like one is
    read as the text it is."""
    if head.startswith(_GZIP):
        return "gzip"
    if _is_bz2(head):
        return "bz2"
    if head.startswith(_XZ):
        return "xz"
    if head.startswith(_ZIP):
        return "zip"
    return None


def _is_bz2(head: bytes) -> bool:
    """``BZh``, a block-size digit, then a block or end-of-stream marker: text that merely
    starts with "BZh" is not mistaken for bzip2."""
    return (head.startswith(_BZ2) and head[3:4].isdigit() and head[3:4] != b"0"
            and head[4:10] in (b"1AY&SY", b"\x17rE8P\x90"))


def _peek(raw: IO[bytes], n: int) -> bytes:
    if hasattr(raw, "peek"):
        return raw.peek(n)[:n]
    head = raw.read(n)
    raw.seek(0)
    return head


def _zip_members(raw: IO[bytes], name: str) -> IO[bytes]:
    """All members of a zip archive, concatenated in name order (zip needs a seekable file)."""
    try:
        with zipfile.ZipFile(raw) as archive:
            members = sorted(i for i in archive.namelist() if not i.endswith("/"))
            data = b"".join(_ensure_newline(archive.read(m)) for m in members)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise SourceError(f"corrupt zip archive: {exc}", source=name) from exc
    return io.BytesIO(data)


def _ensure_newline(data: bytes) -> bytes:
    return data if not data or data.endswith(b"\n") else data + b"\n"


def _read_into(stream: IO[bytes], view: memoryview, name: str) -> int:
    """Fill the start of ``view``; returns the bytes read (0 at the end). A plain file is read
    straight into it; a decompressor hands out each piece as it comes (``read1``), so a
    truncated stream still yields everything before the damage."""
    if isinstance(stream, io.BufferedReader):
        try:
            return stream.readinto(view) or 0
        except OSError as exc:
            raise SourceError(f"cannot read: {exc.strerror or exc}", source=name) from exc
    piece = _read(stream, min(len(view), _READ_SIZE), name, piecewise=True)
    view[:len(piece)] = piece
    return len(piece)


def _read(stream: IO[bytes], size: int, name: str, *, piecewise: bool = False) -> bytes:
    """Up to ``size`` bytes (all with -1); ``piecewise`` uses ``read1`` where there is one."""
    try:
        if piecewise and hasattr(stream, "read1"):
            return stream.read1(size)
        return stream.read(size)
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
        raise SourceError(f"corrupt or truncated compressed data: {exc}", source=name) from exc
