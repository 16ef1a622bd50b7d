"""Redaction: keyed, consistent, prefix-preserving, class-keeping, and complete on a case."""

from __future__ import annotations

import ipaddress
import os
import stat
from collections import Counter

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from report_cases import KEY, OTHER_KEY, make_case

import kit
from kit.errors import CaseError
from kit.redaction import (
    KEY_ENV,
    KEY_FILE,
    Redactor,
    case_identities,
    case_key,
    check_redaction,
    parse_key,
    redact,
    redact_case,
)
from kit.redaction import addresses as addr


def common_prefix(a: int, b: int, bits: int) -> int:
    return bits - (a ^ b).bit_length()


# -- addresses ---------------------------------------------------------------------------------

def test_same_key_same_pseudonyms_and_another_key_others():
    values = ["10.1.2.3", "192.168.1.10", "8.8.8.8", "2001:db8::1", "fd00::5"]
    first = [Redactor(KEY).address(v) for v in values]
    again = [Redactor(KEY.hex()).address(v) for v in values]
    other = [Redactor(OTHER_KEY).address(v) for v in values]
    assert first == again
    assert all(a != b for a, b in zip(first, other, strict=True))
    assert all(a != v for a, v in zip(first, values, strict=True))


@settings(max_examples=60, deadline=None)
@given(a=st.integers(0, 2**24 - 1), b=st.integers(0, 2**24 - 1))
def test_private_addresses_keep_their_network_and_their_shared_prefix(a, b):
    mapper = addr.AddressMapper(KEY)
    x, y = ipaddress.IPv4Address(0x0A000000 | a), ipaddress.IPv4Address(0x0A000000 | b)
    mx, my = mapper.map(x), mapper.map(y)
    assert mx in ipaddress.ip_network("10.0.0.0/8") and my in ipaddress.ip_network("10.0.0.0/8")
    assert common_prefix(int(mx), int(my), 32) == common_prefix(int(x), int(y), 32)
    assert (mx == my) == (x == y)


@settings(max_examples=60, deadline=None)
@given(value=st.integers(0, 2**32 - 1))
def test_every_ipv4_address_stays_in_its_class(value):
    address = ipaddress.IPv4Address(value)
    mapped = addr.AddressMapper(KEY).map(address)
    assert addr.address_class(mapped) == addr.address_class(address)
    if address.is_global and addr.address_class(address) == "rest-v4":
        assert not any(mapped in n for n in addr.SPECIAL_NETWORKS)


def test_public_addresses_that_land_in_a_special_network_walk_out_of_it():
    mapper = addr.AddressMapper(KEY)
    walked = 0
    for i in range(400):
        public = ipaddress.IPv4Address(0x08000000 + i * 7919)  # 8.x ... public space
        once = ipaddress.IPv4Address(mapper._cryptopan.anonymize_bin(int(public), 4))
        mapped = mapper.map(public)
        assert addr.address_class(mapped) == "rest-v4"
        walked += addr.address_class(once) != "rest-v4"
    assert walked > 0  # the walk really happened for some of them


def test_mapping_is_one_to_one_inside_a_class_with_a_fixed_address():
    mapper = addr.AddressMapper(KEY)
    inputs = [ipaddress.IPv4Address(0x7F000000 + i) for i in range(2, 3000)]  # 127.0.0.2 ...
    outputs = {mapper.map(a) for a in inputs}
    assert len(outputs) == len(inputs)
    assert ipaddress.IPv4Address("127.0.0.1") not in outputs
    assert all(o in ipaddress.ip_network("127.0.0.0/8") for o in outputs)


@pytest.mark.parametrize("fixed", ["0.0.0.0", "127.0.0.1", "255.255.255.255", "::", "::1"])
def test_addresses_that_identify_nobody_stay(fixed):
    assert Redactor(KEY).address(fixed) == fixed


