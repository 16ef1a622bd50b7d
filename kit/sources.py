"""Open anything a user points the kit at and hand out named, decompressed byte streams.

Accepted: a path (str or Path), a directory (its files, recursively, sorted, hidden ones skipped),
a glob, bytes, a binary or text file-like, an ipywidgets ``FileUpload`` value (a dict with
``name`` and ``content``, or a tuple/list of them), or a list mixing any of these. Compression
(gzip, bz2, zip, xz) is detected from the first bytes, never from the file name, so a rotated
``messages.1`` that is gzip reads like any other file.
"""

from __future__ import annotations

import glob as globlib
import io
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from .errors import ParseError, SourceError
from .streams import HEAD_SIZE, bomless_utf16, compression, decoded, read_piece

__all__ = ["BLOCK_SIZE", "MAX_LINE", "Source", "compression", "decode_text", "display_name",
           "iter_sources", "nothing_in"]

#: bytes per block handed to parsers: large enough to amortise per-block work, small enough that
#: two blocks in flight stay far below the input size.
BLOCK_SIZE = 16 * 1024 * 1024

#: a run of bytes without a newline longer than this is handed on as one (rejected) line.
MAX_LINE = 64 * 1024 * 1024
_READ_SIZE = 1024 * 1024
_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class Source:
    """One input file (or buffer): a display name, its modification time and a way to open it.

    ``path`` and ``size`` (bytes on disk) are set only for local files: in-memory input is never
    looked up on the filesystem, whatever its name says (a name may be a FIFO's path).
    """

    name: str
    mtime: datetime | None
    _open_raw: Callable[[], IO[bytes]]
    path: Path | None = None
    size: int | None = None

    def open(self) -> IO[bytes]:
        """A binary stream of the decompressed content as UTF-8 (raises SourceError if the file
        is unreadable, or clearly not a log: an image, an office document, a PDF, ...)."""
        try:
            raw = self._open_raw()
        except OSError as exc:
            raise SourceError(f"cannot open: {exc.strerror or exc}", source=self.name) from exc
        try:
            return decoded(raw, self.name)
        except BaseException:
            raw.close()
            raise

    def plain_size(self) -> int | None:
        """Bytes on disk of an uncompressed local file, else None (content size unknown)."""
        if self.path is None or self.size is None:
            return None
        try:
            with open(self.path, "rb") as raw:
                head = raw.read(10)
        except OSError:
            return None
        return None if compression(head) else self.size

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
        pieces, got = [], 0
        with self.open() as stream:
            while limit is None or got < limit:
                want = _READ_SIZE if limit is None else min(_READ_SIZE, limit - got)
                piece = read_piece(stream, want, self.name)
                if not piece:
                    break
                pieces.append(piece)
                got += len(piece)
        return b"".join(pieces)

    def read_text(self, *, limit: int | None = None, what: str = "a text export") -> str:
        """The content as text: BOM-aware (UTF-8, UTF-16), else UTF-8, else latin-1. With
        ``limit``, a larger content is refused (a ParseError naming the file): it is not
        ``what``, and reading it whole would only exhaust memory."""
        data = self.read_bytes(None if limit is None else limit + 1)
        if limit is not None and len(data) > limit:
            raise ParseError(f"larger than {limit // 2**20} MB: not {what}", source=self.name)
        return decode_text(data)


