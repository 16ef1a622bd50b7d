"""Host names (content, host=, file name) and two files of one host merging into one row."""

from __future__ import annotations

import pytest

import kit

from .conftest import check_invariant, seconds

SYSCTL = b"net.ipv4.tcp_keepalive_time = 600\n"


@pytest.mark.parametrize(("content", "host"), [
    (b"root@dmz-web01:~# sysctl net.ipv4.tcp_keepalive_time\n", "dmz-web01"),
    (b"[root@web02.corp.example ~]# sysctl net.ipv4.tcp_keepalive_time\n", "web02"),
    (b"$ hostname\nnbu-client5.corp.example\n", "nbu-client5"),
    (b"Linux app07 5.15.0-91-generic #101-Ubuntu SMP x86_64 GNU/Linux\n", "app07"),
    (b"kernel.hostname = db11\n", "db11"),
    (b"hostname: label-host\n", "label-host"),
    (b"aix02:/ # no -o tcp_keepidle\n", "aix02"),
])
def test_host_from_content(content, host):
    df = kit.read_keepalive({"name": "fallback.txt", "content": content + SYSCTL})
    assert df.host.iloc[0] == host


def test_host_from_file_name_up_to_first_dot(tmp_path):
    path = tmp_path / "dmz-web01.sysctl.txt"
    path.write_bytes(SYSCTL)
    assert kit.read_keepalive(path).host.iloc[0] == "dmz-web01"


def test_explicit_host_beats_the_file_name_but_not_the_content(tmp_path):
    path = tmp_path / "export.txt"
    path.write_bytes(SYSCTL)
    assert kit.read_keepalive(path, host="nbu-client3").host.iloc[0] == "nbu-client3"
    named = tmp_path / "named.txt"
    named.write_bytes(b"kernel.hostname = real01\n" + SYSCTL)
    row = kit.read_keepalive(named, host="other").iloc[0]
    assert row.host == "real01"
    assert "host='other' ignored: the export names 'real01'" in row.warnings


def test_unnamed_buffer_without_host_asks_for_it():
    with pytest.raises(kit.ParseError, match=r"cannot tell which host .* pass host="):
        kit.read_keepalive(SYSCTL)


def test_two_names_in_one_file_use_the_first_and_say_so():
    data = b"kernel.hostname = first01\nroot@second02:~# sysctl -a\n" + SYSCTL
    row = kit.read_keepalive(data).iloc[0]
    assert row.host == "first01"
    assert "also names second02; first01 is used" in row.warnings


def test_two_files_of_one_host_merge_into_one_row(tmp_path):
    (tmp_path / "web05.sysctl.txt").write_bytes(b"net.ipv4.tcp_keepalive_time = 600\n")
    (tmp_path / "web05.proc.txt").write_bytes(
        b"/proc/sys/net/ipv4/tcp_keepalive_intvl:20\n/proc/sys/net/ipv4/tcp_keepalive_probes:3\n")
    df = kit.read_keepalive(tmp_path)
    assert len(df) == 1
    row = df.iloc[0]
    assert (seconds(row.keepalive_time), seconds(row.keepalive_interval),
            row.keepalive_probes, seconds(row.time_to_detect)) == (600, 20, 3, 660)
    assert row.defaulted == "" and row.warnings == ""
    assert row.source == f"{tmp_path / 'web05.sysctl.txt'}, {tmp_path / 'web05.proc.txt'}"
    check_invariant(df.attrs["load_report"])


def test_conflicting_values_warn_naming_both_files(tmp_path):
    first, second = tmp_path / "web06.a.txt", tmp_path / "WEB06.b.txt"
    first.write_bytes(b"net.ipv4.tcp_keepalive_time = 600\n")
    second.write_bytes(b"x\nnet.ipv4.tcp_keepalive_time = 1800\n")
    df = kit.read_keepalive([first, second])
    assert len(df) == 1
    row = df.iloc[0]
    assert row.host == "web06" and seconds(row.keepalive_time) == 1800
    assert row.warnings == (
        f"tcp_keepalive_time conflicts: 600 s (10 min) in {first}:1 vs 1,800 s (30 min) in "
        f"{second}:2; which one is in force is uncertain, so the worst, 1,800 s (30 min), is used")


def test_same_host_with_two_oses_is_a_file_problem(tmp_path):
    (tmp_path / "mix01.a.txt").write_bytes(SYSCTL)
    (tmp_path / "mix01.b.txt").write_bytes(b"tcp_keepidle = 1200\n")
    with pytest.warns(UserWarning, match="1 file problem"):
        df = kit.read_keepalive(tmp_path)
    assert list(df.os) == ["linux"]
    problem = df.attrs["load_report"].problems[0]
    assert "host 'mix01' has exports of two OSes: Linux (" in problem
    assert f"and AIX ({tmp_path / 'mix01.b.txt'})" in problem
    with pytest.raises(kit.ParseError, match="rename one file"):
        kit.read_keepalive(tmp_path, on_bad_lines="error")


def test_one_unreadable_file_in_a_directory_does_not_stop_the_others(tmp_path):
    (tmp_path / "good01.txt").write_bytes(SYSCTL)
    (tmp_path / "README.txt").write_bytes(b"collected on Tuesday\n")
    with pytest.warns(UserWarning, match="1 file problem"):
        df = kit.read_keepalive(tmp_path)
    assert list(df.host) == ["good01"]
    report = df.attrs["load_report"]
    check_invariant(report)
    readme = next(f for f in report.files if f.source.endswith("README.txt"))
    assert (readme.read, readme.ignored) == (1, 1)
    assert "pass os=" in readme.problems[0]


def test_compressed_and_uploaded_exports(tmp_path):
    import gzip
    path = tmp_path / "gz01.sysctl.txt.gz"
    path.write_bytes(gzip.compress(SYSCTL))
    assert seconds(kit.read_keepalive(path).keepalive_time.iloc[0]) == 600
    upload = ({"name": "up02.sysctl.txt", "content": memoryview(SYSCTL)},)
    assert kit.read_keepalive(upload).host.iloc[0] == "up02"