def test_ipv6_keeps_its_class_and_mapped_ipv4_matches_plain_ipv4():
    r = Redactor(KEY)
    assert ipaddress.ip_address(r.address("fe80::1")) in ipaddress.ip_network("fe80::/10")
    assert ipaddress.ip_address(r.address("fd12::5")) in ipaddress.ip_network("fc00::/7")
    assert ipaddress.ip_address(r.address("2a00:1450::1")) in ipaddress.ip_network("2000::/3")
    mapped = ipaddress.IPv6Address(r.address("::ffff:10.1.2.3"))
    assert mapped.ipv4_mapped == ipaddress.IPv4Address(r.address("10.1.2.3"))
    assert r.address("2001:DB8::1") == r.address("2001:db8:0:0::1")


def test_documentation_addresses_map_to_public_ones_never_to_each_other():
    r = Redactor(KEY)
    doc = [f"203.0.113.{i}" for i in range(1, 60)]
    mapped = [r.address(a) for a in doc]
    assert not set(mapped) & set(doc)
    assert all(ipaddress.ip_address(m).is_global for m in mapped)


# -- names and text ----------------------------------------------------------------------------

def test_names_are_keyed_case_insensitive_and_keep_their_dotted_shape():
    r = Redactor(KEY)
    assert r.name("DB01", "host") == r.name("db01", "host")
    assert r.name("db01", "host").startswith("host-") and len(r.name("db01", "host")) == 11
    assert r.name("db01", "host") != Redactor(OTHER_KEY).name("db01", "host")
    fqdn = r.name("nbu01.corp.example", "device")
    assert fqdn.startswith("fw-") and ".dom-" in fqdn and "corp" not in fqdn
    assert r.name("LOCAL\\alice", "user").startswith("user-")
    assert r.name("10.1.2.3", "device") == r.address("10.1.2.3")  # a relay's IP as device name


def test_text_replaces_addresses_and_learned_names_as_whole_words_only():
    r = Redactor(KEY)
    r.learn(["db01"], "host")
    text = ("Teardown outside:10.1.2.3/13724 to db01 (db010 stays) at 16:54:07, "
            "2001:db8::1. see DB01.reg; mac 00:11:22:33:44:55 and 1:01:27")
    out = r.text(text)
    assert r.address("10.1.2.3") + "/13724" in out
    assert r.address("2001:db8::1") + ". see" in out
    assert f"{r.name('db01', 'host')}.reg" in out and "db010 stays" in out
    assert "16:54:07" in out and "00:11:22:33:44:55" in out and "1:01:27" in out
    assert "10.1.2.3" not in out and "db01 " not in out


def test_text_cuts_the_case_folder_path(tmp_path):
    r = Redactor(KEY, root=tmp_path / "acme-case")
    assert r.text(f"{tmp_path / 'acme-case' / 'firewall' / 'asa.log'}:3: bad") \
        == "firewall/asa.log:3: bad"


# -- frames ------------------------------------------------------------------------------------

def test_redact_frame_keeps_dtypes_and_nulls_and_maps_each_column_by_kind(case):
    out = redact(case.connections, key=KEY)
    r = Redactor(KEY)
    # the kinds of dtype (a category's categories are redacted too)
    assert [str(t) for t in out.dtypes] == [str(t) for t in case.connections.dtypes]
    assert out["src_ip"].tolist()[:2] == [r.address("192.168.10.21")] * 2
    assert out["dst_ip"].iloc[2] == r.name("backup-vip.corp.example", "host")
    assert out["device"].iloc[0] == r.name("fw01.corp.example", "device")
    assert out["user"].iloc[0] == r.name("LOCAL\\alice", "user") and pd.isna(out["user"].iloc[2])
    assert pd.isna(out["reason"].iloc[0]) and out["reason"].iloc[1] == "Conn-timeout"
    assert out["src_port"].tolist() == case.connections["src_port"].tolist()
    assert (out["time"] == case.connections["time"]).all()


