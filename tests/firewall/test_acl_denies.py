"""ASA 106023 access-list denies as consequence evidence: only those on the endpoints of a TCP
connection the same device tore down earlier in the load become ``deny-no-connection``; the
others stay ignored (key ``106023``) in the load report."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

import kit
from kit.firewall import denies
from kit.firewall.acl import unmatched_acl_denies
from kit.firewall.cisco import MESSAGE_IDS
from kit.firewall.denies import DENY_FIELDS, read_acl_deny, read_deny

BUILT = ("Jun  2 2024 16:00:00 {dev} : %ASA-6-302013: Built inbound TCP connection 7 for "
         "outside:198.51.100.20/1556 (198.51.100.20/1556) to dmz:192.0.2.10/50412 "
         "(192.0.2.10/50412)\n")
TEARDOWN = ("Jun  2 2024 17:00:00 {dev} : %ASA-6-302014: Teardown TCP connection 7 for "
            "outside:198.51.100.20/1556 to dmz:192.0.2.10/50412 duration 1:00:00 bytes 1546 "
            "Conn-timeout\n")


def deny(at: str, dev: str, src: str, dst: str, protocol: str = "tcp",
         acl: str = "dmz_in") -> str:
    return (f"Jun  2 2024 {at} {dev} : %ASA-4-106023: Deny {protocol} src {src} dst {dst} "
            f'by access-group "{acl}" [0x0, 0x0]\n')


REPLY = "dmz:192.0.2.10/50412", "outside:198.51.100.20/1556"
LOG = "".join([
    BUILT.format(dev="fw1"),
    deny("16:54:00", "fw1", *REPLY),                                   # 2: before the teardown
    TEARDOWN.format(dev="fw1"),
    deny("17:05:00", "fw1", *REPLY),                                   # 4: matches
    deny("17:05:01", "fw2", *REPLY),                                   # 5: another device
    deny("17:05:02", "fw1", "dmz:192.0.2.10/50413", REPLY[1]),         # 6: another port
    deny("17:05:03", "fw1", *REPLY, protocol="udp"),                   # 7: UDP
    deny("17:05:04", "fw1", REPLY[1][:-5], REPLY[0][:-6], protocol="icmp"),  # 8: ICMP
    deny("17:06:00", "fw1", REPLY[1], REPLY[0], acl="outside_in"),     # 9: other direction
])


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return kit.read_firewall_log(LOG.encode(), progress=False)


def test_a_deny_after_a_teardown_of_its_endpoints_is_deny_no_connection(frame):
    denies = frame[frame["event"] == "deny-no-connection"]
    assert denies["line"].tolist() == [4, 9]
    assert denies["msg_id"].astype(str).tolist() == ["106023", "106023"]
    assert denies["device"].astype(str).tolist() == ["fw1", "fw1"]
    assert denies["time"].tolist() == [pd.Timestamp("2024-06-02 17:05:00", tz="UTC"),
                                       pd.Timestamp("2024-06-02 17:06:00", tz="UTC")]
    # the higher port is the client's side (src), whichever way the packet went
    assert denies[["src_if", "src_ip", "src_port", "dst_if", "dst_ip", "dst_port"]].astype(
        object).values.tolist() == [["dmz", "192.0.2.10", 50412, "outside", "198.51.100.20",
                                     1556]] * 2
    assert denies["reason"].astype(str).tolist() == ["access-group dmz_in",
                                                     "access-group outside_in"]
    assert denies["protocol"].astype(str).tolist() == ["tcp", "tcp"]
    assert denies["conn_id"].isna().all() and denies["duration"].isna().all()


def test_unmatched_denies_stay_ignored_and_every_line_is_counted(frame):
    report = frame.attrs["load_report"]
    (file,) = report.files
    assert (file.read, file.parsed, file.ignored, file.rejected) == (9, 4, 5, 0)
    assert file.read == file.parsed + file.ignored + file.rejected
    assert dict(file.ignored_by_key) == {"106023": 5}
    assert len(frame) == file.parsed
    # no category left over from a dropped candidate
    assert list(frame["reason"].cat.categories) == [
        "Conn-timeout", "access-group dmz_in", "access-group outside_in"]
    assert list(frame["device"].cat.categories) == ["fw1"]


def test_sessions_resumed_is_the_first_matching_deny(frame):
    sessions = kit.sessions(frame)
    assert len(sessions) == 1
    assert sessions["resumed"].iloc[0] == pd.Timestamp("2024-06-02 17:05:00", tz="UTC")


def test_counts_are_per_file_and_teardowns_match_across_files():
    """A deny in a second file follows a teardown in the first; the unmatched one is counted
    in the file it was read from."""
    first = BUILT.format(dev="fw1") + TEARDOWN.format(dev="fw1")
    second = deny("17:05:00", "fw1", *REPLY) + deny("17:05:02", "fw1", "dmz:10.0.0.1/1",
                                                    REPLY[1])
    frame = kit.read_firewall_log([first.encode(), second.encode()], progress=False)
    files = frame.attrs["load_report"].files
    assert [(f.read, f.parsed, f.ignored) for f in files] == [(2, 2, 0), (2, 1, 1)]
    assert [dict(f.ignored_by_key) for f in files] == [{}, {"106023": 1}]
    assert frame["event"].astype(str).tolist() == ["built", "teardown", "deny-no-connection"]


def test_a_load_of_only_unmatched_denies_has_no_events():
    with pytest.raises(kit.ParseError, match="2 ignored"):
        kit.read_firewall_log((deny("17:05:00", "fw1", *REPLY) * 2).encode(), progress=False)


def test_a_damaged_tcp_deny_is_rejected_naming_the_layout():
    log = (BUILT.format(dev="fw1")
           + "Jun  2 2024 17:05:00 fw1 : %ASA-4-106023: Deny tcp src outside:nowhere\n")
    report = kit.read_firewall_log(log.encode(), on_bad_lines="skip",
                                   progress=False).attrs["load_report"]
    assert (report.read, report.parsed, report.ignored, report.rejected) == (2, 1, 0, 1)
    assert "106023: message not understood" in report.rejects[0].reason


def test_matching_without_any_candidate_returns_none():
    ports = np.array([1556, 50412], np.uint16)
    addresses = pa.chunked_array([pa.array(["192.0.2.10", "198.51.100.20"], pa.large_string())])
    teardowns = np.full(2, MESSAGE_IDS.index("302014"), np.int8)
    assert unmatched_acl_denies(teardowns, np.zeros(2, np.int32), ports, ports[::-1], addresses,
                                addresses, np.zeros(2, np.int64)) is None


def test_identity_users_after_the_ports_are_read():
    log = (BUILT.format(dev="fw1") + TEARDOWN.format(dev="fw1")
           + deny("17:05:00", "fw1", "dmz:192.0.2.10/50412(LOCAL\\backup)",
                  "outside:198.51.100.20/1556(LOCAL\\svc)"))
    frame = kit.read_firewall_log(log.encode(), progress=False)
    assert frame["event"].astype(str).tolist()[-1] == "deny-no-connection"
    assert np.array_equal(frame["line"].to_numpy(dtype=np.int64), [1, 2, 3])


def test_106015_and_106023_in_one_block_keep_line_order():
    log = (TEARDOWN.format(dev="fw1") + deny("17:05:00", "fw1", *REPLY)
           + "Jun  2 2024 17:05:01 fw1 : %ASA-6-106015: Deny TCP (no connection) from "
             "192.0.2.10/50412 to 198.51.100.20/1556 flags PSH ACK  on interface dmz\n")
    frame = kit.read_firewall_log(log.encode(), progress=False)
    assert frame["msg_id"].astype(str).tolist() == ["302014", "106023", "106015"]
    assert frame["reason"].astype(str).tolist()[1:] == ["access-group dmz_in", "flags PSH ACK"]
    assert frame["line"].tolist() == [1, 2, 3]


#: the RE2 rules the compiled deny layouts replace (kit.firewall.denies before issue 16)
_OLD_106015 = re.compile(
    r"^Deny (?:TCP|tcp) \(no connection\) from (?P<ip1>[^/\s]+)/(?P<port1>\d{1,5}) "
    r"to (?P<ip2>[^/\s]+)/(?P<port2>\d{1,5})(?: flags (?P<flags>[A-Z ]*?))?"
    r"\s+on interface (?P<if1>[^\s]+)[ \t\r]*$")
_OLD_106023 = re.compile(
    r"^Deny (?:tcp|TCP) src (?P<if1>[^:\s]+):(?P<ip1>[^/\s]+)/(?P<port1>\d{1,5})"
    r"(?:\([^)\n]*\))? dst (?P<if2>[^:\s]+):(?P<ip2>[^/\s]+)/(?P<port2>\d{1,5})"
    r"(?:\([^)\n]*\))? by access-group \"(?P<acl>[^\"\n]*)\"[^\n]*$")
_FLAGS = ["", " flags PSH ACK ", " flags ", " flags  ", " flags SYN", " flags A B \t",
          " flags ack ", "\t", " flags PSH on interface x"]
_BODIES_106015 = [
    f"Deny {proto} (no connection) from {a}/{p} to 10.0.0.1/{q}{flags}{gap}on interface {iface}"
    for proto in ("TCP", "tcp", "UDP") for a in ("192.0.2.1", "2001:db8::1", "a b")
    for p, q in (("80", "1556"), ("65536", "1"), ("123456", "2"), ("0", "65535"))
    for flags in _FLAGS for gap in (" ", "  ", "") for iface in ("dmz", "dmz \r", "d z", "")]
_BODIES_106023 = [
    f'Deny {proto} src {src}:{a}/{p}{user} dst outside:10.0.0.1/{q}{user} by access-group '
    f'"{acl}"{tail}'
    for proto in ("tcp", "TCP", "udp") for src in ("dmz", "in side", "") for a in
    ("192.0.2.1", "2001:db8::1") for p, q in (("80", "1556"), ("65536", "1"), ("123456", "2"))
    for user in ("", "(LOCAL\\svc)", "(x", "()") for acl in ("dmz_in", "", 'a"b')
    for tail in (" [0x0, 0x0]", "", "\r")]


def _compiled(body: str, read) -> dict | None:
    data = np.frombuffer(body.encode(), np.uint8)
    out = np.full(DENY_FIELDS, -1, np.int64)
    if not read(data, 0, len(data), out):
        return None

    def text(at: int) -> str | None:
        return None if out[at] < 0 else body[out[at]:out[at + 1]]

    return {"ip1": text(denies.IP1), "port1": int(out[denies.PORT1]), "ip2": text(denies.IP2),
            "port2": int(out[denies.PORT2]), "if1": text(denies.IF1), "if2": text(denies.IF2),
            "note": text(denies.NOTE)}


def _old(body: str, pattern: re.Pattern, note: str) -> dict | None:
    found = pattern.match(body)
    if found is None or int(found["port1"]) > 65535 or int(found["port2"]) > 65535:
        return None
    fields = found.groupdict()
    return {"ip1": fields["ip1"], "port1": int(fields["port1"]), "ip2": fields["ip2"],
            "port2": int(fields["port2"]), "if1": fields["if1"], "if2": fields.get("if2"),
            "note": (fields[note] or "").strip(" ")}


def test_the_compiled_deny_layouts_read_what_the_regular_expressions_read():
    """Each tricky 106015/106023 body (flags or none, tabs, CR, 6-digit and out-of-range ports,
    identity users, empty names) is read exactly as the RE2 rules they replace read it."""
    for bodies, read, pattern, note in ((_BODIES_106015, read_deny, _OLD_106015, "flags"),
                                        (_BODIES_106023, read_acl_deny, _OLD_106023, "acl")):
        matched = 0
        for body in bodies:
            assert _compiled(body, read) == _old(body, pattern, note), body
            matched += _old(body, pattern, note) is not None
        assert 0 < matched < len(bodies)


def test_endpoints_match_in_either_order_across_blocks_on_the_same_device_only():
    """The matching's pre-filter (a hash of device and endpoints per block) keeps every true
    match: reversed endpoints in another block match; another device, another address on the
    same ports, or a deny before the teardown do not."""
    teardown, deny = MESSAGE_IDS.index("302014"), MESSAGE_IDS.index("106023")
    blocks = [  # (msg, device, ip1, port1, ip2, port2, time)
        [(teardown, 0, "192.0.2.10", 50412, "198.51.100.20", 1556, 10)],
        [(deny, 0, "198.51.100.20", 1556, "192.0.2.10", 50412, 20),   # reversed: kept
         (deny, 1, "198.51.100.20", 1556, "192.0.2.10", 50412, 20),   # other device
         (deny, 0, "198.51.100.21", 1556, "192.0.2.10", 50412, 20),   # other address
         (deny, 0, "192.0.2.10", 50412, "198.51.100.20", 1556, 5)],   # before the teardown
    ]
    rows = [row for block in blocks for row in block]
    msg, device, port1, port2, time = (np.array([r[k] for r in rows], dtype) for k, dtype in
                                       ((0, np.int8), (1, np.int32), (3, np.uint16),
                                        (5, np.uint16), (6, np.int64)))
    ip1, ip2 = (pa.chunked_array([pa.array([r[k] for r in block], pa.large_string())
                                  for block in blocks]) for k in (2, 4))
    with ThreadPoolExecutor(2) as pool:
        dropped = unmatched_acl_denies(msg, device, port1, port2, ip1, ip2, time, pool)
    assert dropped.tolist() == [2, 3, 4]
