"""Per-vendor evidence in ``infer_idle_timeout`` (idle_wait vs duration pile-up) and per-vendor
commands in the remedy table, on the shipped samples."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import kit
from kit.remedies.commands import COMMANDS, has_dcd, what_to_change

DATA = Path(__file__).parents[3] / "data"


@pytest.fixture(scope="module")
def paloalto():
    return kit.load_case(DATA / "sample-paloalto")


def test_sample_paloalto_global_and_per_application_timeouts_from_idle_wait(paloalto) -> None:
    estimate = kit.infer_idle_timeout(paloalto)
    assert (estimate.method, estimate.value, estimate.by_port, estimate.n) == (
        "idle_wait", pd.Timedelta(hours=1), {13724: pd.Timedelta(hours=2)}, 5)
    assert "port 13724 waited 2:00:00 (2 teardowns)" in estimate.explanation


def test_cisco_sample_keeps_the_duration_pile_up() -> None:
    estimate = kit.infer_idle_timeout(kit.load_case(DATA / "sample-incident"))
    assert (estimate.method, estimate.value, estimate.by_port) == (
        "duration pile-up", pd.Timedelta(hours=1), {})


def test_remedies_name_pan_os_commands_and_dcd_does_not_apply(paloalto) -> None:
    table = kit.compare_remedies(paloalto)
    assert "deviceconfig setting session timeout-tcp" in table.loc["firewall-timeout", "caveats"]
    assert "service-based session timeout" in table.loc["firewall-timeout-scoped", "caveats"]
    assert "paloalto: no equivalent on this device" in table.loc["dcd", "caveats"]
    assert (table.loc["dcd", "prevented"], table.loc["keepalive", "prevented"]) == (0, 7)


@pytest.mark.parametrize(("vendor", "text"), [
    ("cisco-asa", "`set connection timeout idle 1:00:00`"),
    ("fortinet", "`set session-ttl 3600`"),
    ("juniper", "inactivity-timeout 3600"),
    ("netfilter", "established 3600 assigned to ports 1556"),
    ("paloalto", "TCP timeout 3600 s"),
])
def test_scoped_timeout_commands_per_vendor(vendor: str, text: str) -> None:
    assert text in what_to_change("firewall-timeout-scoped", [vendor],
                                  timeout=pd.Timedelta(hours=1), ports=[1556])


def test_dcd_only_where_the_device_has_it() -> None:
    assert [name for name, c in COMMANDS.items() if c["dcd"]] == ["cisco"]
    vendors = pd.Series(["cisco-ftd", "paloalto", None, "netfilter"])
    assert list(has_dcd(vendors)) == [True, False, True, False]