def test_redact_frame_labels_lists_and_attrs():
    frame = pd.DataFrame({"hosts": [["db01", "10.1.2.3"]], "n": [1]}, index=pd.Index(["db01"]))
    frame.attrs["assumptions"] = {"keepalive": "db01 at 10.1.2.3 keeps the default"}
    r = Redactor(KEY)
    r.learn(["db01"], "host")
    out = r.frame(frame.rename(columns={"n": "db01"}))
    pseudonym = r.name("db01", "host")
    assert out.index.tolist() == [pseudonym] and out.columns.tolist() == ["hosts", pseudonym]
    assert out["hosts"].iloc[0] == [pseudonym, r.address("10.1.2.3")]
    assert out.attrs["assumptions"]["keepalive"] == \
        f"{pseudonym} at {r.address('10.1.2.3')} keeps the default"


def test_redact_case_is_consistent_across_frames_settings_and_load_report(case):
    red = redact_case(case, key=KEY)
    r = Redactor(KEY)
    r.learn_roles(case.inventory)
    client_ip, master = r.address("192.168.10.21"), r.name("nbu-master.corp.example", "host")
    assert set(red.inventory["ip"]) == {client_ip, r.address("10.20.0.5"),
                                       r.address("2001:db8:5::21")}
    assert set(red.connections["src_ip"].dropna()) >= {client_ip}
    assert set(red.hosts["host"]) == set(red.inventory["host"]) == {r.name("db01", "host"), master}
    # pseudonyms carry the inventory role, the same for every spelling of the host
    assert master.startswith("master-") and ".dom-" in master
    assert r.name("DB01", "host") == r.name("db01", "host") == "client-1d78ee"
    assert red.sockets["peer_ip"].iloc[0] == r.address("10.20.0.5")
    assert red.settings.notes == f"{r.name('db01', 'host')} ({client_ip}) loses its vnetd " \
        "session to nbu-master"  # "nbu-master" alone is not a known name: left alone
    assert red.settings.title.startswith(r.name("db01", "host"))
    files = red.load_report.files[0]
    assert files.source == "firewall/asa.log" and files.rejects[0].source == "firewall/asa.log"
    assert files.rejects[0].reason == "expected 'for IF:ip/port' near " \
        f"'outside:{r.address('192.168.10.99')}/1'"
    assert isinstance(files.ignored_by_key, Counter) and files.ignored_by_key["106023"] == 1
    assert list(red.load_report.clock_offsets) == [r.name("fw01.corp.example", "device")]
    assert red.hosts["source"].tolist() == [f"hosts/{r.name('db01', 'host')}.sysctl",
                                            "hosts/master.sysctl"]
    assert red.hosts["warnings"].iloc[0].startswith(r.name("db01", "host") + ":")
    assert red.load_report.read == case.load_report.read  # counts untouched
    assert case.inventory["ip"].iloc[0] == "192.168.10.21"  # the original is not modified


def test_nothing_of_a_redacted_case_leaks_when_dumped(case, tmp_path):
    red = redact_case(case, key=KEY)
    out = tmp_path / "out"
    out.mkdir()
    for name in ("connections", "hosts", "sockets", "inventory"):
        getattr(red, name).to_csv(out / f"{name}.csv")
    (out / "report.txt").write_text(f"{red.load_report}\n{red.settings}\n")
    assert check_redaction(out, case) == []
    for name in ("connections", "inventory"):
        getattr(case, name).to_csv(out / f"raw-{name}.csv")
    leaked = {(leak.file, leak.kind, leak.value) for leak in check_redaction(out, case)}
    assert ("raw-connections.csv", "ip", "192.168.10.21") in leaked
    assert ("raw-connections.csv", "user", "LOCAL\\alice") in leaked
    assert ("raw-inventory.csv", "host", "nbu-master.corp.example") in leaked


# -- keys --------------------------------------------------------------------------------------

def test_case_key_is_created_once_private_and_reused(tmp_path):
    key = case_key(tmp_path)
    path = tmp_path / KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert case_key(tmp_path) == key and len(key) == 32


def test_malformed_keys_are_clear_errors(tmp_path):
    (tmp_path / KEY_FILE).write_text("not a key")
    with pytest.raises(CaseError, match=r"\.redaction-key: malformed redaction key"):
        case_key(tmp_path)
    with pytest.raises(ValueError, match="64 hex digits"):
        parse_key("xyz")
    with pytest.raises(ValueError, match="32 bytes, got 3"):
        parse_key(b"abc")
    with pytest.raises(CaseError, match="no such case folder"):
        case_key(tmp_path / "missing")


