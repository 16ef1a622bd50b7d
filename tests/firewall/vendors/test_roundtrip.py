"""Hypothesis round trips: connections rendered by ``kit.synth.vendorlogs`` in every vendor's
forms read back to the same values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kit import read_firewall_log
from kit.synth.vendorlogs import CLOSE, END_KINDS, PLAN_COLUMNS, render
from tests.firewall.helpers import check_counts

FORMS = [("paloalto", "bsd"), ("paloalto", "rfc5424"), ("paloalto", "octet"),
         ("paloalto", "forwarder"), ("fortinet", "bsd"), ("fortinet", "glued"),
         ("juniper", "bsd"), ("juniper", "bsd-old"), ("juniper", "structured"),
         ("netfilter", "bsd")]
T0 = 1772409600  # 2026-03-02 00:00 UTC


@st.composite
def plans(draw) -> pd.DataFrame:
    n = draw(st.integers(1, 12))
    rows = []
    for k in range(n):
        kind = draw(st.sampled_from(END_KINDS))
        start = T0 + draw(st.integers(0, 86_400))
        length = draw(st.integers(0, 200_000))
        ip = st.ip_addresses(v=draw(st.sampled_from([4, 6]))).map(str)
        rows.append({
            "device": draw(st.sampled_from(["fw-a", "fw-b.example.net"])), "conn_id": str(
                1000 + k), "protocol": "udp" if kind == "udp" else "tcp",
            "src_ip": draw(ip), "src_port": draw(st.integers(1, 65535)),
            "src_if": draw(st.sampled_from(["dmz", "trust-2"])), "dst_ip": draw(ip),
            "dst_port": draw(st.integers(1, 65535)), "dst_if": "backup", "start": start,
            "busy_until": start + length // 2, "end": start + length,
            "bytes": 0 if kind == "syn" else draw(st.integers(120, 10**12)), "end_kind": kind,
            "app": draw(st.sampled_from(["nbu", "ssl", "dns"]))})
    return pd.DataFrame(rows, columns=list(PLAN_COLUMNS))


@pytest.mark.parametrize(("vendor", "form"), FORMS)
@settings(max_examples=10, deadline=None)
@given(plan=plans(), offset_h=st.integers(-10, 12))
def test_rendered_connections_read_back(vendor: str, form: str, plan: pd.DataFrame,
                                        offset_h: int) -> None:
    lines = render(plan, vendor, offset_s=offset_h * 3600, form=form)
    data = ("\n".join(lines["text"]) + "\n").encode()
    zone = f"{'-' if offset_h < 0 else '+'}{abs(offset_h):02d}:00"
    frame = read_firewall_log(data, progress=False, on_bad_lines="error", tz=zone, year=2026)
    check_counts(frame.attrs["load_report"])
    got = frame[frame["event"] == "teardown"].set_index("conn_id").loc[plan["conn_id"]]
    assert list(got["src_ip"]) == list(plan["src_ip"])
    assert list(got["dst_port"]) == list(plan["dst_port"])
    assert list(got["src_port"]) == list(plan["src_port"])
    device = {"netfilter": "<bytes>", "forwarder": "013201009999"}  # file name; serial
    assert list(got["device"]) == [device.get(vendor, device.get(form, d))
                                   for d in plan["device"]]
    expected_close = [CLOSE[vendor][k] for k in plan["end_kind"]]
    assert [c if isinstance(c, str) else None for c in got["close"]] == expected_close
    seconds = (got["duration"].dt.total_seconds()).to_numpy()
    assert np.allclose(seconds, (plan["end"] - plan["start"]).to_numpy(), atol=1)
    assert list(got["bytes"].astype("int64")) == list(plan["bytes"])
    ends = got["time"].dt.tz_convert(None).to_numpy().astype("M8[s]").astype(np.int64)
    assert list(ends) == list(plan["end"])
    if vendor == "paloalto":  # the idle wait of an idle teardown is its silence
        idle = (plan["end_kind"] == "idle").to_numpy()
        wait = got["idle_wait"].dt.total_seconds().to_numpy()[idle]
        assert list(wait) == list((plan["end"] - plan["busy_until"]).to_numpy()[idle])


@pytest.mark.parametrize(("vendor", "form"), FORMS)
def test_small_blocks_read_the_same_frame(vendor: str, form: str, monkeypatch) -> None:
    """Files span many blocks: line numbers, conntrack's per-file close inference and the
    frame are the same whatever the block size."""
    import kit.firewall.reader as reader
    from kit.synth.vendorlogs import random_plan

    plan = random_plan(np.random.default_rng(5), 150)
    data = ("\n".join(render(plan, vendor, offset_s=3600, form=form)["text"]) + "\n").encode()
    whole = read_firewall_log(data, progress=False, tz="+01:00", year=2026)
    monkeypatch.setattr(reader, "BLOCK_BYTES", 4096)
    pieces = read_firewall_log(data, progress=False, tz="+01:00", year=2026)
    assert len(whole) >= 150
    pd.testing.assert_frame_equal(whole, pieces)
    check_counts(pieces.attrs["load_report"])
