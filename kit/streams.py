"""Byte streams behind a :class:`kit.sources.Source`: decompression, text encodings, wrong kinds.

Every stream here hands out what it decoded *before* it reports damage: a damaged gzip, a cut
file, an unreadable zip member or a wrong CRC keeps every line decoded up to that point, and the
damage is raised as a :class:`SourceError` on the next read (a file problem in the load report).
Files that are clearly not text logs (images, office documents, PDFs, archives the kit does not
read) are refused whole, with one line saying what they are.
"""

from __future__ import annotations

import bz2
import codecs
import io
import lzma
import struct
import zipfile
import zlib
from typing import IO

import numpy as np
from isal import isal_zlib

from .errors import SourceError

_GZIP, _BZ2, _ZIP, _XZ = b"\x1f\x8b\x08", b"BZh", b"PK\x03\x04", b"\xfd7zXZ\x00"
#: compressed bytes fed to the inflater per call: a corrupt deflate block loses at most the
#: text decoded from this much input (a wrong CRC or a cut file loses nothing)
_GZIP_PIECE = 64 * 1024
_READ_ALL = 1024 * 1024
#: bytes inspected to tell what a file is (tar's magic sits at offset 257)
HEAD_SIZE = 512
_SKIPPED = "not a log; skipped"
_REPACK = "extract it, or pack the logs as gzip, bz2, xz or zip"
#: leading bytes of files that are clearly not text logs -> what they are
NOT_LOGS: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"II*\x00", "a TIFF image"),
    (b"MM\x00*", "a TIFF image"),
    (b"%PDF-", "a PDF document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Office document (.doc, .xls, .msg)"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"\x7fELF", "a program (ELF executable)"),
    (b"\xd4\xc3\xb2\xa1", "a packet capture (pcap)"),
    (b"\xa1\xb2\xc3\xd4", "a packet capture (pcap)"),
    (b"7z\xbc\xaf\x27\x1c", f"a 7-Zip archive, {_SKIPPED} ({_REPACK})"),
    (b"Rar!\x1a\x07", f"a RAR archive, {_SKIPPED} ({_REPACK})"),
    (b"\x28\xb5\x2f\xfd", f"a Zstandard archive, {_SKIPPED} ({_REPACK})"),
)
#: byte-order marks, longest first (UTF-32LE's starts like UTF-16LE's)
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


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


def not_a_log(head: bytes) -> str | None:
    """Why content starting with ``head`` is no text log ("a PNG image, not a log; skipped"),
    or None when it may be one."""
    for magic, what in NOT_LOGS:
        if head.startswith(magic):
            return what if _SKIPPED in what else f"{what}, {_SKIPPED}"
    if head.startswith(b"\n\r\r\n") and head[8:12] in (b"\x4d\x3c\x2b\x1a", b"\x1a\x2b\x3c\x4d"):
        return f"a packet capture (pcapng), {_SKIPPED}"
    if head[257:262] == b"ustar":
        return f"a tar archive, {_SKIPPED} ({_REPACK})"
    return None


def decoded(raw: IO[bytes], name: str) -> IO[bytes]:
    """The content of ``raw``: decompressed, refused if it is no log, re-encoded as UTF-8."""
    raw, head = _head(raw, HEAD_SIZE)
    kind = compression(head)
    if kind == "gzip":
        raw, head = _head(GzipReader(raw, name), HEAD_SIZE)
    elif kind == "bz2":
        raw, head = _head(bz2.BZ2File(raw, mode="rb"), HEAD_SIZE, name)
    elif kind == "xz":
        raw, head = _head(lzma.LZMAFile(raw, mode="rb"), HEAD_SIZE, name)  # noqa: SIM115
    elif kind == "zip":
        raw, head = _head(ZipMembers(raw, name), HEAD_SIZE)
    if why := not_a_log(head):
        raise SourceError(why, source=name)
    return _as_utf8(raw, head, name)


