"""The compiled field finders of PAN-OS and SRX and the helpers they share, checked against the
readers they replace: Arrow's CSV reader and ``strptime`` for PAN-OS, the positional form's
regular expressions (the SRX reader's specification before the compiled pass) for SRX."""

from __future__ import annotations

import io
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kit.firewall import columns
from kit.firewall.bytescan import LAST_FIELD, UNCLOSED_QUOTE, csv_field, csv_unescape
from kit.firewall.headers import YEARLESS_BASE
from kit.firewall.vendors import juniper_fields as jf
from kit.firewall.vendors.paloalto_fields import NAT, slash_stamp
from tests.firewall.helpers import read, row
from tests.firewall.vendors.test_juniper import BSD as SRX_BSD
from tests.firewall.vendors.test_paloalto import BSD as PAN_BSD
from tests.firewall.vendors.test_paloalto import csv


def split(text: bytes) -> list[bytes] | None:
    """A CSV line's fields through ``csv_field``/``csv_unescape`` (None: unclosed quote)."""
    data = np.frombuffer(text, np.uint8).copy()
    fields, at = [], 0
    while True:
        start, end, at, escaped = csv_field(data, at, len(data))
        if at == UNCLOSED_QUOTE:
            return None
        if escaped:
            end = csv_unescape(data, start, end)
        fields.append(data[start:end].tobytes())
        if at == LAST_FIELD:
            return fields


