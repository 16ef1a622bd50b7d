"""The compiled key=value pass (``keyvalue``) and the helpers the FortiGate and conntrack readers
build on it: values against a plain-Python statement of the rule, edge cases (quotes, escaped
quotes, keys that are prefixes of others, a key inside a quoted value, CRLF, cut lines, non-ASCII
bytes), the number reader, the repeated-value encoder, and the compiled signature and line-head
matchers against their regular expressions."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kit.firewall import columns
from kit.firewall.vendors import fortinet, netfilter
from kit.firewall.vendors.common import integers as text_integers
from kit.firewall.vendors.keyvalue import Keys, find, integers, pairs
from kit.firewall.vendors.lines import split_lines
from tests.firewall.helpers import row
from tests.firewall.vendors.test_fortinet import line as fortinet_line


def reference(line: str) -> list[tuple[str, str]]:
    """The pair rule (keyvalue's docstring) written out plainly: (key, value) in line order."""
    found, inside, sep, marks = [], False, -1, []
    for k, ch in enumerate(line):
        if ch == '"':
            inside = not inside
        elif not inside and ch in " \t":
            sep = k
        elif not inside and ch == "=":
            marks.append((sep, k))
    for sep, eq in marks:
        key = re.split(r"[>\[]", line[sep + 1:eq])[-1]
        stop, inside = len(line), line[:eq].count('"') % 2 == 1
        for k in range(eq + 1, len(line)):  # the next blank outside quotes
            if line[k] == '"':
                inside = not inside
            elif not inside and line[k] in " \t":
                stop = k
                break
        value = line[eq + 1:stop]
        if value.startswith('"'):
            if len(value) > 2 and value.endswith('"]'):
                value = value[:-1]
            if len(value) > 1 and value.endswith('"'):
                value = value[:-1]
            value = value[1:]
        if re.fullmatch(r"[A-Za-z_][\w.-]*", key):
            found.append((key, value))
    return found


def spans_of(text: str, *wanted: str | tuple[str, str]) -> dict:
    lines = split_lines(text.encode())
    data = np.frombuffer(lines.buffer, np.uint8)
    keys = Keys(*wanted)
    spans = find(data, lines.starts, lines.ends, np.arange(len(lines)), keys)
    return {(name, which): columns.strings(data, *spans(name, which=which)).to_pylist()
            for name, which in keys.columns}


def first(text: str, *names: str) -> dict[str, str | None]:
    values = spans_of(text, *names)
    return {name: values[name, "first"][0] for name in names}


def test_bare_and_quoted_values_and_keys_that_are_prefixes_of_others() -> None:
    text = 'srcintf="port2" srcip=192.0.2.10 srcintfrole="lan" xsrcip=1 msg="a value = x"'
    assert first(text, "srcip", "srcintf", "msg", "src") == {
        "srcip": "192.0.2.10", "srcintf": "port2", "msg": "a value = x", "src": None}


def test_a_key_inside_a_quoted_value_is_not_a_key() -> None:
    text = 'msg="srcip=9.9.9.9 action=deny" srcip=192.0.2.10'
    assert first(text, "srcip", "action") == {"srcip": "192.0.2.10", "action": None}


def test_escaped_quotes_count_as_quotes_and_stay_in_the_value() -> None:
    assert first(r'msg="a \"b\" c" x=1', "msg", "x") == {"msg": r"a \"b\" c", "x": "1"}


def test_glued_pri_structured_data_and_first_or_last_occurrence() -> None:
    text = '<189>date=2026-03-02 [junos@2636 a="1" b="2"] bytes=5 bytes=7 a=b=c'
    values = spans_of(text, "date", "a", "b", "bytes", ("bytes", "last"))
    assert {k: v[0] for k, v in values.items()} == {
        ("date", "first"): "2026-03-02", ("a", "first"): "1", ("b", "first"): "2",
        ("bytes", "first"): "5", ("bytes", "last"): "7"}


def test_crlf_cut_lines_empty_values_and_non_ascii() -> None:
    text = ('a=1\r\n'                      # CRLF: the CR is not part of the value
            'a="cut short b=2\n'           # an open quote runs to the line's end
            'a= b="" c\n'                  # empty values; a word without = is no pair
            'dev="fw-é€" é=3 a=ü\n')      # non-ASCII values; a non-ASCII key is never wanted
    values = spans_of(text, "a", "b", "dev")
    assert values["a", "first"] == ["1", "cut short b=2", "", "ü"]
    assert values["b", "first"] == [None, None, "", None]
    assert values["dev", "first"][3] == "fw-é€"


def texts_of(*tokens: str, most: int) -> st.SearchStrategy[str]:
    """Text made of ``tokens`` (characters and words a matcher keys on)."""
    return st.lists(st.sampled_from(tokens), max_size=most).map("".join)


LINE_TEXT = texts_of(*'ab=" \t>[]x_é', "srcip", "id=", '"]', most=30)


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(LINE_TEXT, min_size=1, max_size=4), crlf=st.booleans())
def test_find_and_pairs_follow_the_rule(texts: list[str], crlf: bool) -> None:
    block = ("\r\n" if crlf else "\n").join(texts) + "\n"
    lines = split_lines(block.encode())
    data = np.frombuffer(lines.buffer, np.uint8)
    rows = np.arange(len(lines))
    names = ["a", "b", "x", "srcip", "id", "x_"]
    keys = Keys(*[(n, w) for n in names for w in ("first", "last")])
    spans = find(data, lines.starts, lines.ends, rows, keys)
    every = pairs(lines, rows)
    for i, text in enumerate(texts):
        expected = reference(text)
        for name in names:
            values = [v for k, v in expected if k == name]
            for which, want in (("first", values[0] if values else None),
                                ("last", values[-1] if values else None)):
                got = columns.strings(data, *spans(name, np.array([i]), which)).to_pylist()[0]
                assert got == want, (text, name, which)
                assert every.values(name, np.array([i]), which).to_pylist()[0] == want


