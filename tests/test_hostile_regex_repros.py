"""The issue's hang reproductions (issue 15 points 1 and 2), with the values they must give."""

from __future__ import annotations

import time

import pytest

import kit
from kit.firewall.reasons import read_reason
from kit.hosts.text import command_of, prompt_of

TEARDOWN = (b"Jun  4 20:08:10 fw01 : %ASA-6-302014: Teardown TCP connection 1 for a:10.0.0.1/1 "
            b"to b:10.0.0.2/2 duration 1:00:49 bytes 5 X")


@pytest.mark.parametrize("run", [b" " * 100_000, b"\t" * 65_000, b" " * 1_000_000])
def test_a_teardown_reason_with_a_whitespace_run_reads_in_linear_time(run: bytes) -> None:
    start = time.perf_counter()
    frame = kit.read_firewall_log(TEARDOWN + run + b"Y\n", progress=False)
    assert time.perf_counter() - start < 10  # was 31-43 s for 65k-100k, never ended for 1 MB
    assert frame.reason[0] == "X" + run.decode() + "Y"
    assert (frame.close[0], frame.duration[0].total_seconds()) == ("other", 3649)


def test_reason_user_and_interface_still_split_with_runs_inside() -> None:
    blanks = " " * 200_000
    assert read_reason(f"TCP FINs{blanks}from outside{blanks}(jdoe)").user == "jdoe"
    got = read_reason(f"TCP FINs{blanks}from outside{blanks}(jdoe)")
    assert (got.reason, got.close) == ("TCP FINs", 1)
    odd = read_reason(f"Conn-timeout{blanks}(a(b)")  # as the old regex: the last (...) is a user
    assert (odd.reason, odd.user) == (f"Conn-timeout{blanks}(a", "b")
    assert read_reason("(Conn-timeout)").reason == "Conn-timeout"
    assert read_reason("a (b) (c)") == read_reason("a (b) (c)")
    assert (read_reason("a (b) (c)").reason, read_reason("a (b) (c)").user) == ("a (b)", "c")


@pytest.mark.parametrize("run", [10_000, 20_000, 1_000_000])
def test_a_keepalive_export_with_a_whitespace_run_reads_in_linear_time(run: int) -> None:
    content = b"net.ipv4.tcp_keepalive_time = 600\n" + b" " * run + b"x\n"
    start = time.perf_counter()
    frame = kit.read_keepalive({"name": "h1.sysctl.txt", "content": content},
                               on_bad_lines="skip")
    assert time.perf_counter() - start < 10  # 10k spaces took 42 s, 20k never ended
    assert frame.host.tolist() == ["h1"]
    assert frame.keepalive_time[0].total_seconds() == 600


def test_a_socket_listing_with_a_whitespace_run_reads_in_linear_time() -> None:
    content = (b"$ ss -tino\nState Recv-Q Send-Q Local Address:Port Peer Address:Port\n"
               b"ESTAB 0 0 10.0.0.5:40000 192.0.2.1:443 timer:(keepalive,7min,0)\n"
               + b" " * 1_000_000 + b"x\n")
    start = time.perf_counter()
    frame = kit.read_sockets({"name": "h1.ss.txt", "content": content}, on_bad_lines="skip")
    assert time.perf_counter() - start < 10
    assert frame.timer_remaining[0].total_seconds() == 420


def test_commands_and_prompts_are_still_read_after_the_rewrite() -> None:
    assert command_of("root@web01:~# sudo -n sysctl -a   ") == "sysctl -a"
    assert prompt_of("  root@web01:~#  cat /proc/sys/net/ipv4/tcp_keepalive_time") == \
        "root@web01:~#"
    assert command_of("sysctl" + " " * 100_000 + "x") == "sysctl" + " " * 100_000 + "x"
    assert command_of(" " * 100_000 + "x") is None