def arrow_fields(text: bytes) -> list[bytes] | None:
    """The same line through Arrow's CSV reader (None: Arrow refuses it)."""
    try:
        table = pcsv.read_csv(
            io.BytesIO(text + b"\n"),
            read_options=pcsv.ReadOptions(autogenerate_column_names=True),
            convert_options=pcsv.ConvertOptions(
                column_types={f"f{i}": pa.binary() for i in range(text.count(b",") + 1)},
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except pa.ArrowInvalid:
        return None
    return [column[0].as_py() for column in table.columns]


@pytest.mark.parametrize(("text", "fields"), [
    (b'a,"b,c",d', [b"a", b"b,c", b"d"]),              # a comma inside quotes
    (b'a,"b""c",d', [b"a", b'b"c', b"d"]),             # a doubled quote
    (b'a,b"c,d', [b"a", b'b"c', b"d"]),                # a quote inside a bare value is text
    (b'a,"bc"de,f', [b"a", b"bcde", b"f"]),            # text after the closing quote
    (b'a,""x"",d', [b"a", b'x""', b"d"]),              # ... read as is
    (b"a,{b,c}", [b"a", b"{b", b"c}"]),                # braces do not hide commas
    (b'a,"{b,c}"', [b"a", b"{b,c}"]),                  # quoted braces do
    (b"a,,", [b"a", b"", b""]),                        # empty fields, a trailing comma
    (b'"",x', [b"", b"x"]),
    ('é,"ü, ß"'.encode(), ["é".encode(), "ü, ß".encode()]),  # non-ASCII bytes
    (b'a,"bc', None), (b'a,"b""', None), (b'"', None),  # quotes that never close
])
def test_csv_fields_follow_arrow(text: bytes, fields: list[bytes] | None) -> None:
    assert split(text) == fields == arrow_fields(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(['a', ',', '"', ' ', 'é', '{', '}', '""', '1']), min_size=1,
                max_size=14).map(lambda parts: "".join(parts).encode()))
def test_any_csv_line_splits_as_arrow_splits_it(text: bytes) -> None:
    assert split(text) == arrow_fields(text)


@settings(max_examples=300, deadline=None)
@given(year=st.sampled_from([1677, 1678, 1999, 2000, 2024, 2026, 2261, 2262, 9999]),
       month=st.integers(0, 13), day=st.integers(0, 32), hour=st.integers(0, 25),
       minute=st.integers(0, 61), second=st.integers(0, 61))
def test_slash_stamps_read_as_arrow_reads_them(year, month, day, hour, minute,
                                               second) -> None:
    """The pass reads the exact stamps Arrow reads; everything else it leaves to Arrow."""
    text = f"{year:04}/{month:02}/{day:02} {hour:02}:{minute:02}:{second:02}"
    ns = slash_stamp(np.frombuffer(text.encode(), np.uint8), 0, len(text))
    arrow = pc.strptime(pa.array([text]), format="%Y/%m/%d %H:%M:%S", unit="ns",
                        error_is_null=True).cast(pa.int64())[0].as_py()
    if ns != NAT:
        assert ns == arrow


@pytest.mark.parametrize("text", ["2026/3/2 2:30:05", " 2026/03/02 02:30:05", "2026/02/30 "
                                  "00:00:00", "2026/03/02 02:30:60", "2026/03/02 02:30:05 "])
def test_slash_stamps_the_pass_leaves_to_arrow(text: str) -> None:
    assert slash_stamp(np.frombuffer(text.encode(), np.uint8), 0, len(text)) == NAT


def test_crlf_quotes_non_ascii_and_truncated_pan_rows_through_the_reader() -> None:
    line = PAN_BSD + csv(f16='"dmz, ""ü"""', f52="fw-zürich")  # a needed value unescaped
    r = row(line + "\r")  # a CRLF ending
    assert (r.device, r.src_if, r.dst_if, r.dst_port, r.reason) == (
        "fw-zürich", 'dmz, "ü"', "backup", 1556, "aged-out")
    frame = read("\n".join([PAN_BSD + csv(f41='"Reserved, lo'),        # cut inside quotes
                            (PAN_BSD + csv())[:200],                   # cut short
                            PAN_BSD + csv().replace("dmz", "dmz\udcff", 1)]).encode(
        "utf-8", "surrogateescape") + b"\n")
    report = frame.attrs["load_report"]
    assert [r.line for r in report.rejects] == [1, 2]
    assert "unbalanced quotes" in report.rejects[0].reason
    assert "fewer than 47 fields" in report.rejects[1].reason
    assert list(frame.src_if) == ["dmz\ufffd"]  # invalid UTF-8 replaced, the row kept


#: the positional form's regular expressions: what the compiled SRX pass must read alike
_ENDPOINTS = (rb"(?P<src>[^\s/]+)/(?P<sport>\d+)->(?P<dst>[^\s/]+)/(?P<dport>\d+)"
              rb"(?: 0x[0-9a-fA-F]+)? \S+ \S+/\d+->\S+/\d+(?: 0x[0-9a-fA-F]+)? "
              rb"(?:\S+ \S+ \S+ \S+|\S+ \S+) (?P<proto>\d+) \S+ (?P<from>\S+) (?P<to>\S+) "
              rb"(?P<session>\d+)")
CLOSE = re.compile(rb"^RT_FLOW_SESSION_CLOSE: session closed (?P<reason>.+?): " + _ENDPOINTS
                   + rb" \d+\((?P<bc>\d+)\) \d+\((?P<bs>\d+)\) (?P<elapsed>\d+)"
                   rb"(?: \S+ \S+ (?P<user>\S+))?")
CREATE = re.compile(rb"^RT_FLOW_SESSION_CREATE: session created " + _ENDPOINTS)
HEAD = re.compile(rb"^(?:\d+ )?(?:<\d{1,3}>)?\s*(?:1 (?P<iso>\d{4}-\d\d-\d\dT\S+)|"
                  rb"(?P<bsd>[A-Z][a-z]{2} +\d{1,2} \d\d:\d\d:\d\d)) +(?P<host>\S+) ")


def srx_fields(line: bytes) -> dict[str, bytes | int | None] | None:
    """What the compiled pass finds on one line (None: the line does not read)."""
    data = np.frombuffer(line, np.uint8)
    kind, _, _, ok, spans, numbers, _ = jf.find_flow(
        data, np.array([0]), np.array([len(line)]), np.zeros(1, bool), YEARLESS_BASE)
    out: dict[str, bytes | int | None] = {}
    for name in ("iso", "bsd", "host"):
        at, end = spans[:, jf.SLOT[name], 0]
        out[name] = line[at:end] if at >= 0 else None
    if not ok[0]:
        return {k: out[k] for k in ("iso", "bsd", "host")} if kind[0] else None
    for name in ("reason", "src", "dst", "proto", "from", "to", "session", "user"):
        at, end = spans[:, jf.SLOT[name], 0]
        out[name] = line[at:end] if at >= 0 else None
    for name, k in jf.NUMBER.items():
        if name != "proto":  # compared as text
            out[name] = int(numbers[k, 0]) if numbers[k, 0] >= 0 else None
    return out


def regex_fields(line: bytes) -> dict[str, bytes | int | None] | None:
    name = line.find(b"RT_FLOW_")
    if name < 0:
        return None
    named = re.match(rb"RT_FLOW_SESSION_(?:CLOSE|CREATE)[: \[]", line[name:])
    head = HEAD.search(line[:name]) if named else None
    out = {k: head[k] if head else None for k in ("iso", "bsd", "host")}
    body = line[name:]
    found = (CLOSE if body.startswith(b"RT_FLOW_SESSION_CLOSE") else CREATE).search(body)
    if not found:
        return out
    groups = found.groupdict()
    for name in ("reason", "src", "dst", "proto", "from", "to", "session", "user"):
        out[name] = groups.get(name)
    for name in ("sport", "dport", "bc", "bs", "elapsed"):
        value = groups.get(name)
        out[name] = (int(value) if value is not None and len(value) <= 19
                     and int(value) < 2**63 else None)
    return out


_OLD = SRX_BSD.replace(" 0x0", "").replace("N/A N/A N/A N/A", "N/A N/A")
_CREATE = ("<14>Mar  2 02:30:05 srx-dc-01 RT_FLOW: RT_FLOW_SESSION_CREATE: session created "
           "192.0.2.10/50412->198.51.100.20/1556 0x0 junos-pbx 192.0.2.10/50412->"
           "198.51.100.20/1556 0x0 N/A N/A N/A N/A 6 backup-pbx dmz backup 48213 N/A N/A")


@pytest.mark.parametrize("line", [
    SRX_BSD, _OLD, _CREATE,
    SRX_BSD.replace("idle Timeout", "Closed by junos-alg: ftp"),   # ": " inside the reason
    SRX_BSD.replace(" 0x0 None", " 0x0 0x0"),                      # an app named like a tag
    SRX_BSD.replace("0x0 N/A N/A N/A N/A", "0x0 N/A N/A"),         # a tag, two NAT rules
    SRX_BSD.replace(" 1805 UNKNOWN", " 1805x UNKNOWN"),             # elapsed then junk
    SRX_BSD.split(" 1805 ")[0] + " 1805",                          # nothing after elapsed
    _CREATE.replace("48213 N/A", "48213abc N/A"),                  # session digits, then text
    "583 <14>1 2026-03-02T02:30:05Z srx01 " + SRX_BSD.split("srx-dc-01 ")[1],  # RFC 5424 head
    "<1234>Mar  2 02:30:05 srx-dc-01 " + SRX_BSD.split("srx-dc-01 ")[1],  # a PRI too long
    SRX_BSD.replace("Timeout: 192", "Timeout:  192"),              # two blanks: does not read
])
def test_srx_positional_lines_read_as_the_regular_expressions_do(line: str) -> None:
    assert srx_fields(line.encode()) == regex_fields(line.encode())


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_damaged_srx_lines_read_as_the_regular_expressions_do(data) -> None:
    chars = list(data.draw(st.sampled_from([SRX_BSD, _OLD, _CREATE])))
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(chars)))
        what = data.draw(st.sampled_from(["insert", "delete"]))
        if what == "insert":
            chars.insert(at, data.draw(st.sampled_from([*" /->:()0x9aZ\t", " 0x0"])))
        elif chars:
            del chars[min(at, len(chars) - 1)]
    line = "".join(chars).encode()
    assert srx_fields(line) == regex_fields(line)


