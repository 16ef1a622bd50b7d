"""Every Cisco connection message and variant of issue 2, checked value by value."""

from __future__ import annotations

import pandas as pd
import pytest

from kit.firewall.reasons import close_class, read_reason
from kit.firewall.schema import CONNECTION_DTYPES

from .helpers import read, row, ts

H = "<166>Aug 28 2023 15:35:00 fw1 : "


def test_the_seed_line_legacy_fwsm_teardown() -> None:
    r = row("Jun  2 16:54:07 gwrouter Jun 02 2009 21:54:05 host.domain.example.com: "
            "%FWSM-6-302014: Teardown TCP connection 219048017 faddr 192.168.1.89/13724 "
            "gaddr 192.168.1.247/42962 laddr 192.168.1.247/42962 duration 1:01:27 bytes 1546 "
            "(Conn-timeout)", relay_tz="America/Chicago")
    assert r.time == ts("2009-06-02 21:54:05")
    assert (r.device, r.vendor, r.msg_id, r.event, r.protocol) == (
        "host.domain.example.com", "cisco-fwsm", "302014", "teardown", "tcp")
    assert r.conn_id == "219048017"
    # no Built: the lower port (vnetd 13724) is the service, so the local side initiated
    assert (r.src_ip, r.src_port, r.dst_ip, r.dst_port) == ("192.168.1.247", 42962,
                                                            "192.168.1.89", 13724)
    assert pd.isna(r.src_if) and pd.isna(r.dst_if)
    assert r.orientation == "port"
    assert r.duration == pd.Timedelta(seconds=3687)
    assert (r.bytes, r.reason, r.close) == (1546, "Conn-timeout", "idle-timeout")


def test_built_inbound_tcp_with_mapped_addresses() -> None:
    r = row(H + "%ASA-6-302013: Built inbound TCP connection 2960892904 for "
                "outside:198.51.100.7/51234 (203.0.113.7/51234) to inside:10.1.1.5/1556 "
                "(10.1.1.5/1556)")
    assert (r.event, r.protocol, r.conn_id) == ("built", "tcp", "2960892904")
    assert (r.src_if, r.src_ip, r.src_port) == ("outside", "198.51.100.7", 51234)
    assert (r.dst_if, r.dst_ip, r.dst_port) == ("inside", "10.1.1.5", 1556)
    assert r.orientation == "logged"
    assert pd.isna(r.duration) and pd.isna(r.bytes) and pd.isna(r.reason) and pd.isna(r.close)
    assert pd.isna(r.user)


def test_built_outbound_swaps_to_the_to_endpoint_as_initiator() -> None:
    r = row(H + "%ASA-6-302013: Built outbound TCP connection 7 for outside:192.0.2.1/443 "
                "(192.0.2.1/443) to inside:10.0.0.5/40000 (172.16.0.5/40000)")
    assert (r.src_if, r.src_ip, r.src_port) == ("inside", "10.0.0.5", 40000)
    assert (r.dst_if, r.dst_ip, r.dst_port) == ("outside", "192.0.2.1", 443)
    assert r.orientation == "logged"


def test_teardown_tcp_reason_from_interface_and_trailing_user() -> None:
    r = row(H + "%ASA-6-302014: Teardown TCP connection 7 for outside:192.0.2.1/443 to "
                "inside:10.0.0.5/40000 duration 0:00:34 bytes 1234 TCP FINs from outside (jdoe)")
    assert r.duration == pd.Timedelta(seconds=34)
    assert (r.bytes, r.reason, r.close, r.user) == (1234, "TCP FINs", "fin", "jdoe")