def decode_text(data: bytes) -> str:
    """Decode small text exports the way their writers encode them (``reg export`` is UTF-16LE)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if encoding := bomless_utf16(data[:HEAD_SIZE]):
        return data.decode(encoding, errors="replace")  # the streams' own sniff
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def iter_sources(source: Any, *, _within: frozenset[int] = frozenset()) -> Iterator[Source]:
    """Expand whatever the user passed into Sources, in a stable, sorted order.

    In-memory input (bytes, file-likes, uploads) never touches the filesystem, whatever its name
    says. In a folder, what cannot be read (an unreadable or looping sub-folder, a named pipe, a
    file that vanished mid-walk) becomes a Source whose ``open`` raises SourceError: a file
    problem in the load report, never a silent skip.
    """
    if isinstance(source, Source):
        yield source
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        yield Source("<bytes>", None, lambda: io.BytesIO(data))
    elif isinstance(source, dict) and "content" in source:
        yield _upload(source)
    elif isinstance(source, (str, os.PathLike)):
        yield from _from_path(source)
    elif hasattr(source, "read"):
        yield _from_filelike(source)
    elif isinstance(source, Iterable):
        if id(source) in _within:
            raise SourceError("this list of sources contains itself; pass each path once",
                              source=f"<{type(source).__name__}>")
        for item in source:
            yield from iter_sources(item, _within=_within | {id(source)})
    else:
        raise TypeError(
            f"cannot read from {type(source).__name__}: pass a path, directory, glob, bytes, "
            "a file-like object or a FileUpload value"
        )


def _from_path(given: str | os.PathLike[str]) -> Iterator[Source]:
    text = os.fsdecode(given)
    if not text.strip():
        raise SourceError("an empty path names no file or folder: pass the log's file or "
                          "folder (\".\" for the current folder)", source=repr(text))
    path = Path(given)
    if path.is_dir():
        yield from _walk(path)
    elif path.is_file():
        yield _file(path)
    elif path.exists():
        raise SourceError(_special_kind(path), source=display_name(path))
    elif _GLOB_CHARS & set(text):
        matches = sorted(Path(p) for p in globlib.glob(text, recursive=True))
        files = [p for p in matches if p.is_file()]
        if not files:
            raise SourceError("the pattern matches no file", source=text)
        for file in files:
            yield _file(file)
    else:
        raise SourceError("no such file or directory", source=display_name(path))


def nothing_in(item: Any) -> SourceError:
    """The error for an input that gave no source at all (an empty or hidden-only folder, an
    empty list), naming it."""
    if isinstance(item, (str, os.PathLike)):
        return SourceError("the folder holds no files (hidden ones, whose names start with "
                           "'.', are skipped)", source=display_name(item))
    return SourceError("nothing to read in this input", source=f"<{type(item).__name__}>")


def _walk(folder: Path, ancestors: frozenset[str] = frozenset()) -> Iterator[Source]:
    """Files under ``folder`` in sorted order, hidden ones skipped. Symlinked sub-folders are
    read like any other; a link back to a folder being read (a loop), a folder that cannot be
    listed, and anything that is not a regular file become problem Sources."""
    ancestors = ancestors | {os.path.realpath(folder)}
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda e: e.name)
    except OSError as exc:
        yield _problem(folder, f"cannot list this folder ({exc.strerror or exc}): its files "
                               "were not read; fix its permissions or copy them elsewhere")
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            if entry.is_dir():
                if os.path.realpath(path) in ancestors:
                    yield _problem(path, "a link back to a folder above it (a loop): not "
                                         "followed")
                else:
                    yield from _walk(path, ancestors)
            elif entry.is_file():
                yield _file(path)
            else:
                yield _problem(path, _special_kind(path))
        except FileNotFoundError:
            yield _problem(path, "the file disappeared while the folder was read (rotated "
                                 "or moved away?); read the folder again to include it")
        except OSError as exc:
            yield _problem(path, f"cannot read: {exc.strerror or exc}")


def _special_kind(path: Path) -> str:
    """Why an existing path that is neither a file nor a folder cannot be read."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return "a broken link (what it points to does not exist)"
    for test, what in ((stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device (like /dev/zero)"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return f"{what}, not a regular file: save the log to a file and read that"
    return "not a regular file"


def display_name(path: str | os.PathLike[str]) -> str:
    """A path as text that is safe to print: undecodable bytes and control characters escaped
    (a file name can hold terminal escape sequences, or bytes that are not UTF-8)."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in text)


def _problem(path: Path, message: str) -> Source:
    """A Source that cannot be read: opening it raises ``message`` as a SourceError."""
    name = display_name(path)

    def refuse() -> IO[bytes]:
        raise SourceError(message, source=name)

    return Source(name, None, refuse)


def _file(path: Path) -> Source:
    info = path.stat()
    mtime = datetime.fromtimestamp(info.st_mtime, tz=UTC)
    return Source(display_name(path), mtime, lambda: open(path, "rb"), path, info.st_size)


def _upload(value: dict[str, Any]) -> Source:
    data = bytes(value["content"])
    modified = value.get("last_modified")
    mtime = modified if isinstance(modified, datetime) else None
    return Source(display_name(str(value.get("name") or "<upload>")), mtime,
                  lambda: io.BytesIO(data))


def _from_filelike(obj: Any) -> Source:
    data = obj.read()
    if isinstance(data, str):
        data = data.encode("utf-8")
    name = getattr(obj, "name", None)
    return Source(display_name(name) if isinstance(name, str) else "<stream>", None,
                  lambda: io.BytesIO(data))


def _read_into(stream: IO[bytes], view: memoryview, name: str) -> int:
    """Fill the start of ``view``; returns the bytes read (0 at the end). A plain file is read
    straight into it; a decoder hands out each piece as it comes, so a damaged stream still
    yields everything before the damage."""
    if isinstance(stream, io.BufferedReader):
        try:
            return stream.readinto(view) or 0
        except OSError as exc:
            raise SourceError(f"cannot read: {exc.strerror or exc}", source=name) from exc
    piece = read_piece(stream, min(len(view), _READ_SIZE), name)
    view[:len(piece)] = piece
    return len(piece)
