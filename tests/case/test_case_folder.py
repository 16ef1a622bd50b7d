"""new_case scaffolds a loadable folder; broken case folders give CaseErrors naming file and fix."""

from __future__ import annotations

import pytest

import kit
from kit import CaseError
from kit.case.settings import read_settings
from kit.cli import main


def test_new_case_scaffold(tmp_path):
    root = kit.new_case(tmp_path / "INC-7")
    assert sorted(p.name for p in root.iterdir()) == [
        "README.md", "case.toml", "firewall", "hosts", "inventory.csv", "sockets"]
    settings = read_settings(root / "case.toml")  # the commented template is valid TOML
    assert settings.id == "INC-7" and settings.idle_timeout is None
    readme = (root / "README.md").read_text()
    for command in ("sysctl net.ipv4.tcp_keepalive_time", "reg export HKLM\\SYSTEM",
                    "no -a | grep tcp_keep", 'echo "# ndd -get /dev/tcp $p"; ndd -get /dev/tcp $p',
                    "tcp_keepalive_interval tcp_keepalive_abort_interval",
                    "ipadm show-prop -p _keepalive_interval tcp", "tcp_ip_abort_interval",
                    "sysctl net.inet.tcp", "ss -tino", "show running-config timeout"):
        assert command in readme.replace("\\|", "|"), command
    assert "$(hostname)" in readme  # shell substitutions survive the template
    from kit.remedies.commands import FAMILIES

    for family in FAMILIES.values():  # every vendor the kit reads: what to collect, timeouts
        assert f"- **{family.product}**: {family.collect} Timeout in force: " \
               f"{family.show_timeout}" in readme, family.product
    assert "`show session info`" in readme and "`conntrack -E -o timestamp,extended,id" in readme
    assert (root / "inventory.csv").read_text() == "host,ip,role,os\n"


def test_new_case_id_and_refusals(tmp_path):
    root = kit.new_case(tmp_path / "x", case_id="INC-9")
    assert read_settings(root / "case.toml").id == "INC-9"
    with pytest.raises(CaseError, match="not an empty folder"):
        kit.new_case(root)
    with pytest.raises(CaseError, match="letters, digits"):
        kit.new_case(tmp_path / "y", case_id='bad"id')


def test_cli_new_case(tmp_path, capsys):
    assert main(["new-case", str(tmp_path / "c")]) == 0
    assert (tmp_path / "c" / "case.toml").is_file()
    assert main(["new-case", str(tmp_path / "c")]) == 2
    assert "not an empty folder" in capsys.readouterr().err


def test_missing_folder(tmp_path):
    with pytest.raises(CaseError, match=r"does not exist.*kit new-case"):
        kit.load_case(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    with pytest.raises(CaseError, match=r"is a file, not a folder"):
        kit.load_case(tmp_path / "file")


def test_empty_scaffold_asks_for_logs(tmp_path):
    root = kit.new_case(tmp_path / "c")
    with pytest.raises(CaseError, match=r"firewall: no firewall log files; copy"):
        kit.load_case(root)


def test_malformed_case_toml_stops_the_load(tmp_path):
    root = kit.new_case(tmp_path / "c")
    (root / "case.toml").write_text('[case]\nid = "x"\n[firewall\n')
    with pytest.raises(CaseError, match=r"case\.toml: not valid TOML.*line 3"):
        kit.load_case(root)


def test_missing_case_toml(tmp_path):
    root = kit.new_case(tmp_path / "c")
    (root / "case.toml").unlink()
    with pytest.raises(CaseError, match=r"no case\.toml"):
        kit.load_case(root)


@pytest.fixture
def sample_copy(tmp_path):
    import shutil
    from pathlib import Path

    sample = Path(__file__).resolve().parents[2] / "data" / "sample-incident"
    return Path(shutil.copytree(sample, tmp_path / "case"))


def test_bad_inventory_ip_stops_the_load(sample_copy):
    inventory = sample_copy / "inventory.csv"
    inventory.write_text(inventory.read_text().replace("10.20.1.10", "10.20.1.310"))
    with pytest.raises(CaseError, match=r"inventory\.csv:4: '10\.20\.1\.310' is not an IP"):
        kit.load_case(sample_copy)


def test_unknown_case_key_warns_and_loads(sample_copy):
    toml = sample_copy / "case.toml"
    toml.write_text(toml.read_text().replace("[firewall]", "[firewall]\ntimeout_conn = 5"))
    with pytest.warns(UserWarning, match=r"unknown key 'timeout_conn' in \[firewall\]"):
        case = kit.load_case(sample_copy)
    assert case.settings.idle_timeout.total_seconds() == 3600


def test_case_without_exports_or_sockets_warns_and_loads(sample_copy):
    import shutil

    shutil.rmtree(sample_copy / "hosts")
    shutil.rmtree(sample_copy / "sockets")
    shutil.rmtree(sample_copy / "jobs")
    (sample_copy / "inventory.csv").unlink()
    with pytest.warns(UserWarning, match=r"hosts: no keepalive exports"):
        case = kit.load_case(sample_copy)
    assert case.hosts.empty and case.sockets.empty and case.inventory.empty
    assert list(case.hosts.columns)[:4] == ["host", "os", "keepalive_time", "keepalive_interval"]
    assert list(case.inventory.columns) == ["host", "ip", "role", "os"]
    assert {f.kind for f in case.load_report.files} == {"firewall"}
    assert len(case.connections) > 0


def test_firewall_folder_without_log_lines_is_a_case_error(sample_copy):
    for log in (sample_copy / "firewall").iterdir():
        log.unlink()
    (sample_copy / "firewall" / "notes.csv").write_text("host,load\nweb01,50%\n")
    with pytest.raises(CaseError, match=r"firewall: .*no .*"):
        kit.load_case(sample_copy)


def test_load_report_covers_every_kind(sample_copy):
    case = kit.load_case(sample_copy)
    kinds = [f.kind for f in case.load_report.files]
    assert kinds.count("firewall") == 2 and kinds.count("hosts") == 10
    assert kinds.count("sockets") == 2
    report = case.load_report
    assert report.read == report.parsed + report.ignored + report.rejected
    assert "SAMPLE-NBU-DMZ" in repr(case) and "idle_timeout=0 days 01:00:00" in repr(case)
