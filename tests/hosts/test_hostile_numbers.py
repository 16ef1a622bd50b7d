"""Huge numbers in socket listings are counted rejects, not an OverflowError deep in pandas
(found by the fuzz suite, tests/fuzz; issue 15 point 12)."""

from __future__ import annotations

import pandas as pd
import pytest

import kit

HEADER = "State Recv-Q Send-Q Local Address:Port Peer Address:Port\n"
GOOD = "ESTAB 0 0 10.0.0.5:40000 192.0.2.1:443 timer:(keepalive,7min,0)\n"


def _read(text: str):
    frame = kit.read_sockets({"name": "h1.ss.txt", "content": text.encode()},
                             on_bad_lines="skip")
    report = frame.attrs["load_report"]
    return frame, [r.reason for r in report.rejects]


@pytest.mark.parametrize(("line", "reason"), [
    ("ESTAB 0 0 10.0.0.5:40001 192.0.2.1:443 timer:(keepalive,"
     "10000000000000000000000000000000000000000min,0)",
     "ss timer expiry '10000000000000000000' is out of range (not a real timer)"),
    ("ESTAB 0 0 10.0.0.5:40001 192.0.2.1:443 timer:(keepalive,7min,18446744073709551616)",
     "probe count 18446744073709551616 is out of range (not a real counter)"),
    ("ESTAB 0 0 10.0.0.5:40001 192.0.2.1:443 timer:(keepalive,99999999999.5sec,0)",
     "ss timer expiry '99999999999.5sec' is out of range (not a real timer)"),
])
def test_huge_ss_timer_numbers_are_rejected(line: str, reason: str) -> None:
    frame, reasons = _read(HEADER + GOOD + line + "\n")
    assert len(frame) == 1 and frame.timer_remaining[0].total_seconds() == 420
    assert reasons == [reason]


def test_huge_netstat_timer_numbers_are_rejected() -> None:
    text = ("Active Internet connections (w/o servers)\n"
            "Proto Recv-Q Send-Q Local Address Foreign Address State Timer\n"
            "tcp 0 0 10.0.0.5:40000 192.0.2.1:443 ESTABLISHED keepalive (7190.12/0/0)\n"
            "tcp 0 0 10.0.0.5:40002 192.0.2.1:443 ESTABLISHED keepalive "
            "(99999999999999999999999/0/0)\n")
    frame, reasons = _read(text)
    assert frame.local_port.tolist() == [40000]
    assert len(reasons) == 1
    assert reasons[0].startswith("timer of 99999999999999999999 s is out of range")


def test_a_huge_probe_count_gives_a_century_not_an_overflow() -> None:
    """Found by the fuzz suite: 125 million probes overflowed time_to_detect in the frame."""
    content = b"net.ipv4.tcp_keepalive_probes=125142884\nnet.ipv4.tcp_keepalive_time=600\n"
    frame = kit.read_keepalive({"name": "h1.sysctl.txt", "content": content},
                               on_bad_lines="skip")
    assert frame.keepalive_probes[0] == 125142884
    assert frame.time_to_detect[0] == pd.Timedelta(days=36_500)
    assert "outside" in frame.warnings[0]  # the out-of-range probe count is still warned about