def test_udp_built_and_teardown_without_reason() -> None:
    frame = read(
        H + "%ASA-6-302015: Built outbound UDP connection 11758 for outside:100.66.80.32/53 "
            "(100.66.80.32/53) to inside:172.31.98.44/56132 (172.31.98.44/56132)\n"
        + H + "%ASA-6-302016: Teardown UDP connection 11758 for outside:100.66.80.32/53 to "
              "inside:172.31.98.44/56132 duration 0:00:00 bytes 148\n")
    assert list(frame.msg_id) == ["302015", "302016"]
    assert list(frame.protocol) == ["udp", "udp"]
    assert list(frame.orientation) == ["logged", "built"]
    for _, r in frame.iterrows():
        assert (r.src_ip, r.src_port, r.dst_ip, r.dst_port) == (
            "172.31.98.44", 56132, "100.66.80.32", 53)
    last = frame.iloc[1]
    assert (last.bytes, last.duration) == (148, pd.Timedelta(0))
    assert pd.isna(last.reason) and pd.isna(last.close)


def test_state_bypass_from_to_with_connection_timeout() -> None:
    r = row(H + "%ASA-6-302304: Teardown TCP state-bypass connection 2751765169 from "
                "server.deflan:81.2.69.144/54242 to server.deflan:81.2.69.144/9101 duration "
                "1:00:02 bytes 245 Connection timeout")
    assert (r.msg_id, r.event, r.conn_id) == ("302304", "teardown", "2751765169")
    assert (r.src_if, r.src_port, r.dst_port) == ("server.deflan", 54242, 9101)
    assert r.duration == pd.Timedelta(hours=1, seconds=2)
    assert (r.reason, r.close) == ("Connection timeout", "idle-timeout")


def test_state_bypass_built_reads_from_as_initiator() -> None:
    r = row(H + "%ASA-6-302303: Built TCP state-bypass connection 5 from inside:10.0.0.1/50000 "
                "to outside:192.0.2.9/22")
    assert (r.event, r.src_ip, r.dst_port, r.orientation) == ("built", "10.0.0.1", 22, "logged")


def test_fwsm_64_bit_connection_id_with_reset() -> None:
    r = row("%FWSM-6-302014: Teardown TCP connection 146454459412553183 for "
            "DMZ:172.16.0.20/1812 to inside:10.0.32.72/88 duration 0:00:00 bytes 1076 "
            "TCP Reset-I")
    assert (r.vendor, r.conn_id) == ("cisco-fwsm", "146454459412553183")
    assert (r.reason, r.close) == ("TCP Reset-I", "reset")


@pytest.mark.parametrize(("prefix", "vendor"), [
    ("%ASA-6-", "cisco-asa"), ("%PIX-6-", "cisco-pix"), ("%FWSM-6-", "cisco-fwsm"),
    ("%FTD-6-", "cisco-ftd"), ("%ASA-4-", "cisco-asa"), ("%ASA-session-6-", "cisco-asa"),
    ("%FTD-7-", "cisco-ftd")])
def test_prefixes_severities_and_class_tokens(prefix: str, vendor: str) -> None:
    r = row(H + prefix + "302014: Teardown TCP connection 9 for a:192.0.2.1/1 to b:192.0.2.2/2 "
                         "duration 0:00:01 bytes 2 TCP FINs")
    assert (r.vendor, r.msg_id, r.bytes) == (vendor, "302014", 2)


def test_ftd_probe_built() -> None:
    r = row(H + "%FTD-6-302013: Built inbound Probe TCP connection 3 for outside:192.0.2.1/5000 "
                "(192.0.2.1/5000) to inside:10.0.0.1/80 (10.0.0.1/80)")
    assert (r.vendor, r.src_port, r.dst_port) == ("cisco-ftd", 5000, 80)


@pytest.mark.parametrize("user", ["LOCAL\\testuser", "LOCAL\\testgroup\\testuser",
                                  "CORP\\svc-app1", "jdoe@example.com", "*****"])
def test_identity_users_glued_to_an_endpoint(user: str) -> None:
    teardown = row(H + "%ASA-6-302014: Teardown TCP connection 4 for outside:192.0.2.2/1234"
                       f"({user}) to inside:10.0.0.2/443 duration 0:01:00 bytes 10 TCP FINs")
    assert teardown.user == user
    assert (teardown.src_ip, teardown.src_port) == ("192.0.2.2", 1234)
    built = row(H + "%ASA-6-302013: Built inbound TCP connection 4 for outside:192.0.2.2/1234 "
                    f"(192.0.2.2/1234)({user}) to inside:10.0.0.2/443 (10.0.0.2/443)")
    assert (built.user, built.src_port, built.dst_ip) == (user, 1234, "10.0.0.2")