def _as_utf8(stream: IO[bytes], head: bytes, name: str) -> IO[bytes]:
    """UTF-8 without a BOM: a UTF-8 BOM is dropped, UTF-16/32 (with a BOM, or UTF-16 whose
    ASCII text shows as every other byte NUL) is transcoded; anything else is left as it is."""
    encoding = transcoding(head)
    if encoding == "utf-8-sig":
        stream.read(len(codecs.BOM_UTF8))
        return stream
    return Transcoded(stream, encoding, name) if encoding else stream


def transcoding(head: bytes) -> str | None:
    """The encoding content starting with ``head`` (its first ``HEAD_SIZE`` bytes) must be
    decoded from to read as UTF-8 lines, or None when it already reads so (UTF-8, ASCII,
    Latin-1 bytes): "utf-8-sig" (a UTF-8 BOM to drop), "utf-16"/"utf-32" (a BOM), or
    "utf-16-le"/"utf-16-be" (no BOM, told by ``bomless_utf16``). A reader that splits files
    into raw byte ranges must not split one that needs any."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    return bomless_utf16(head)


def bomless_utf16(head: bytes) -> str | None:
    """"utf-16-le"/"utf-16-be" when ``head`` is text in UTF-16 without a BOM, else None.

    The sign is the NUL byte pattern of ASCII/Latin-1 characters in UTF-16: one byte of each
    pair NUL, the other not, always on the same side. Pairs that are all NUL (a NUL run, a
    copytruncate hole, a junk line) say nothing and are left out; at least half of the other
    pairs must show the pattern (so a CJK host name does not hide it) and the other side
    hardly ever. UTF-8 or Latin-1 text (whose NULs come in runs, if at all) and binary junk
    (one pair in 256 by chance) never show it.
    """
    pairs = np.frombuffer(head, dtype=np.uint8, count=len(head) // 2 * 2).reshape(-1, 2) != 0
    first, second = pairs[:, 0], pairs[:, 1]
    counted = int(np.count_nonzero(first | second))
    little = int(np.count_nonzero(first & ~second))
    big = int(np.count_nonzero(second & ~first))
    for hits, other, encoding in ((little, big, "utf-16-le"), (big, little, "utf-16-be")):
        if counted and 2 * hits >= counted and 10 * other <= hits:
            return encoding
    return None


def _head(stream: IO[bytes], size: int, name: str = "") -> tuple[IO[bytes], bytes]:
    """The first ``size`` bytes of ``stream`` and a stream that still starts with them."""
    if isinstance(stream, io.BufferedReader):
        return stream, stream.peek(size)[:size]
    if isinstance(stream, io.BytesIO):  # in memory: rewinding is free (and zip needs a seek)
        head = stream.read(size)
        stream.seek(0)
        return stream, head
    pieces, got, damage = [], 0, None
    while got < size:
        try:
            piece = read_piece(stream, size - got, name)
        except SourceError as exc:  # raised again after the head: no line is lost to it
            damage = exc
            break
        if not piece:
            break
        pieces.append(piece)
        got += len(piece)
    head = b"".join(pieces)
    return Chained(head, stream, name, damage), head


def read_piece(stream: IO[bytes], size: int, name: str) -> bytes:
    """Up to ``size`` bytes, as soon as some are decoded (``read1`` where there is one)."""
    try:
        if hasattr(stream, "read1"):
            return stream.read1(size)
        return stream.read(size)
    except SourceError:
        raise
    except (OSError, EOFError, zlib.error, lzma.LZMAError, ValueError) as exc:
        raise SourceError(f"corrupt or truncated compressed data: {exc}", source=name) from exc


class _Reader(io.RawIOBase):
    """A readable raw stream whose subclasses only say how to produce the next piece."""

    def readable(self) -> bool:
        return True

    def readinto(self, view) -> int:  # type: ignore[override]
        data = self.next_piece(len(view))
        view[:len(data)] = data
        return len(data)

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes as soon as some are decoded (all of them with -1), no copy."""
        if size is None or size < 0:
            return b"".join(iter(lambda: self.next_piece(_READ_ALL), b""))
        return self.next_piece(size)

    read1 = read

    def next_piece(self, size: int) -> bytes:  # pragma: no cover - abstract
        raise NotImplementedError