@pytest.mark.parametrize(("texts", "values", "valid"), [
    (["0", "65535", "9223372036854775807"], [0, 65535, 2**63 - 1], [True, True, True]),
    (["9223372036854775808", "", "x1", None], [0, 0, 0, 0], [False] * 4),
    (["+5", "7"], [0, 7], [False, True]),                       # a sign is never a number
    (["-0", "0000000000000000000001"], [0, 1], [True, True]),   # as Arrow's cast reads them
])
def test_integers_read_spans_as_the_text_reader_does(texts, values, valid) -> None:
    body = "".join(t or "" for t in texts).encode()
    data = np.frombuffer(body, np.uint8)
    ends = np.cumsum([len(t or "") for t in texts])
    begin = np.where([t is None for t in texts], -1, ends - [len(t or "") for t in texts])
    got, ok = integers(data, begin, ends)
    assert got.tolist() == values and ok.tolist() == valid
    reference_values, reference_ok = text_integers(
        columns.strings(data, np.where(begin < 0, 0, begin), np.where(begin < 0, 0, ends)))
    assert got.tolist() == reference_values.tolist() and ok.tolist() == reference_ok.tolist()


@settings(max_examples=100, deadline=None)
@given(values=st.lists(st.sampled_from(["tcp", "udp", "", "tcp ", "UDP", "é", None]),
                       max_size=200))
def test_encode_repeated_equals_encode(values: list[str | None]) -> None:
    body = "".join(v or "" for v in values).encode()
    lengths = [len((v or "").encode()) for v in values]
    end = np.cumsum(lengths, dtype=np.int64)
    begin = np.where([v is None for v in values], -1, end - lengths).astype(np.int64)
    data = np.frombuffer(body or b"\0", np.uint8)
    codes, distinct = columns.encode_repeated(data, begin, end)
    want_codes, want_distinct = columns.encode(data, begin, end)
    assert codes.tolist() == want_codes.tolist()
    assert distinct.to_pylist() == want_distinct.to_pylist()