def test_identity_user_with_security_group_tag_keeps_the_name() -> None:
    r = row(H + "%ASA-6-302013: Built inbound TCP connection 4 for outside:192.0.2.2/1234 "
                "(192.0.2.2/1234)(LOCAL\\bob, 12:Guests) to inside:10.0.0.2/443 (10.0.0.2/443)")
    assert r.user == "LOCAL\\bob"


def test_initiator_user_wins_over_responder_and_aaa_user() -> None:
    r = row(H + "%ASA-6-302013: Built outbound TCP connection 4 for outside:192.0.2.2/443 "
                "(192.0.2.2/443)(LOCAL\\server) to inside:10.0.0.2/50000 (10.0.0.2/50000)"
                "(LOCAL\\client)")
    assert (r.src_ip, r.user) == ("10.0.0.2", "LOCAL\\client")


@pytest.mark.parametrize("interface", ["NP Identity Ifc", "dmz.servers", "vlan-20",
                                       "outside_2", "Inside Net 3"])
def test_interface_names_with_spaces_dots_hyphens(interface: str) -> None:
    r = row(H + f"%ASA-6-302014: Teardown TCP connection 1 for {interface}:192.0.2.1/53000 to "
                f"inside:10.0.0.1/1556 duration 0:00:05 bytes 9 TCP FINs")
    assert (r.src_if, r.src_ip, r.dst_if) == (interface, "192.0.2.1", "inside")


def test_ipv6_addresses() -> None:
    r = row(H + "%ASA-6-302014: Teardown TCP connection 1 for outside:2001:db8:a::1/50123 to "
                "inside:fd00:10:1::5/443 duration 0:00:05 bytes 9 TCP FINs")
    assert (r.src_if, r.src_ip, r.src_port) == ("outside", "2001:db8:a::1", 50123)
    assert (r.dst_if, r.dst_ip, r.dst_port) == ("inside", "fd00:10:1::5", 443)


def test_host_and_object_names_in_place_of_addresses() -> None:
    r = row(H + "%ASA-6-302014: Teardown TCP connection 1 for outside:myComputer1.myDomain.se/"
                "11946 to fw111:SDC_Proxy/8080 duration 0:00:05 bytes 9 TCP FINs")
    assert (r.src_ip, r.src_port, r.dst_ip, r.dst_port) == (
        "myComputer1.myDomain.se", 11946, "SDC_Proxy", 8080)


@pytest.mark.parametrize(("text", "seconds"), [("92:24:20", 92 * 3600 + 24 * 60 + 20),
                                               ("1193:00:00", 1193 * 3600), ("0:00:00", 0)])
def test_durations_past_24_hours(text: str, seconds: int) -> None:
    r = row(H + "%ASA-6-302016: Teardown UDP connection 1 for outside:192.0.2.1/53 to "
                f"inside:10.0.0.1/5353 duration {text} bytes 70")
    assert r.duration == pd.Timedelta(seconds=seconds)


@pytest.mark.parametrize(("reason", "close"), [
    ("Conn-timeout", "idle-timeout"), ("(Conn-timeout)", "idle-timeout"),
    ("Idle Timeout", "idle-timeout"), ("idle timeout", "idle-timeout"),
    ("Connection timeout", "idle-timeout"), ("CONN-TIMEOUT", "idle-timeout"),
    ("TCP FINs", "fin"), ("TCP Reset-I", "reset"), ("TCP Reset-O", "reset"),
    ("TCP Reset-APPLIANCE", "reset"), ("TCP Reset", "reset"), ("SYN Timeout", "syn-timeout"),
    ("FIN Timeout", "half-closed-timeout"), ("Deny Terminate", "policy"),
    ("Flow closed by inspection", "policy"), ("Flow terminated by IPS", "policy"),
    ("Flow reset by IPS", "policy"), ("Flow terminated by TCP Intercept", "policy"),
    ("Unauth Deny", "policy"), ("TCP Invalid SYN", "policy"), ("Xlate Clear", "other"),
    ("Tunnel has been torn down", "other"), ("aged-out", "other")])