class Chained(_Reader):
    """``head`` (bytes already read to sniff the content), then the rest of ``stream`` (or the
    damage found while reading the head)."""

    def __init__(self, head: bytes, stream: IO[bytes], name: str,
                 damage: SourceError | None = None) -> None:
        self._head, self._stream, self._name, self._damage = head, stream, name, damage

    def next_piece(self, size: int) -> bytes:
        if self._head:
            data, self._head = self._head[:size], self._head[size:]
            return data
        if self._damage is not None:
            damage, self._damage = self._damage, None
            raise damage
        return read_piece(self._stream, size, self._name)

    def close(self) -> None:
        self._stream.close()
        super().close()


class GzipReader(_Reader):
    """gzip members decoded piece by piece, the CRC and length checked here after the text was
    handed out: a wrong CRC or a cut file loses no line decoded before the damage (Python's and
    ISA-L's gzip readers raise with the last megabytes still unreturned)."""

    def __init__(self, raw: IO[bytes], name: str) -> None:
        self._raw, self._name = raw, name
        self._input = b""
        self._inflate = None
        self._crc = self._size = self._members = 0
        self._error: str | None = None
        self._done = False

    def next_piece(self, size: int) -> bytes:
        while True:
            if self._error:
                error, self._error, self._done = self._error, None, True
                raise SourceError(error, source=self._name)
            if self._done:
                return b""
            if self._inflate is None:
                self._start_member()
                continue
            data = self._inflate_some(size)
            if data:
                return data

    def _fill(self, size: int) -> bool:
        """At least ``size`` undecoded bytes in hand; False when the file ends first."""
        while len(self._input) < size:
            chunk = self._raw.read(max(_GZIP_PIECE, size - len(self._input)))
            if not chunk:
                return False
            self._input += chunk
        return True

    def _start_member(self) -> None:
        if not self._fill(1):
            self._done = True
            return
        if not self._input.startswith(_GZIP[:2]):
            while self._input.strip(b"\0") == b"" and self._fill(len(self._input) + 1):
                pass  # NUL padding after the last member (tape and some rotators write it)
            if self._input.strip(b"\0"):
                self._error = "data after the end of the gzip stream that is not gzip (ignored)"
            self._done = True
            return
        end = self._header_end()
        if end is None:
            self._error = "corrupt or truncated gzip: the file ends in a member header"
            return
        self._input = self._input[end:]
        self._inflate = isal_zlib.decompressobj(wbits=-15)
        self._crc = self._size = 0
        self._members += 1

    def _header_end(self) -> int | None:
        """Offset of the deflate data after a gzip member header (RFC 1952), None if cut."""
        if not self._fill(10):
            return None
        flags, offset = self._input[3], 10
        if flags & 4:  # FEXTRA
            if not self._fill(offset + 2):
                return None
            offset += 2 + struct.unpack("<H", self._input[offset:offset + 2])[0]
        for flag in (8, 16):  # FNAME, FCOMMENT: zero-terminated
            if flags & flag:
                while (end := self._input.find(b"\0", offset)) < 0:
                    if not self._fill(len(self._input) + 1):
                        return None
                offset = end + 1
        if flags & 2:  # FHCRC
            offset += 2
        return offset if self._fill(offset) else None

    def _inflate_some(self, size: int) -> bytes:
        inflate = self._inflate
        assert inflate is not None
        if inflate.unconsumed_tail:
            data = inflate.unconsumed_tail
        else:
            if not self._fill(1):
                self._error = ("corrupt or truncated gzip: the file ends mid-stream (cut "
                               "during copying or rotation?); every line before the cut was kept")
                return inflate.flush()
            data, self._input = self._input[:_GZIP_PIECE], self._input[_GZIP_PIECE:]
        try:
            out = inflate.decompress(data, size)
        except (isal_zlib.error, zlib.error) as exc:
            self._error = (f"corrupt or truncated gzip: {exc}; the lines before the damage "
                           "were kept")
            return b""
        self._crc = isal_zlib.crc32(out, self._crc)
        self._size += len(out)
        if inflate.eof:
            self._input = inflate.unused_data + self._input
            self._inflate = None
            self._check_trailer()
        return out

    def _check_trailer(self) -> None:
        if not self._fill(8):
            self._error = "corrupt or truncated gzip: the file ends just before its checksum"
            return
        crc, size = struct.unpack("<II", self._input[:8])
        self._input = self._input[8:]
        if crc != self._crc or size != self._size & 0xFFFFFFFF:
            what = "CRC" if crc != self._crc else "length"
            self._error = (f"corrupt or truncated gzip: the {what} check failed in member "
                           f"{self._members}, so the data is damaged; every decoded line was kept")

    def close(self) -> None:
        self._raw.close()
        super().close()


