"""kit.services: the one port table, merged with a case's [services]."""

from __future__ import annotations

import pytest

from kit.services import BUILTIN_SERVICES, NETBACKUP_PORTS, service_table


def test_the_netbackup_ports_of_domain_md():
    assert {p: BUILTIN_SERVICES[p] for p in sorted(NETBACKUP_PORTS)} == {
        1556: "pbx", 1557: "pbx", 2821: "vrts-at", 4032: "vrts-auth", 10082: "spoold",
        10102: "spad", 13720: "bprd", 13724: "vnetd", 13782: "bpcd"}
    assert (BUILTIN_SERVICES[22], BUILTIN_SERVICES[53], BUILTIN_SERVICES[443]) == \
        ("ssh", "dns", "https")


def test_a_case_adds_and_overrides_services():
    table = service_table({8081: "catalog", "443": "tls-proxy"})
    assert table[8081] == "catalog" and table[443] == "tls-proxy"
    assert table[1556] == "pbx" and BUILTIN_SERVICES[443] == "https"


def test_a_port_out_of_range_is_a_clear_error():
    with pytest.raises(ValueError, match=r"70000 is outside 1\.\.65535"):
        service_table({70000: "nope"})
