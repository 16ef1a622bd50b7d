"""Cisco leniency (issue point 8): any non-space header host token, and a parenthesised token on
a UDP teardown (302016) is the user, not a reason. Other deviations stay counted rejects."""

from __future__ import annotations

import pandas as pd
import pytest

from kit.firewall.reasons import read_reason
from tests.firewall.helpers import read, row

TCP = ("%ASA-6-302014: Teardown TCP connection 7 for outside:192.0.2.1/51234 to "
       "inside:10.0.0.5/1556 duration 1:01:27 bytes 1546 Conn-timeout")
UDP = ("%ASA-6-302016: Teardown UDP connection 11758 for outside:100.66.80.32/53 to "
       "inside:172.31.98.44/56132 duration 0:00:00 bytes 148")


@pytest.mark.parametrize("host", ["<IP>", "-", "[redacted]", "fw01,dc", "host_$1"])
def test_any_non_space_host_token_is_the_device(host: str) -> None:
    r = row(f"<166>Jun 26 18:04:40 {host} : {TCP}", year=2024)
    assert (r.device, r.close, r.bytes) == (host, "idle-timeout", 1546)


def test_a_udp_teardowns_parenthesised_token_is_its_user() -> None:
    r = row(f"Jun 26 18:04:40 fw01 : {UDP} (LOCAL\\jdoe)", year=2024)
    assert r.user == "LOCAL\\jdoe"
    assert pd.isna(r.reason) and pd.isna(r.close)
    assert read_reason("(jdoe)", udp=True).user == "jdoe"


def test_the_legacy_parenthesised_tcp_reason_is_still_a_reason() -> None:
    r = row(f"Jun 26 18:04:40 fw01 : {TCP.replace('Conn-timeout', '(Conn-timeout)')}",
            year=2024)
    assert (r.reason, r.close) == ("Conn-timeout", "idle-timeout")
    assert pd.isna(r.user)


def test_more_than_two_host_tokens_stay_a_counted_reject() -> None:
    report = read(f"Jun 26 18:04:40 relay one two {TCP}\nJun 26 18:04:40 fw : {TCP}\n",
                  year=2024).attrs["load_report"]
    assert (report.parsed, report.rejected) == (1, 1)
    assert "unrecognised syslog header" in report.rejects[0].reason
