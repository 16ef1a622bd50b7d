"""A case made from scratch like a user's (``tests/incident_case.py``): each host is one host
however its exports spell it, contradictory exports and silent captures reach the Findings, and
``kit open`` copies the notebooks into the case without touching the shipped ones."""

from __future__ import annotations

import html
import re
import warnings

import nbformat
import pandas as pd
import pytest
from incident_case import make_incident

import kit
from kit.cli import main
from kit.notebooks import NOTEBOOKS, templates_dir
from kit.units import canonical_names, host_key, same_host


@pytest.fixture(scope="module")
def incident(tmp_path_factory):
    root = make_incident(tmp_path_factory.mktemp("cases") / "inc-4711")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return kit.load_case(root)


def test_host_identity_is_one_rule():
    assert host_key("SAP-WIN01") == host_key("sap-win01.corp.example.com.") == "sap-win01"
    assert host_key("10.0.0.1") == "10.0.0.1" and host_key(" ") is None and host_key(None) is None
    assert same_host("DMZ-WIN01", "dmz-win01") and not same_host("dmz-win01", "dmz-win02")
    names = pd.Series(["SAP-WIN01", "db01.corp", "other"], dtype="string")
    assert list(canonical_names(names, ["sap-win01", "DB01"])) == ["sap-win01", "DB01", "other"]


def test_each_host_is_one_host_in_every_table(incident):
    hosts = list(incident.hosts["host"])
    assert "dmz-win01" in hosts and "DMZ-WIN01" not in hosts and len(set(hosts)) == len(hosts)
    win = incident.hosts.set_index("host").loc["dmz-win01"]
    assert (win.os, win.keepalive_time) == ("windows", pd.Timedelta(hours=2))
    pairs = kit.affected(incident)
    assert pairs["at_risk"].notna().all()  # no <NA> for the upper-case export's host
    win_pairs = pairs.loc[(pairs["src"] == "dmz-win01") | (pairs["dst"] == "dmz-win01")]
    assert len(win_pairs) and win_pairs["at_risk"].all()


def test_the_inventorys_os_settles_an_ndd_transcript(incident):
    sol = incident.hosts.set_index("host").loc["dmz-sol01"]
    assert (sol.os, sol.keepalive_time) == ("solaris", pd.Timedelta(minutes=30))
    assert sol.time_to_detect == pd.Timedelta(minutes=38)  # Solaris' 8-minute abort interval


def test_findings_name_each_host_once_with_the_warned_values(incident):
    text = "\n".join(kit.remedy_findings(incident).sentences)
    assert "DMZ-WIN01" not in text
    at_risk = next(s for s in kit.remedy_findings(incident).sentences if "are at risk" in s)
    assert at_risk.count("dmz-win01 (windows, 2:00:00)") == 1
    assert not re.search(r"No keepalive value for [^.]*dmz-win01", text)
    warned = next(s for s in kit.remedy_findings(incident).sentences
                  if s.startswith("Check the keepalive export of dmz-web01"))
    assert "set twice (line 1: 7200, line 4: 600)" in warned
    assert warned.endswith("its risk is judged on the worst value found (keepalive time 2:00:00).")


def test_a_state_established_capture_gives_coverage(incident):
    assert set(incident.sockets["state"]) == {"established"}
    coverage = kit.keepalive_coverage(incident.sockets)
    assert sorted(zip(coverage["service"], coverage["coverage"], strict=True)) == [
        ("pbx", "none"), ("ssh", "all"), ("vnetd", "none")]