SIGNATURE_TEXT = texts_of(*' \t>"x=[]0123456789.', "logid=", "0000000013", "[NEW]",
                          "[DESTROY]", "[UPDATE]", "ipv4", "tcp", "SYN_SENT", "src=",
                          "[1772.5]", "[17]", "  ", most=25)


@settings(max_examples=400, deadline=None)
@given(texts=st.lists(SIGNATURE_TEXT, min_size=1, max_size=5))
def test_compiled_matchers_agree_with_their_regular_expressions(texts: list[str]) -> None:
    lines = split_lines(("\n".join(texts) + "\n").encode())
    data = np.frombuffer(lines.buffer, np.uint8)
    signed = fortinet._signed(data, lines.starts, lines.ends, lines.control)
    tagged, event, spans, _, _ = netfilter._shapes(data, lines.starts, lines.ends, lines.control)
    head = re.compile(netfilter.LINE)
    for i, text in enumerate(texts):
        assert signed[i] == bool(re.search(fortinet.SIGNATURE, text)), text
        assert tagged[i] == bool(re.search(netfilter.SIGNATURE, text)), text
        found = head.search(text)
        assert (event[i] >= 0) == bool(found), text
        if found:
            start = lines.starts[i]
            assert netfilter.EVENTS[event[i]] == found["event"]
            for part, group in ((0, "ts"), (1, "proto")):
                assert text[spans[part, 0, i] - start:spans[part, 1, i] - start] == found[group]
            state = (found["state"] or "").strip()
            assert (text[spans[2, 0, i] - start:spans[2, 1, i] - start]
                    if spans[2, 0, i] >= 0 else "") == state


def test_fortinet_stamps_read_in_place() -> None:
    texts = ["1772415005", "1772415005123", "17724150051234", "9999999999999999999", "x"]
    body = "".join(texts).encode()
    ends = np.cumsum([len(t) for t in texts])
    ns, ok = fortinet._epochs(np.frombuffer(body, np.uint8), ends - [len(t) for t in texts],
                              ends)
    assert ok.tolist() == [True, True, False, False, False]
    assert ns[:2].tolist() == [1772415005 * 10**9, 1772415005123 * 10**6]
    dates = ["2026-03-02", "2024-02-29", "2026-02-29", "2026-3-02"]
    body = ("".join(dates) + "02:30:05").encode()
    date_end = np.cumsum([len(d) for d in dates])
    time_begin = np.full(4, date_end[-1])
    local, valid, unsure = fortinet._local(np.frombuffer(body, np.uint8),
                                           date_end - [len(d) for d in dates], date_end,
                                           time_begin, time_begin + 8)
    assert valid.tolist() == [True, True, False, False]
    assert unsure.tolist() == [False, False, True, True]  # left to Arrow's strptime
    assert local[:2].tolist() == [pd.Timestamp(f"{d} 02:30:05").value for d in dates[:2]]


def test_an_epoch_beyond_int64_or_bytes_beyond_it_are_read_not_a_crash() -> None:
    r = row(fortinet_line(eventtime="9999999999999999999", tz='"+0100"'))
    assert r.time == pd.Timestamp("2026-03-02 01:30:05", tz="UTC")  # date/time instead
    r = row(fortinet_line(sentbyte="9223372036854775807", rcvdbyte="9223372036854775807"))
    assert r.bytes == 2 * (2**63 - 1)


@settings(max_examples=300, deadline=None)
@given(block=st.lists(st.sampled_from([b"a", b" ", b"\t", b"\r", b"\n", b"\x00", b"\x0c", b"=",
                                        "é".encode()]), max_size=40).map(b"".join))
def test_vendor_lines_are_the_newline_split_without_one_cr(block: bytes) -> None:
    lines = split_lines(block)
    raw = block.split(b"\n")
    raw = raw[:-1] if block.endswith(b"\n") or not block else raw
    raw = [r[:-1] if r.endswith(b"\r") else r for r in raw]
    assert lines.text.to_pylist() == [r.decode() for r in raw]
    assert lines.control.tolist() == [any(c < 32 and c != 9 for c in r) for r in raw]
    assert lines.texts(np.arange(len(raw))).to_pylist() == [r.decode() for r in raw]
