"""Juniper SRX RT_FLOW (evidence-sources.md §5): structured data with any SD-ID and keys in any
order, the positional BSD form of older and newer Junos, reasons, CREATE as built, time rules."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.firewall.helpers import read, row, ts

SD = ('<14>1 2026-03-02T02:30:05.412+01:00 srx-dc-01 RT_FLOW - RT_FLOW_SESSION_CLOSE '
      '[junos@2636.1.1.1.2.40 reason="idle Timeout" source-address="192.0.2.10" '
      'source-port="50412" destination-address="198.51.100.20" destination-port="1556" '
      'protocol-id="6" policy-name="backup-pbx" source-zone-name="dmz" '
      'destination-zone-name="backup" session-id-32="48213" bytes-from-client="120320" '
      'bytes-from-server="64000" elapsed-time="1805" username="N/A"]')
BSD = ("<14>Mar  2 02:30:05 srx-dc-01 RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed idle "
       "Timeout: 192.0.2.10/50412->198.51.100.20/1556 0x0 None 192.0.2.10/50412->"
       "198.51.100.20/1556 0x0 N/A N/A N/A N/A 6 backup-pbx dmz backup 48213 230(120320) "
       "182(64000) 1805 UNKNOWN UNKNOWN N/A N/A ge-0/0/2.0 No")
#: older Junos: no 0x0 connection tags, two NAT-rule tokens, nothing after elapsed
OLD = ("<14>Mar  2 02:30:05 srx-dc-01 RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed idle "
       "Timeout: 192.0.2.10/50412->198.51.100.20/1556 junos-pbx 192.0.2.10/50412->"
       "198.51.100.20/1556 None None 6 backup-pbx dmz backup 48213 230(120320) 182(64000) 1805")


def check(r: pd.Series, time: str = "2026-03-02 01:30:05") -> None:
    assert (r.time, r.device, r.vendor, r.msg_id, r.event, r.protocol, r.conn_id) == (
        ts(time), "srx-dc-01", "juniper", "RT_FLOW_SESSION_CLOSE", "teardown", "tcp", "48213")
    assert (r.src_ip, r.src_port, r.src_if, r.dst_ip, r.dst_port, r.dst_if) == (
        "192.0.2.10", 50412, "dmz", "198.51.100.20", 1556, "backup")
    assert (r.duration, r.bytes, r.reason, r.close) == (
        pd.Timedelta(seconds=1805), 184320, "idle Timeout", "idle-timeout")
    assert pd.isna(r.active) and pd.isna(r.user)  # elapsed-time's meaning is [U] (§5.3)


def test_structured_form_with_its_offset() -> None:
    check(row(SD, tz="Asia/Tokyo"), "2026-03-02 01:30:05.412")


def test_structured_keys_in_any_order_and_any_sd_id() -> None:
    head, data = SD.split("[", 1)
    pairs = re.findall(r'[\w-]+="[^"]*"', data)
    shuffled = head + "[junos@2636.1.1.1.2.129 " + " ".join(reversed(pairs)) + "]"
    check(row(shuffled), "2026-03-02 01:30:05.412")


@pytest.mark.parametrize("text", [BSD, OLD, BSD.replace(" 0x0 ", " ", 1)])
def test_positional_forms_with_and_without_connection_tags(text: str) -> None:
    check(row(text, tz="+01:00", year=2026))


@pytest.mark.parametrize(("reason", "close"), [
    ("idle Timeout", "idle-timeout"), ("IDLE TIMEOUT", "idle-timeout"), ("TCP FIN", "fin"),
    ("TCP CLIENT RST", "reset"), ("TCP SERVER RST", "reset"), ("TCP RST", "reset"),
    ("Denied by policy", "policy"), ("application failure or action", "other"),
    ("IDP", "other"), ("Closed by junos-alg", "other"), ("response received", "other"),
    ("unset", "other"), ("ICMP error", "other"),
])
def test_reasons_case_insensitive_with_spaces(reason: str, close: str) -> None:
    for text in (BSD.replace("idle Timeout", reason), SD.replace("idle Timeout", reason)):
        r = row(text, year=2026)
        assert (r.reason, r.close) == (reason, close)


def test_create_is_a_built_and_other_rt_flow_messages_are_ignored() -> None:
    create = ("<14>Mar  2 01:00:00 srx-dc-01 RT_FLOW: RT_FLOW_SESSION_CREATE: session created "
              "192.0.2.10/50412->198.51.100.20/1556 0x0 junos-pbx 192.0.2.10/50412->"
              "198.51.100.20/1556 0x0 N/A N/A N/A N/A 6 backup-pbx dmz backup 48213 N/A(N/A) "
              "ge-0/0/2.0 UNKNOWN")
    deny = ("<14>Mar  2 01:00:01 srx-dc-01 RT_FLOW: RT_FLOW_SESSION_DENY: session denied "
            "192.0.2.10/50413->198.51.100.20/23 junos-telnet 6(0) deny-all dmz backup")
    frame = read("\n".join([create, deny, BSD]) + "\n", tz="+01:00", year=2026)
    assert list(frame.event) == ["built", "teardown"]
    assert (frame.time.iloc[0], frame.conn_id.iloc[0], frame.src_port.iloc[0]) == (
        ts("2026-03-02 00:00:00"), "48213", 50412)
    assert pd.isna(frame.duration.iloc[0])
    assert dict(frame.attrs["load_report"].ignored_by_key) == {"RT_FLOW_SESSION_DENY": 1}


def test_bsd_stamps_are_year_less_and_roll_over() -> None:
    dec = BSD.replace("Mar  2", "Dec 31")
    jan = BSD.replace("Mar  2", "Jan  1")
    frame = read(f"{dec}\n{jan}\n", year=2025)
    assert list(frame.time) == [ts("2025-12-31 02:30:05"), ts("2026-01-01 02:30:05")]


def test_damaged_messages_are_rejected_naming_the_layout() -> None:
    frame = read(BSD[:140] + "\n" + BSD + "\n", year=2026)
    report = frame.attrs["load_report"]
    assert (len(frame), report.rejected) == (1, 1)
    assert "session message not understood" in report.rejects[0].reason