def test_kit_open_copies_parameterised_notebooks_and_keeps_the_users_work(tmp_path, capsys):
    shipped = {name: (templates_dir() / name).read_bytes() for name in NOTEBOOKS}
    case = make_incident(tmp_path / "case")
    assert main(["open", str(case), "--no-lab"]) == 0
    printed = capsys.readouterr().out
    assert "jupyter lab --notebook-dir=" in printed and "--ServerApp.ip=127.0.0.1" in printed
    for name in NOTEBOOKS:
        notebook = nbformat.read(case / "notebooks" / name, as_version=4)
        injected = [c for c in notebook.cells
                    if "injected-parameters" in c.metadata.get("tags", [])]
        assert len(injected) == 1 and 'case_dir = ".."' in injected[0].source
        assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
        assert str(tmp_path) not in (case / "notebooks" / name).read_text()
        assert (templates_dir() / name).read_bytes() == shipped[name]
    first = case / "notebooks" / NOTEBOOKS[0]
    first.write_text(first.read_text().replace("Pick and load the case", "my notes"))
    assert main(["open", str(case), "--no-lab"]) == 0
    assert "my notes" in first.read_text()  # a second open keeps the filled-in notebooks


def test_kit_open_refuses_a_folder_that_is_not_a_case(tmp_path, capsys):
    assert main(["open", str(tmp_path), "--no-lab"]) == 2
    assert "not a case folder (no case.toml)" in capsys.readouterr().err


def test_mean_open_connections_has_one_definition_and_the_logs_span(incident):
    today = kit.concurrency(kit.sessions(incident))
    table = kit.compare_remedies(incident)
    assert table.index[0] == "today"
    assert today.mean == pytest.approx(table.loc["today", "mean_connections"])
    assert today.peak == table.loc["today", "peak_connections"]
    first_event = incident.connections["time"].min()
    assert today.window[0] >= first_event and today.open.index[0] >= first_event.floor("1min")


def test_display_tz_shows_times_in_the_cases_zone_labelled(incident):
    import dataclasses

    assert incident.settings.display_tz == "UTC"  # the firewall's tz when not stated
    eastern = dataclasses.replace(incident, settings=dataclasses.replace(
        incident.settings, display_tz="America/New_York"))
    text = " ".join(kit.duration_findings(eastern).sentences)
    utc = " ".join(kit.duration_findings(incident).sentences)
    assert "2024-06-04 21:08 EDT" in text and "2024-06-05 01:08 UTC" in utc
    assert "busiest hour began at" in text and "EDT (" in text
    shown = repr(kit.findings.table(kit.affected(kit.sessions(eastern)), eastern))
    assert "first (EDT)" in shown and "2024-06-04 21:08:09" in shown
    assert eastern.connections["time"].dt.tz is not None  # stored times stay UTC
    assert str(eastern.connections["time"].dt.tz) == "UTC"


def test_tables_show_whole_values_in_words(incident):
    risk = kit.keepalive_risk(incident.hosts, "1:00:00")
    shown = kit.findings.table(risk, incident)._repr_html_()
    linux = risk.loc[risk["os"] == "linux", "commands"].iloc[0]
    assert linux.count("\n") == 1 and html.escape(linux) in shown  # whole, one per line
    assert 'reg add &quot;HKLM\\SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters&quot; ' \
           "/v KeepAliveTime /t REG_DWORD /d 900000 /f" in shown
    assert "…" not in shown and "<th>at risk</th>" in shown and ">at risk</td>" in shown
    assert "True" not in shown and "<NA>" not in shown and "n/a" not in shown
    assert "<th>keepalive time (first probe after, H:MM:SS)</th>" in shown
    assert "white-space: pre-wrap" in shown


def test_sentences_follow_the_cases_numbers_and_plurals(incident):
    import dataclasses

    events = incident.connections
    one = events.loc[(events["device"] == events["device"].iloc[0]).to_numpy(dtype=bool)]
    single = dataclasses.replace(incident, connections=one)
    for case in (incident, single):
        text = " ".join(kit.case_findings(case).sentences)
        assert not re.search(r"(?<![\d,.])1 (?:[\w-]+ )?(?:devices|hosts|files|teardowns|"
                             r"sessions|lines|events)\b", text), text
        assert "1-hour" not in text
    assert " of 1 device (" in " ".join(kit.teardown_findings(single).sentences)