@settings(max_examples=200, deadline=None)
@given(month=st.sampled_from(["Jan", "Feb", "Mar", "Dec", "Foo"]), blanks=st.integers(1, 2),
       day=st.integers(0, 32), hour=st.integers(0, 25), minute=st.integers(0, 61),
       second=st.integers(0, 61))
def test_bsd_stamps_read_as_arrow_reads_them(month, blanks, day, hour, minute, second) -> None:
    text = f"{month}{' ' * blanks}{day} {hour:02}:{minute:02}:{second:02}"
    ns = jf.bsd_stamp(np.frombuffer(text.encode(), np.uint8), 0, len(text), YEARLESS_BASE)
    arrow = pc.strptime(pa.array([f"{YEARLESS_BASE} {text}"]), format="%Y %b %d %H:%M:%S",
                        unit="ns", error_is_null=True).cast(pa.int64())[0].as_py()
    if ns != jf.NAT:
        assert ns == arrow


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(-1, 30), st.integers(0, 8)), min_size=1,
                         max_size=3), min_size=1, max_size=40))
def test_row_by_row_columns_equal_the_column_by_column_ones(rows) -> None:
    data = np.frombuffer(b"fw-01,dmz,backup,aged-out,tcp-fin,\xc3\xa9,x" * 2, np.uint8)
    width = max(len(r) for r in rows)
    start = np.full((width, len(rows)), -1, np.int64)
    end = np.zeros((width, len(rows)), np.int64)
    for i, r in enumerate(rows):
        for f, (at, length) in enumerate(r):
            if at >= 0:
                start[f, i], end[f, i] = at, at + length
    # spans cut at ASCII bytes (as a finder cuts them) so the text stays valid UTF-8
    valid = np.isin(start, [-1, 0, 6, 10, 17, 26, 34, 37])
    start, end = np.where(valid, start, -1), np.where(valid, np.minimum(end, start + 2), end)
    end = np.where(start >= 0, np.maximum(end, start), end)
    for f, (text, codes) in enumerate(zip(columns.strings_of_rows(data, start, end),
                                          columns.dictionaries_of_rows(data, start, end),
                                          strict=True)):
        one = columns.strings(data, start[f].copy(), end[f].copy())
        assert text.to_pylist() == one.to_pylist() == codes.cast(pa.large_string()).to_pylist()