def test_open_case_redacts_with_the_stored_key_or_the_environment(monkeypatch, tmp_path):
    case = make_case(tmp_path / "case")
    monkeypatch.setattr("kit.case.load_case", lambda path: case)
    monkeypatch.delenv(KEY_ENV, raising=False)
    plain = kit.redaction.open_case(case.path)
    assert plain is case and not (case.path / KEY_FILE).exists()
    first = kit.redaction.open_case(case.path, redact=True)
    stored = bytes.fromhex((case.path / KEY_FILE).read_text())
    again = kit.redaction.open_case(case.path, redact=True)
    assert first.inventory["ip"].tolist() == again.inventory["ip"].tolist()
    assert first.inventory["ip"].iloc[0] == Redactor(stored).address("192.168.10.21")
    monkeypatch.setenv(KEY_ENV, OTHER_KEY.hex())
    other = kit.redaction.open_case(case.path, redact=True)
    assert other.inventory["ip"].iloc[0] == Redactor(OTHER_KEY).address("192.168.10.21")


def test_a_new_key_never_maps_an_address_onto_another_original(monkeypatch, tmp_path):
    case = make_case(tmp_path / "case")
    clash = Redactor(KEY).address("10.20.0.5")  # with KEY, 10.20.0.5's pseudonym is an original
    case.inventory.loc[len(case.inventory)] = ["clash", clash, "client", "linux"]
    keys = iter([KEY, OTHER_KEY])
    monkeypatch.setattr("kit.redaction.new_key", lambda: next(keys))
    monkeypatch.setattr("kit.case.load_case", lambda path: case)
    monkeypatch.delenv(KEY_ENV, raising=False)
    kit.redaction.open_case(case.path, redact=True)
    assert bytes.fromhex((case.path / KEY_FILE).read_text()) == OTHER_KEY


def test_key_file_is_invisible_to_the_loaders(tmp_path):
    from kit.sources import iter_sources

    (tmp_path / "a.log").write_text("x\n")
    case_key(tmp_path)
    assert [os.path.basename(s.name) for s in iter_sources(tmp_path)] == ["a.log"]


@pytest.mark.parametrize(("reason", "expected"), [
    ("302014: message not understood (expected 'Teardown ...' layout): 'Jun  4 09:34:59 "
     "syslog01 Jun 04 2024 14:34:58 fw-8c267d: %AS'",
     "302014: message not understood (expected 'Teardown ...' layout): [raw line withheld "
     "from the redacted report]"),
    ('binary data: "\\x00\\x00"', "binary data: [raw line withheld from the redacted report]"),
    ("dword: takes at most 8 hex digits, found '0x1c0000000'",
     "dword: takes at most 8 hex digits, found '0x1c0000000'"),
    ("the host column is empty", "the host column is empty"),
])
def test_reject_reasons_lose_the_raw_line_they_quote(reason, expected):
    from kit.loadreport import Reject

    redacted = Redactor(KEY).value(Reject("/x/firewall/a.log", 3, reason))
    assert redacted == Reject("/x/firewall/a.log", 3, expected)


def test_a_sites_own_service_names_are_redacted_and_checked(case, tmp_path):
    import dataclasses

    settings = dataclasses.replace(case.settings, services={9000: "acme-payroll", 1556: "pbx"})
    own = dataclasses.replace(case, settings=settings)
    red = redact_case(own, key=KEY)
    assert red.settings.services[1556] == "pbx"  # a public, built-in name identifies nobody
    assert red.settings.services[9000].startswith("svc-")
    assert case_identities(own)["acme-payroll"] == "service"
    (tmp_path / "page.html").write_text("<p>acme-payroll lost 3 sessions</p>")
    assert [(leak.kind, leak.value) for leak in check_redaction(tmp_path / "page.html", own)] == [
        ("service", "acme-payroll")]
