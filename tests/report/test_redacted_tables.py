"""Tables of a redacted case name each host with its inventory OS where the table shows no OS
(issue 11.13): ``client-1d78ee (aix)``; an unredacted case's tables are unchanged."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
from report_cases import KEY

import kit
from kit import findings
from kit.redaction import Redactor, check_redaction, redact_case
from kit.report.display import Table


def redactor_for(case) -> Redactor:
    r = Redactor(KEY)
    r.learn_roles(case.inventory)
    return r


@pytest.fixture
def aix_case(case):
    """The tiny case with db01 on AIX and the master's OS unknown to the inventory."""
    inventory = case.inventory.copy()
    inventory["os"] = ["aix", "", "aix"]
    return dataclasses.replace(case, inventory=inventory)


def test_a_redacted_case_says_so_and_the_original_does_not(case):
    assert redact_case(case, key=KEY).redacted is True
    assert case.redacted is False


def test_affected_and_sessions_tables_name_each_host_with_its_os(aix_case):
    red, r = redact_case(aix_case, key=KEY), redactor_for(aix_case)
    client, master = r.name("db01", "host"), r.name("nbu-master.corp.example", "host")
    assert client == "client-1d78ee"
    shown = findings.table(kit.affected(red), red)
    assert [row[:4] for row in shown.rows] == [[f"{client} (aix)", "client", master, "master"]]
    assert f"<td>{client} (aix)</td>" in shown._repr_html_()
    idle = red.sessions.loc[red.sessions["close"] == "idle-timeout", ["src_host", "dst_host"]]
    # the master has no OS in the inventory: its pseudonym alone
    assert findings.table(idle, red).rows == [[f"{client} (aix)", master]]


def test_a_table_that_shows_the_os_shows_the_pseudonym_alone(aix_case):
    red, r = redact_case(aix_case, key=KEY), redactor_for(aix_case)
    shown = findings.table(red.risk, red)
    hosts = [row[shown.columns.index("host")] for row in shown.rows]
    assert hosts == [r.name("db01", "host"), r.name("nbu-master.corp.example", "host")]


def test_an_unredacted_table_is_unchanged(aix_case):
    frame = kit.affected(aix_case)
    shown = findings.table(frame, aix_case)
    assert [row[0] for row in shown.rows] == ["db01"]
    assert shown.rows == Table(frame).rows


def test_every_spelling_of_a_host_gets_its_os_and_unknown_stays_unknown():
    frame = pd.DataFrame(
        {"client": ["CLIENT-1D78EE", "client-1d78ee.dom-0a1b2c", None, "client-ffffff"]})
    shown = Table(frame, host_os={"client-1d78ee": "aix"})
    assert [row[0] for row in shown.rows] == [
        "CLIENT-1D78EE (aix)", "client-1d78ee.dom-0a1b2c (aix)", "unknown", "client-ffffff"]


def test_several_oses_for_one_host_are_all_shown(aix_case):
    inventory = aix_case.inventory.copy()
    inventory["os"] = ["aix", "", "linux"]
    red = redact_case(dataclasses.replace(aix_case, inventory=inventory), key=KEY)
    shown = findings.table(kit.affected(red), red)
    assert shown.rows[0][0] == f"{redactor_for(aix_case).name('db01', 'host')} (aix/linux)"


def test_the_os_words_pass_the_leak_check(aix_case, tmp_path):
    red = redact_case(aix_case, key=KEY)
    page = tmp_path / "tables.html"
    page.write_text(findings.table(kit.affected(red), red)._repr_html_()
                    + findings.table(red.risk, red)._repr_html_())
    assert "(aix)" in page.read_text()
    assert check_redaction(page, aix_case) == []