def test_close_mapping(reason: str, close: str) -> None:
    r = row(H + "%ASA-6-302014: Teardown TCP connection 1 for outside:192.0.2.1/5000 to "
                f"inside:10.0.0.1/22 duration 1:00:03 bytes 5 {reason} from inside")
    assert r.close == close
    assert r.reason == reason.strip("()")


def test_reason_reader_keeps_vendor_words() -> None:
    assert read_reason("TCP Reset-O from NP Identity Ifc (bob)").reason == "TCP Reset-O"
    assert read_reason("TCP Reset-O from NP Identity Ifc (bob)").user == "bob"
    assert read_reason(None).reason is None
    assert close_class("  (Conn-timeout) ") == "idle-timeout"


def test_teardown_takes_its_builts_orientation_across_layouts_and_blocks() -> None:
    built = ("%FWSM-6-302013: Built outbound TCP connection 1152921504607847020 for "
             "outside:210.178.138.148/13724 (210.178.138.148/13724) to inside:10.195.182.28/9614 "
             "(10.195.182.28/9614)\n")
    teardown = ("%FWSM-6-302014: Teardown TCP connection 1152921504607847020 faddr "
                "210.178.138.148/13724 gaddr 10.195.182.28/9614 laddr 10.195.182.28/9614 "
                "duration 0:00:04 bytes 4183 (TCP FINs)\n")
    frame = read(teardown + built)  # the Built may come later (rotated files, any order)
    first = frame.iloc[0]
    assert first.orientation == "built"
    assert (first.src_ip, first.src_port, first.dst_ip, first.dst_port) == (
        "10.195.182.28", 9614, "210.178.138.148", 13724)


def test_teardown_matches_built_of_the_same_device_only() -> None:
    lines = ("<166>Aug 28 2023 15:35:00 fwA : %ASA-6-302013: Built inbound TCP connection 77 for "
             "outside:192.0.2.1/80 (192.0.2.1/80) to inside:10.0.0.1/50000 (10.0.0.1/50000)\n"
             "<166>Aug 28 2023 15:36:00 fwB : %ASA-6-302014: Teardown TCP connection 77 for "
             "outside:192.0.2.1/80 to inside:10.0.0.1/50000 duration 0:01:00 bytes 1 TCP FINs\n"
             "<166>Aug 28 2023 15:36:00 fwA : %ASA-6-302014: Teardown TCP connection 77 for "
             "outside:192.0.2.1/80 to inside:10.0.0.1/50000 duration 0:01:00 bytes 1 TCP FINs\n")
    frame = read(lines)
    assert list(frame.orientation) == ["logged", "port", "built"]
    # inbound Built: the outside client on port 80 initiated (unusual, so the port rule differs)
    assert list(frame.src_port) == [80, 50000, 80]


@pytest.mark.parametrize(("message", "key"), [
    ('%ASA-4-106023: Deny tcp src outside:192.0.2.1/5000 dst inside:10.0.0.1/22 by '
     'access-group "acl" [0x0, 0x0]', "106023"),
    ("%ASA-6-305011: Built dynamic TCP translation from inside:10.0.0.1/1772 to "
     "outside:192.0.2.44/8256", "305011"),
    ("%ASA-6-305012: Teardown dynamic TCP translation from inside:10.0.0.1/1454 to "
     "outside:192.0.2.44/8267 duration 0:00:30", "305012"),
    ("%ASA-6-302020: Built inbound ICMP connection for faddr 192.0.2.2/0 gaddr 81.2.69.144/2 "
     "laddr 10.10.10.10/2 type 8 code 0", "302020"),
    ("%ASA-6-302021: Teardown ICMP connection for faddr 192.0.2.2/0 gaddr 81.2.69.144/2 "
     "laddr 10.10.10.10/2 type 8 code 0", "302021"),
    ("%ASA-6-302010: 12 in use, 2000 most used", "302010"),
    ("%ASA-ip-4-313005: No matching connection for ICMP error message", "313005")])
