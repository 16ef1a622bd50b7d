"""kit.sources: every kind of input, compression from content, blocks, damaged archives."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import zipfile
from pathlib import Path

import pytest

from kit.errors import SourceError
from kit.sources import Source, decode_text, iter_sources

TEXT = b"line one\nline two\nline three\n"


def names(source) -> list[str]:
    return [s.name for s in iter_sources(source)]


@pytest.mark.parametrize("pack", [lambda b: b, gzip.compress, bz2.compress, lzma.compress])
def test_compression_is_detected_from_content(tmp_path: Path, pack) -> None:
    path = tmp_path / "messages.1"  # no telling suffix
    path.write_bytes(pack(TEXT))
    (source,) = iter_sources(path)
    assert source.read_bytes() == TEXT
    assert b"".join(source.blocks(8)) == TEXT
    assert source.mtime is not None


def test_text_starting_like_a_magic_number_is_plain_text() -> None:
    from kit.sources import compression

    for text in (b"BZh, said the log line\nPK\n", b"\x1f\x8b\nJun  2 16:54:07 fw : x\n"):
        assert next(iter_sources(text)).read_bytes() == text
        assert compression(text[:10]) is None
    assert compression(bz2.compress(b"x")[:10]) == "bz2"
    assert compression(gzip.compress(b"")[:10]) == "gzip"


def test_zip_members_are_read_in_name_order(tmp_path: Path) -> None:
    path = tmp_path / "logs.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("b.log", "second")
        archive.writestr("a.log", "first\n")
    assert next(iter_sources(path)).read_bytes() == b"first\nsecond\n"


def test_blocks_are_newline_aligned_and_complete(monkeypatch) -> None:
    import kit.sources as sources

    monkeypatch.setattr(sources, "_READ_SIZE", 300)
    data = b"".join(f"line {i:05d}\n".encode() for i in range(5000)) + b"tail without newline"
    (source,) = iter_sources(data)
    blocks = list(source.blocks(1000))
    assert len(blocks) > 10
    assert all(990 <= len(b) <= 1000 for b in blocks[:-1])  # whole lines of 11 bytes
    assert all(b.endswith(b"\n") for b in blocks[:-1])
    assert b"".join(blocks) == data


def test_a_run_without_newlines_is_cut_at_max_line(monkeypatch) -> None:
    import kit.sources as sources

    monkeypatch.setattr(sources, "MAX_LINE", 3 * 1024 * 1024)
    monkeypatch.setattr(sources, "_READ_SIZE", 1024 * 1024)
    data = b"x" * (5 * 1024 * 1024) + b"\nend\n"
    blocks = list(next(iter_sources(data)).blocks(1024))
    assert b"".join(blocks) == data
    assert max(len(b) for b in blocks) <= 4 * 1024 * 1024


def test_truncated_gzip_yields_what_was_read_then_raises(tmp_path: Path) -> None:
    data = b"".join(f"{i} {i * 7919 % 100003} some text\n".encode() for i in range(200_000))
    packed = gzip.compress(data)
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[: len(packed) // 2])
    got = bytearray()
    with pytest.raises(SourceError, match="corrupt or truncated gzip") as caught:
        for block in next(iter_sources(path)).blocks(64 * 1024):
            got += block
    assert caught.value.source == str(path)
    assert len(got) > len(data) // 4
    assert data.startswith(bytes(got[: got.rfind(b"\n") + 1]))


def test_corrupt_zip_is_a_source_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.zip"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    with pytest.raises(SourceError, match="corrupt zip"):
        next(iter_sources(path)).read_bytes()


def test_directory_recursive_sorted_skipping_hidden(tmp_path: Path) -> None:
    for rel in ("b/2.log", "a.log", "b/1.log", ".hidden/x.log", "c/.y.log"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(TEXT)
    assert names(tmp_path) == [str(tmp_path / p) for p in ("a.log", "b/1.log", "b/2.log")]


def test_glob_list_and_missing_paths(tmp_path: Path) -> None:
    for name in ("fw2.log", "fw1.log", "other.txt"):
        (tmp_path / name).write_bytes(TEXT)
    assert names(str(tmp_path / "fw*.log")) == [str(tmp_path / "fw1.log"),
                                               str(tmp_path / "fw2.log")]
    assert names([tmp_path / "other.txt", str(tmp_path / "fw1.log")]) == [
        str(tmp_path / "other.txt"), str(tmp_path / "fw1.log")]
    with pytest.raises(SourceError, match="no such file"):
        names(tmp_path / "missing.log")
    with pytest.raises(SourceError, match="matches no file"):
        names(str(tmp_path / "*.gz"))


def test_bytes_filelikes_and_uploads() -> None:
    assert next(iter_sources(bytearray(TEXT))).read_bytes() == TEXT
    binary = io.BytesIO(TEXT)
    assert next(iter_sources(binary)).read_bytes() == TEXT
    assert next(iter_sources(io.StringIO("héllo\n"))).read_bytes() == "héllo\n".encode()
    upload = {"name": "fw.log.gz", "content": memoryview(gzip.compress(TEXT))}
    (source,) = iter_sources(upload)
    assert (source.name, source.read_bytes()) == ("fw.log.gz", TEXT)
    assert names(({"name": "a", "content": b"x"}, {"name": "b", "content": b"y"})) == ["a", "b"]
    with pytest.raises(TypeError, match="cannot read from int"):
        names(42)


def test_read_bytes_limit_returns_exactly_the_first_bytes(tmp_path: Path) -> None:
    path = tmp_path / "big.gz"
    path.write_bytes(gzip.compress(TEXT * 1000))
    assert next(iter_sources(path)).read_bytes(limit=30) == (TEXT * 2)[:30]


@pytest.mark.parametrize(("data", "text"), [
    ("héllo".encode("utf-16"), "héllo"), (b"\xef\xbb\xbfabc", "abc"),
    ("ab".encode("utf-16-le"), "ab"), (b"caf\xe9", "café"), ("naïve".encode(), "naïve")])
def test_decode_text_handles_boms_utf16_and_latin1(data: bytes, text: str) -> None:
    assert decode_text(data) == text


def test_open_failure_is_a_source_error(tmp_path: Path) -> None:
    def broken():
        raise PermissionError(13, "Permission denied")

    source = Source("locked.log", None, broken)
    with pytest.raises(SourceError, match=r"locked\.log: cannot open: Permission denied"):
        source.read_bytes()
