"""Per-vendor evidence in ``infer_idle_timeout`` (idle_wait vs duration pile-up) and per-vendor
commands in the remedy table, on the shipped samples."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import kit
from kit.analysis import timeout_in_force
from kit.analysis.timeout import TimeoutEstimate
from kit.remedies.commands import FAMILIES, has_dcd, what_to_change

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
    assert "PAN-OS: no equivalent on this device" in table.loc["dcd", "caveats"]
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


def test_scoped_timeout_names_every_port() -> None:
    """Each scope port is matched, not only the first (ASA: an access list per port)."""
    for vendor in FAMILIES:
        text = what_to_change("firewall-timeout-scoped", [vendor],
                              timeout=pd.Timedelta(hours=2), ports=[1556, 13724])
        assert "1556" in text and "13724" in text, vendor
    asa = what_to_change("firewall-timeout-scoped", ["cisco-asa"],
                         timeout=pd.Timedelta(hours=2), ports=[1556, 13724])
    assert asa.count("`access-list backup-ports extended permit tcp any any eq ") == 2
    assert "`match access-list backup-ports`" in asa


def test_dcd_only_where_the_device_has_it() -> None:
    assert [name for name, f in FAMILIES.items() if f.remedies["dcd"]] == ["cisco"]
    vendors = pd.Series(["cisco-ftd", "paloalto", None, "netfilter"])
    assert list(has_dcd(vendors)) == [True, False, True, False]


def _disagreeing(vendors: tuple[str, ...]) -> str:
    """The timeout sentence when case.toml says 1:00:00 and the data 0:30:00."""
    estimate = TimeoutEstimate(pd.Timedelta(minutes=30), 12, None, "high", "EVIDENCE.",
                               vendors=vendors)
    return timeout_in_force(pd.Timedelta(hours=1), estimate).explanation


@pytest.mark.parametrize(("vendors", "expected", "absent"), [
    (("cisco-asa",), "Check `show running-config timeout` (`timeout conn`) and any policy-map "
                     "class with `set connection timeout idle`", "PAN-OS"),
    (("paloalto",), "Check `show session info` (the TCP timeout) and the application's TCP "
                    "timeout (Objects > Applications)", "running-config"),
    (("fortinet",), "Check `show system session-ttl` (`set default`) and the `config port` "
                    "entries", "running-config"),
    (("juniper",), "Check `show configuration applications`", "running-config"),
    (("netfilter",), "Check `sysctl net.netfilter.nf_conntrack_tcp_timeout_established` and "
                     "any `ct timeout` policy", "running-config"),
    ((), "Check `show running-config timeout`", "PAN-OS"),
])
def test_the_timeout_sentence_names_the_vendors_own_commands(vendors, expected, absent) -> None:
    text = _disagreeing(vendors)
    assert expected in text and absent not in text
    assert text.endswith(" for these ports.")


def test_a_mixed_case_names_each_vendors_commands() -> None:
    text = _disagreeing(("cisco-ftd", "juniper", "paloalto"))
    assert "Check Cisco ASA/FTD: check `show running-config timeout`" not in text
    assert ("Cisco ASA/FTD: check `show running-config timeout` (`timeout conn`)" in text
            and "; PAN-OS: check `show session info`" in text
            and "; Junos SRX: check `show configuration applications`" in text)
    # nothing stated, nothing inferred: where to read it, per product
    none = TimeoutEstimate(None, 0, None, "none", "", vendors=("fortinet", "paloalto"))
    assert timeout_in_force(None, none).explanation.endswith(
        "set [firewall] idle_timeout from PAN-OS: `show session info` (the TCP timeout); "
        "FortiGate: `show system session-ttl` (`set default`).")


def test_the_estimate_carries_the_vendors_of_the_whole_data(paloalto) -> None:
    assert kit.infer_idle_timeout(paloalto).vendors == ("paloalto",)
    assert paloalto.timeout.estimate.vendors == ("paloalto",)
    assert ("port 13724 waited 2:00:00 (2 teardowns): a timeout of its own, an application "
            "(App-ID) TCP timeout or a service-based session timeout."
            ) in paloalto.timeout.explanation
    assert "(PAN-OS Generated - Start - Elapsed)" in paloalto.timeout.explanation