def test_other_messages_are_ignored_per_message_id(message: str, key: str) -> None:
    frame = read(H + message + "\n" + H + "%ASA-6-302014: Teardown TCP connection 1 for "
                 "a:192.0.2.1/1 to b:192.0.2.2/2 duration 0:00:01 bytes 2\n")
    report = frame.attrs["load_report"]
    assert (report.read, report.parsed, report.ignored, report.rejected) == (2, 1, 1, 0)
    assert report.ignored_by_key == {key: 1}


def test_blank_and_other_programs_lines_are_ignored_under_their_own_keys() -> None:
    frame = read("\n   \n" "Jun  2 16:54:07 host sshd[123]: Accepted publickey for root\n"
                 "<13>2024-01-02T03:04:05Z host cron[1]: job done\n"
                 + H + "%ASA-6-302014: Teardown TCP connection 1 for a:192.0.2.1/1 to "
                 "b:192.0.2.2/2 duration 0:00:01 bytes 2\n")
    assert frame.attrs["load_report"].ignored_by_key == {"blank": 2, "non-firewall": 2}


def test_output_dtypes_are_the_schema() -> None:
    frame = read(H + "%ASA-6-302014: Teardown TCP connection 1 for a:192.0.2.1/1 to "
                 "b:192.0.2.2/2 duration 0:00:01 bytes 2\n")
    assert list(frame.columns) == list(CONNECTION_DTYPES)
    assert {c: str(t) for c, t in frame.dtypes.items()} == {
        c: str(pd.Series(dtype=t).dtype) for c, t in CONNECTION_DTYPES.items()}
    assert (frame.source.iloc[0], frame.line.iloc[0]) == ("<bytes>", 1)


def test_deny_no_connection_is_read_as_consequence_evidence():
    """106015 (a packet of a connection the firewall no longer knows) becomes an event row with
    its endpoints and flags; a damaged one is rejected naming the layout."""
    from kit import read_firewall_log

    lines = (
        b"Jun 05 2024 01:51:24 asa-dmz01: %ASA-6-106015: Deny TCP (no connection) from "
        b"10.20.1.12/47719 to 10.10.1.20/13724 flags PSH ACK  on interface dmz\n"
        b"Jun 05 2024 01:51:25 asa-dmz01: %ASA-6-106015: Deny TCP (no connection) from "
        b"10.10.1.20/1556 to 10.20.1.12/39197 flags RST  on interface inside\n"
        b"Jun 05 2024 01:51:26 asa-dmz01: %ASA-6-106015: Deny TCP (no connection) from "
        b"10.10.1.20/99999 to 10.20.1.12/1 flags RST  on interface inside\n"
        b"Jun 05 2024 01:51:27 asa-dmz01: %ASA-6-106015: Deny TCP from nowhere\n"
    )
    df = read_firewall_log(lines, on_bad_lines="skip", progress=False)
    assert df["event"].tolist() == ["deny-no-connection"] * 2
    assert df["msg_id"].astype(str).tolist() == ["106015"] * 2
    # the lower port is the service: the client's side becomes src
    assert df[["src_ip", "src_port", "dst_ip", "dst_port"]].values.tolist() == [
        ["10.20.1.12", 47719, "10.10.1.20", 13724], ["10.20.1.12", 39197, "10.10.1.20", 1556]]
    assert df["reason"].tolist() == ["flags PSH ACK", "flags RST"]
    assert df["conn_id"].isna().all() and df["duration"].isna().all()
    report = df.attrs["load_report"]
    assert (report.read, report.parsed, report.rejected) == (4, 2, 2)
    assert "106015: message not understood" in report.rejects[0].reason