class ZipMembers(_Reader):
    """All members of a zip archive in name order, each streamed (bounded memory) and ended
    with a newline. A member that cannot be extracted (encrypted, deflate64, damaged) is skipped
    and named in one SourceError raised after every other member was read."""

    def __init__(self, raw: IO[bytes], name: str) -> None:
        self._name = name
        try:
            self._archive = zipfile.ZipFile(raw)
            infos = self._archive.infolist()
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as exc:
            raise SourceError(f"corrupt zip archive: {exc}", source=name) from exc
        names = {i.filename for i in infos}
        if "[Content_Types].xml" in names:
            raise SourceError("an Office document (.docx, .xlsx, .pptx), " + _SKIPPED,
                              source=name)
        if "mimetype" in names and "META-INF/manifest.xml" in names:
            raise SourceError("an OpenDocument file (.odt, .ods), " + _SKIPPED, source=name)
        self._members = sorted((i for i in infos if not i.is_dir()), key=lambda i: i.filename)
        self._current: IO[bytes] | None = None
        self._ends_line = True
        self._problems: list[str] = []

    def next_piece(self, size: int) -> bytes:
        while True:
            if self._current is None:
                if not self._members:
                    return self._finish()
                member = self._members.pop(0)
                try:
                    self._current = self._archive.open(member)
                except (RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error,
                        OSError, EOFError, ValueError) as exc:
                    self._problems.append(f"member {member.filename}: {_zip_problem(exc)}")
                continue
            try:
                data = self._current.read1(size)
            except (RuntimeError, NotImplementedError, zipfile.BadZipFile, zlib.error,
                    OSError, EOFError, ValueError) as exc:
                self._problems.append(f"member {self._current.name}: {_zip_problem(exc)}")  # type: ignore[attr-defined]
                data = b""
            if data:
                self._ends_line = data.endswith(b"\n")
                return data
            self._current.close()
            self._current = None
            if not self._ends_line:
                self._ends_line = True
                return b"\n"

    def _finish(self) -> bytes:
        if self._problems:
            problems, self._problems = self._problems, []
            raise SourceError("; ".join(problems), source=self._name)
        return b""

    def close(self) -> None:
        self._archive.close()
        super().close()


def _zip_problem(exc: BaseException) -> str:
    text = str(exc)
    if "encrypted" in text or "password" in text:
        return "encrypted (needs a password); skipped: extract it yourself and add the log"
    if isinstance(exc, NotImplementedError):
        return (f"{text} (deflate64 or another method Python cannot extract); skipped: "
                "re-pack it with plain deflate")
    return f"damaged ({text}); the lines before the damage were kept"


class Transcoded(_Reader):
    """UTF-16/32 text handed out as UTF-8, decoded incrementally (bounded memory)."""

    def __init__(self, stream: IO[bytes], encoding: str, name: str) -> None:
        self._stream, self._name = stream, name
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._left = b""
        self._done = False

    def next_piece(self, size: int) -> bytes:
        while not self._left and not self._done:
            chunk = read_piece(self._stream, max(size // 2, 4), self._name)
            self._done = not chunk
            self._left = self._decoder.decode(chunk, final=self._done).encode("utf-8")
        data, self._left = self._left[:size], self._left[size:]
        return data

    def close(self) -> None:
        self._stream.close()
        super().close()
