"""Every vendor's lines in the encodings logs arrive in: UTF-16 LE/BE with and without a BOM
(Windows syslog collectors and PowerShell redirection write them), UTF-8 with a BOM, Latin-1
bytes, CRLF line ends. The encoding is settled before the vendor is detected, so a UTF-16 PAN-OS
log is read as PAN-OS, not refused as unrecognised Cisco."""

from __future__ import annotations

import codecs

import pytest

from kit.firewall.vendors import detect
from kit.sources import decode_text, iter_sources
from kit.streams import bomless_utf16, transcoding
from tests.firewall.helpers import read
from tests.firewall.vendors.handmade import FORMS

#: a line another program logged, with Latin-1 bytes (not UTF-8): ignored or rejected, counted
NOISE = "Mar  2 02:29:00 host01 backupd[42]: Prüfung der Sicherung gestartet"
#: encoding -> how the text becomes bytes
ENCODINGS = {
    "utf-16-le": lambda text: text.encode("utf-16-le"),
    "utf-16-be": lambda text: text.encode("utf-16-be"),
    "utf-16-le-bom": lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"),
    "utf-16-be-bom": lambda text: codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
    "utf-8-bom": lambda text: text.encode("utf-8-sig"),
    "latin-1": lambda text: text.encode("latin-1"),
    "crlf": lambda text: text.replace("\n", "\r\n").encode("utf-8"),
    "utf-16-le-crlf": lambda text: text.replace("\n", "\r\n").encode("utf-16-le"),
}


@pytest.mark.parametrize("encoding", list(ENCODINGS))
@pytest.mark.parametrize("form", list(FORMS))
def test_each_vendor_form_reads_the_same_in_every_encoding(form: str, encoding: str) -> None:
    line, vendor, when = FORMS[form]
    data = ENCODINGS[encoding](f"{NOISE}\n{line}\n{line}\n")
    assert detect(next(iter_sources(data))) == vendor.split("-")[0]
    frame = read(data, tz="+01:00", year=2026)
    report = frame.attrs["load_report"]
    assert report.read == 3 and report.parsed == 2  # the noise line is counted, not lost
    assert list(frame["vendor"]) == [vendor] * 2
    assert list(frame["time"]) == [when] * 2
    assert list(frame["close"]) == ["idle-timeout"] * 2
    assert list(frame[["src_ip", "dst_ip"]].iloc[0]) == ["192.0.2.10", "198.51.100.20"]
    assert list(frame["dst_port"]) == [1556, 1556]
    assert list(frame["line"]) == [2, 3]


@pytest.mark.parametrize("form", list(FORMS))
@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_bomless_utf16_is_found_behind_a_nul_run_and_beside_non_latin_text(
        form: str, encoding: str) -> None:
    """A NUL-run junk line first (a copytruncate hole) and a CJK host name do not hide the
    NUL-byte pattern of UTF-16 text."""
    line, vendor, _ = FORMS[form]
    text = "\0" * 80 + "\n" + "防火墙 主机 第一号 " * 4 + "\n" + line + "\n"
    data = text.encode(encoding)
    assert bomless_utf16(data[:512]) == encoding
    frame = read(data, tz="+01:00", year=2026)
    assert list(frame["vendor"]) == [vendor]
    assert frame.attrs["load_report"].read == 3


@pytest.mark.parametrize("data", [
    b"plain ASCII text, a syslog line\n" * 20,
    "Prüfung: Überwachung größer\n".encode("latin-1") * 20,
    "Prüfung: Überwachung größer\n".encode() * 20,
    b"\0" * 600,
    b"text\n" + b"\0" * 200 + b"more text after a NUL run\n" * 10,
    bytes(range(256)) * 2,
])
def test_text_that_is_not_utf16_is_not_taken_for_it(data: bytes) -> None:
    assert bomless_utf16(data[:512]) is None


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_small_exports_decode_by_the_same_sniff(encoding: str) -> None:
    text = "net.ipv4.tcp_keepalive_time = 7200\n"
    assert decode_text(text.encode(encoding)) == text
    assert decode_text(("\0" * 40 + text).encode(encoding)).endswith(text)


@pytest.mark.parametrize(("data", "expected"), [
    (codecs.BOM_UTF8 + b"text\n", "utf-8-sig"),
    ("text\n".encode("utf-16"), "utf-16"),
    ("text\n".encode("utf-32"), "utf-32"),
    ("text line\n".encode("utf-16-le"), "utf-16-le"),
    ("text line\n".encode("utf-16-be"), "utf-16-be"),
    (b"plain text\n", None),
    ("caf\u00e9\n".encode("latin-1"), None),
])
def test_transcoding_says_which_files_need_decoding(data: bytes, expected: str | None) -> None:
    """The one rule a reader splitting files into raw byte ranges asks (the Dask engine must
    keep such a file whole and read it through its Source)."""
    assert transcoding(data[:512]) == expected
