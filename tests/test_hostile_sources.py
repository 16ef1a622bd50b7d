"""Hostile and broken input at the source level (issue 15 points 3, 4, 7, 10, 11, 13, 14, 15, 20;
issue 11 point 10): each test is built from the issue's reproduction and checks the value or the
message a user sees."""

from __future__ import annotations

import gzip
import io
import os
import struct
import threading
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import kit
from kit import ParseError, SourceError, read_firewall_log
from kit.firewall import capacity
from kit.loadreport import LoadReport
from kit.sources import iter_sources

GOOD = ("<166>Aug 28 2023 15:35:00 fw1 : %ASA-6-302014: Teardown TCP connection {n} for "
        "outside:192.0.2.1/443 to inside:10.0.0.5/40000 duration 0:00:34 bytes 1234 TCP FINs\n")


def lines(count: int, start: int = 1) -> bytes:
    return "".join(GOOD.format(n=n) for n in range(start, start + count)).encode()


def check_counts(report: LoadReport) -> None:
    for f in report.files:
        assert f.read == f.parsed + f.ignored + f.rejected, f


def read(source: Any, **options: Any):
    frame = read_firewall_log(source, on_bad_lines="skip", progress=False, **options)
    check_counts(frame.attrs["load_report"])
    return frame


def within(seconds: float, call: Callable[[], Any]) -> Any:
    """``call()``, failing (not hanging) when it takes longer than ``seconds``."""
    result: dict[str, Any] = {}

    def run() -> None:
        try:
            result["value"] = call()
        except BaseException as exc:  # handed back to the test
            result["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"still running after {seconds} s (a hang)"
    if "error" in result:
        raise result["error"]
    return result["value"]


# --- 3: in-memory input never touches the filesystem -------------------------------------------

def test_an_upload_named_after_a_fifo_is_read_from_memory(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.log"
    os.mkfifo(fifo)
    upload = {"name": str(fifo), "content": lines(2)}
    frame = within(20, lambda: read_firewall_log(upload, progress=True, on_bad_lines="skip"))
    assert len(frame) == 2 and list(frame.source.unique()) == [str(fifo)]
    stream = io.BytesIO(lines(1))
    stream.name = str(fifo)
    assert len(within(20, lambda: read_firewall_log(stream, progress=True))) == 1
    assert next(iter_sources(upload)).plain_size() is None  # size never looked up on disk


# --- 20: FIFOs, devices, empty folders, encodings ------------------------------------------------

def test_a_fifo_or_device_path_is_named_as_such(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.log"
    os.mkfifo(fifo)
    with pytest.raises(SourceError, match=r"pipe.log: a named pipe \(FIFO\), not a regular file"):
        list(iter_sources(fifo))
    with pytest.raises(SourceError, match=r"/dev/zero: a character device \(like /dev/zero\)"):
        list(iter_sources("/dev/zero"))
    with pytest.raises(ParseError, match="a character device"):
        within(20, lambda: read("/dev/zero"))


def test_a_fifo_inside_a_folder_is_a_file_problem_not_a_hang(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_bytes(lines(3))
    os.mkfifo(tmp_path / "b.pipe")
    frame = within(20, lambda: read(tmp_path))
    assert len(frame) == 3
    assert frame.attrs["load_report"].problems == [
        f"{tmp_path / 'b.pipe'}: a named pipe (FIFO), not a regular file: save the log to a "
        "file and read that"]


@pytest.mark.parametrize("hidden", [False, True])
def test_an_empty_or_hidden_only_folder_is_named(tmp_path: Path, hidden: bool) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    if hidden:
        (folder / ".secret.log").write_bytes(lines(1))
    with pytest.raises(ParseError, match="found in 1 source") as caught:
        read(folder)
    assert f"{folder}: the folder holds no files (hidden ones" in str(caught.value)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-16-le", "utf-16-be", "utf-8-sig"])
def test_utf16_32_and_boms_are_read_as_text(encoding: str) -> None:
    frame = read(lines(3).decode().encode(encoding))
    report = frame.attrs["load_report"]
    assert (len(frame), report.rejected, report.problems) == (3, 0, [])
    assert frame.conn_id.tolist() == ["1", "2", "3"]


def test_undetectable_utf16_is_hinted() -> None:
    text = "Ωμέγα λόγος " * 3 + "\n"
    data = text.encode("utf-16-le") * 3  # no BOM, and Greek: not plainly ASCII in UTF-16
    with pytest.raises(ParseError, match="UTF-16 without BOM"):
        read(data)


# --- 10: an empty path, a vanished file ----------------------------------------------------------

def test_an_empty_path_is_an_error_not_the_working_folder() -> None:
    with pytest.raises(SourceError, match="an empty path names no file or folder"):
        list(iter_sources(""))
    with pytest.raises(ParseError, match="an empty path names no file"):
        read("")
    with pytest.raises(kit.CaseError, match="an empty path names no case folder"):
        kit.load_case("")


def test_a_file_vanishing_mid_walk_is_a_file_problem(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_bytes(lines(1))
    (tmp_path / "b.log").write_bytes(lines(1, 2))
    walk = iter_sources(tmp_path)
    first = next(walk)
    (tmp_path / "b.log").unlink()  # rotated away after the folder was listed
    second = next(walk)
    assert first.name.endswith("a.log")
    with pytest.raises(SourceError, match="disappeared while the folder was read"):
        second.open()
    frame = read([first, second])
    assert len(frame) == 1
    assert frame.attrs["load_report"].problems[0].startswith(f"{tmp_path / 'b.log'}: the file "
                                                             "disappeared")


def test_a_file_vanishing_before_it_is_opened_is_a_file_problem(tmp_path: Path) -> None:
    (tmp_path / "a.log").write_bytes(lines(1))
    (tmp_path / "b.log").write_bytes(lines(1, 2))
    sources = list(iter_sources(tmp_path))
    (tmp_path / "b.log").unlink()
    frame = read(sources)
    assert frame.attrs["load_report"].problems == [
        f"{tmp_path / 'b.log'}: cannot open: No such file or directory"]


# --- 15: symlinked and unreadable sub-folders ----------------------------------------------------

def test_symlinked_subfolders_are_read_and_loops_named(tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "x.log").write_bytes(lines(2))
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.log").write_bytes(lines(1, 10))
    (logs / "linked").symlink_to(elsewhere)
    (logs / "loop").symlink_to(logs)
    frame = read(logs)
    assert sorted(frame.conn_id) == ["1", "10", "2"]
    assert frame.attrs["load_report"].problems == [
        f"{logs / 'loop'}: a link back to a folder above it (a loop): not followed"]


def test_an_unreadable_subfolder_is_a_file_problem(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.log").write_bytes(lines(1))
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "b.log").write_bytes(lines(1, 2))
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:  # chmod 000 does not stop root: simulate the refusal
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    frame = read(tmp_path)
    assert len(frame) == 1
    assert frame.attrs["load_report"].problems == [
        f"{locked}: cannot list this folder (Permission denied): its files were not read; fix "
        "its permissions or copy them elsewhere"]


# --- 7 and 19: non-UTF-8 and control characters in file names ------------------------------------

def test_non_utf8_and_control_characters_in_file_names(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/r\xe9seau.log"
    with open(raw, "wb") as handle:
        handle.write(lines(1))
    with open(os.fsencode(tmp_path) + b"/\x1b[31mred.log", "wb") as handle:
        handle.write(lines(1, 2))
    frame = read(tmp_path)
    assert sorted(frame.source.unique()) == sorted([f"{tmp_path}/r\\xe9seau.log",
                                                    f"{tmp_path}/\\x1b[31mred.log"])


# --- 11: a list that contains itself -------------------------------------------------------------

def test_a_self_containing_list_is_a_file_problem() -> None:
    inputs: list[Any] = [lines(1)]
    inputs.append(inputs)
    frame = read(inputs)
    assert len(frame) == 1
    assert frame.attrs["load_report"].problems == [
        "<list>: this list of sources contains itself; pass each path once"]


# --- issue 11 point 10: files that are clearly not logs ------------------------------------------

def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_images_documents_and_foreign_archives_are_skipped_whole(tmp_path: Path) -> None:
    folder = tmp_path / "firewall"
    folder.mkdir()
    (folder / "fw.log").write_bytes(lines(2))
    (folder / "shot.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (folder / "notes.docx").write_bytes(_docx())
    (folder / "scan.pdf").write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
    (folder / "old.7z").write_bytes(b"7z\xbc\xaf\x27\x1c\x00\x04" + bytes(64))
    frame = read(folder)
    report = frame.attrs["load_report"]
    assert len(frame) == 2 and report.rejected == 0
    assert report.problems == [
        f"{folder / 'notes.docx'}: an Office document (.docx, .xlsx, .pptx), not a log; skipped",
        f"{folder / 'old.7z'}: a 7-Zip archive, not a log; skipped (extract it, or pack the "
        "logs as gzip, bz2, xz or zip)",
        f"{folder / 'scan.pdf'}: a PDF document, not a log; skipped",
        f"{folder / 'shot.png'}: a PNG image, not a log; skipped",
    ]
    assert [f.read for f in report.files] == [2, 0, 0, 0, 0]


def test_a_tar_inside_gzip_is_named() -> None:
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("fw.log")
        data = lines(1)
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    with pytest.raises(SourceError, match="a tar archive, not a log; skipped"):
        next(iter_sources(gzip.compress(buffer.getvalue()))).read_bytes()


# --- 4, 14: zip members that cannot be extracted; zip streamed ----------------------------------

def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _patch_member(data: bytes, name: str, *, flags: int | None = None,
                  method: int | None = None) -> bytes:
    """Set a member's flag bits / compression method in its local and central headers (how an
    encrypted or deflate64 member looks to zipfile, which can write neither)."""
    out = bytearray(data)
    encoded = name.encode()
    for signature, flag_at, method_at, name_at in ((b"PK\x03\x04", 6, 8, 30),
                                                  (b"PK\x01\x02", 8, 10, 46)):
        start = 0
        while (at := out.find(signature, start)) >= 0:
            start = at + 4
            if out[at + name_at:at + name_at + len(encoded)] != encoded:
                continue
            if flags is not None:
                out[at + flag_at:at + flag_at + 2] = struct.pack("<H", flags)
            if method is not None:
                out[at + method_at:at + method_at + 2] = struct.pack("<H", method)
    return bytes(out)


def test_unextractable_zip_members_are_file_problems_and_the_rest_is_read(tmp_path: Path) -> None:
    data = _zip({"a.log": lines(2), "secret.log": lines(1, 5), "wide.log": lines(1, 9),
                 "z.log": lines(1, 20)})
    data = _patch_member(data, "secret.log", flags=1)  # encrypted
    data = _patch_member(data, "wide.log", method=9)  # deflate64
    path = tmp_path / "logs.zip"
    path.write_bytes(data)
    frame = read(path)
    assert sorted(frame.conn_id) == ["1", "2", "20"]
    (problem,) = frame.attrs["load_report"].problems
    assert problem.startswith(f"{path}: member secret.log: encrypted (needs a password); skipped")
    assert "member wide.log: That compression method is not supported (deflate64" in problem


def test_unextractable_zip_member_in_a_case_is_a_file_problem(tmp_path: Path) -> None:
    case = kit.new_case(tmp_path / "case")
    for old in (case / "firewall").iterdir():
        old.unlink()
    data = _patch_member(_zip({"a.log": lines(2), "b.log": lines(1, 3)}), "b.log", flags=1)
    (case / "firewall" / "logs.zip").write_bytes(data)
    with pytest.warns(UserWarning, match="no keepalive exports"):
        loaded = kit.load_case(case)
    assert len(loaded.connections) == 2
    assert any("member b.log: encrypted" in p for p in loaded.load_report.problems)


def test_zip_members_are_streamed_in_bounded_memory() -> None:
    content = lines(1) * 250_000  # ~58 MB of text, a ~0.3 MB zip
    source = next(iter_sources(_zip({"big.log": content})))
    tracemalloc.start()
    try:
        total = sum(len(block) for block in source.blocks(size=1024 * 1024))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == len(content)
    assert peak < 12 * 2**20, f"peak {peak / 2**20:.0f} MB for {len(content) / 2**20:.0f} MB"


def test_a_log_bigger_than_memory_is_refused_early_naming_kit_parse(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain, packed = tmp_path / "a.log", tmp_path / "b.log.gz"
    plain.write_bytes(lines(1000))
    packed.write_bytes(gzip.compress(lines(1000)))
    sources = list(iter_sources(tmp_path))
    need = capacity.estimated_peak(sources)
    expected = int(plain.stat().st_size * 1.5) + int(packed.stat().st_size * 8 * 1.5)
    assert need == expected
    monkeypatch.setattr(capacity, "available_memory", lambda: need - 1)
    with pytest.raises(ParseError, match=r"need about 0.0 GB of memory .* `kit parse`"):
        read(tmp_path)
    monkeypatch.setattr(capacity, "available_memory", lambda: need)
    assert len(read(tmp_path)) == 2000


# --- 13: damaged gzip keeps every decodable line -------------------------------------------------

def test_a_wrong_gzip_crc_loses_no_line() -> None:
    packed = bytearray(gzip.compress(lines(300)))
    packed[-8] ^= 0xFF  # the CRC field
    frame = read(bytes(packed))
    assert len(frame) == 300
    (problem,) = frame.attrs["load_report"].problems
    assert "the CRC check failed in member 1, so the data is damaged" in problem


def test_a_gzip_cut_in_half_keeps_every_complete_line() -> None:
    data = b"".join(lines(1, n) for n in range(1, 400))
    packed = gzip.compress(data)[: len(gzip.compress(data)) // 2]
    decodable = zlib.decompressobj(wbits=31).decompress(packed)
    frame = read(packed)
    assert len(frame) == decodable.count(b"\n")
    assert frame.conn_id.astype(int).tolist() == list(range(1, len(frame) + 1))
    assert "the file ends mid-stream" in frame.attrs["load_report"].problems[0]


def test_corrupt_deflate_mid_stream_keeps_the_lines_before() -> None:
    data = b"".join(lines(1, n) for n in range(1, 20_000))
    packed = bytearray(gzip.compress(data, compresslevel=1))
    packed[len(packed) // 2:len(packed) // 2 + 64] = bytes(64) + b"\xff" * 0
    frame = read(bytes(packed))
    report = frame.attrs["load_report"]
    assert report.problems and "corrupt or truncated gzip" in report.problems[0]
    assert len(frame) > 5_000  # what decoded before the damage (about half of 20,000)


def test_multi_member_gzip_and_nul_padding_read_whole() -> None:
    data = gzip.compress(lines(2)) + gzip.compress(lines(3, 3)) + bytes(512)
    frame = read(data)
    assert frame.conn_id.tolist() == ["1", "2", "3", "4", "5"]
    assert frame.attrs["load_report"].problems == []
