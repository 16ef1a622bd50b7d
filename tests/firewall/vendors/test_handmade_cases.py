"""A FortiGate and an SRX incident written by hand (``handmade``), worked as a user would:
``load_case``, the Findings and the remedy table say the vendor's own words and commands, never
Cisco's; a case with an ASA and a FortiGate names each."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import kit
from kit.analysis.format import hms
from tests.firewall.vendors.handmade import ASA, FORTIGATE_INCIDENT, SRX_INCIDENT, write_case

#: words a non-Cisco user must not meet
CISCO_WORDS = ("Built", "Teardown", "ASA", "show running-config", "timeout conn", "Relay header",
               "set connection timeout", "106015")
INCIDENTS = {
    "fortinet": (FORTIGATE_INCIDENT, "FortiGate 200F", pd.Timedelta(hours=1),
                 ["0:10:00", "0:00:30", "0:00:01", None, "1:00:45", "1:01:42", "1:00:30"]),
    "juniper": (SRX_INCIDENT, "SRX1500", pd.Timedelta(minutes=30),
                [None, "0:10:00", "0:00:30", "0:00:08", "0:30:50", "0:31:45", "0:30:30"]),
}


@pytest.fixture(scope="module", params=list(INCIDENTS))
def incident(request, tmp_path_factory):
    lines, model, _, _ = INCIDENTS[request.param]
    folder = tmp_path_factory.mktemp(request.param) / "case"
    write_case(folder, lines, model=model)
    return request.param, kit.load_case(folder)


def test_the_lines_read_into_the_frame(incident) -> None:
    vendor, case = incident
    frame = case.connections
    report = case.load_report
    assert (report.read, report.rejected) == (13, 0)
    assert list(frame["vendor"]) == [vendor] * 7
    durations = [None if pd.isna(d) else hms(d) for d in frame["duration"]]
    assert durations == INCIDENTS[vendor][3]
    idle = frame[(frame["close"] == "idle-timeout").fillna(False).to_numpy(bool)]
    assert list(idle["dst_port"]) == [1556, 1556, 13724]
    assert list(idle["time"].dt.strftime("%H:%M:%S")) == ["01:30:05", "01:41:10", "01:52:00"]


def test_findings_speak_the_vendors_words(incident) -> None:
    vendor, case = incident
    text = str(kit.case_findings(case))
    for word in CISCO_WORDS:
        assert word not in text, (word, text)
    start, end = {"fortinet": ("session start", "session end"),
                  "juniper": ("RT_FLOW_SESSION_CREATE", "RT_FLOW_SESSION_CLOSE")}[vendor]
    assert f"Loaded 7 connection events (1 {start}, 6 {end}) from 1 firewall file" in text
    timeout = INCIDENTS[vendor][2]
    assert case.timeout.value == timeout and case.timeout.source == "inferred"
    assert "3 of 5 TCP teardowns (60.0%) were idle-timeout teardowns" in text
    if vendor == "fortinet":  # its local date/time and UTC eventtime: not a relay's offset
        assert "Date/time minus eventtime on fgt-dmz-01: +1:00:00" in text
        assert "clock offset date/time minus eventtime [fgt-dmz-01]: +1:00:00" in str(
            case.load_report)


def test_remedies_name_the_vendors_commands_for_every_scope_port(incident) -> None:
    vendor, case = incident
    table = kit.compare_remedies(case)
    caveats = " ".join(table["caveats"])
    for word in CISCO_WORDS:
        assert word not in caveats, word
    scoped = table.loc["firewall-timeout-scoped", "caveats"]
    if vendor == "fortinet":
        assert ("`edit 1` / `set protocol 6` / `set start-port 1556` / `set end-port 1556` / "
                "`set timeout 7920` / `next` / `edit 2` / `set protocol 6` / `set start-port "
                "13724`") in scoped
        assert "FortiGate: no equivalent on this device" in table.loc["dcd", "caveats"]
    else:
        assert ("`set applications application backup-1556 protocol tcp destination-port 1556 "
                "inactivity-timeout 7920`; `set applications application backup-13724") in scoped
        assert "Junos SRX: no equivalent on this device" in table.loc["dcd", "caveats"]
    assert table.loc["dcd", "prevented"] == 0


def test_a_case_with_an_asa_and_a_fortigate_names_both(tmp_path: Path) -> None:
    folder = tmp_path / "case"
    write_case(folder, FORTIGATE_INCIDENT, model="FortiGate 200F and ASA 5525-X")
    (folder / "firewall" / "asa.log").write_text(ASA + "\n")
    text = (folder / "case.toml").read_text().replace("[firewall]\n",
                                                      '[firewall]\nidle_timeout = "0:20:00"\n')
    (folder / "case.toml").write_text(text)
    case = kit.load_case(folder)
    findings = str(kit.case_findings(case))
    assert "(1 Built/session start, 7 Teardown/session end)" in findings
    assert ("Cisco ASA/FTD: check `show running-config timeout` (`timeout conn`) and any "
            "policy-map class") in findings
    assert "; FortiGate: check `show system session-ttl` (`set default`)" in findings
    scoped = kit.compare_remedies(case).loc["firewall-timeout-scoped", "caveats"]
    assert "ASA/FTD: `access-list backup-ports" in scoped
    assert "FortiGate: `config system session-ttl`" in scoped
    dcd = kit.compare_remedies(case).loc["dcd", "caveats"]
    assert "ASA/FTD: `set connection timeout idle" in dcd
    assert "FortiGate: no equivalent on this device" in dcd


def test_a_file_no_vendor_recognises_shows_each_vendors_line(tmp_path: Path) -> None:
    """A PAN-OS user whose export is CEF is not told only what an ASA line looks like."""
    from kit.firewall.vendors import VENDORS, detect_text

    for name, entry in VENDORS.items():
        assert detect_text(entry.example) == name  # each example is a line of its vendor
    cef = ("<14>Mar  2 02:30:06 fw-edge-01 CEF:0|Palo Alto Networks|PAN-OS|10.2|end|TRAFFIC|1|"
           "src=192.0.2.10 dst=198.51.100.20 spt=50412 dpt=1556 cs6=aged-out\n")
    (tmp_path / "pan.cef").write_text(cef * 3)
    with pytest.raises(kit.ParseError) as caught:
        kit.read_firewall_log(tmp_path, on_bad_lines="skip", progress=False)
    message = str(caught.value)
    for entry in VENDORS.values():
        assert f"{entry.description}: {entry.example!r}" in message
    assert "CEF and LEEF exports are not read: send the firewall's own syslog" in message


def test_another_vendors_lines_in_a_file_are_named_not_silently_ignored(tmp_path: Path) -> None:
    """A relay writing an ASA and a FortiGate into one file: the file is read as its majority
    vendor, and the load report says how many lines of the other were not read and why."""
    from tests.firewall.vendors.handmade import FORTIGATE, PAN

    (tmp_path / "relay.log").write_text("\n".join([ASA, ASA, PAN, FORTIGATE]) + "\n")
    frame = kit.read_firewall_log(tmp_path, on_bad_lines="skip", tz="+01:00", year=2026,
                                  progress=False)
    report = frame.attrs["load_report"]
    assert list(frame["vendor"]) == ["cisco-asa"] * 2
    assert report.read == report.parsed + report.ignored + report.rejected == 4
    (note,) = report.files[0].problems
    assert note.startswith(
        "its first 4 lines hold 1 Palo Alto PAN-OS TRAFFIC CSV line and 1 FortiGate traffic "
        "key=value line, but the file is read as Cisco ASA / PIX / FWSM / FTD syslog: those "
        "lines are not read")
    # forced to the wrong vendor: the error says what the file holds, first
    (tmp_path / "relay.log").write_text(PAN + "\n")
    with pytest.raises(kit.ParseError, match="its only line is 1 Palo Alto PAN-OS TRAFFIC CSV "
                                             "line, but the file is read as Cisco"):
        kit.read_firewall_log(tmp_path, vendor="cisco", progress=False)


def test_an_estimate_from_durations_says_where_the_vendor_leaves_it_unproven(incident) -> None:
    vendor, case = incident
    expected = {
        "fortinet": "Note: a FortiGate `duration` may or may not include the idle wait (not "
                    "confirmed yet): confirm it with `show system session-ttl` (`set default`).",
        "juniper": "Note: an SRX `elapsed-time` may or may not include the idle wait (not "
                   "confirmed yet), so SRX logs alone do not prove the timeout: confirm it with "
                   "`show configuration applications`"}[vendor]
    assert expected in case.timeout.explanation
    assert case.timeout.estimate.method == "duration pile-up"
