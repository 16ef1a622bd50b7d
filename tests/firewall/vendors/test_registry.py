"""The vendor seam: detection per file, a mixed folder into one frame and one report, forcing a
vendor, and the load-report invariant for any bytes fed to any vendor."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kit import read_firewall_log
from kit.firewall.vendors import VENDORS, detect_text
from tests.firewall.helpers import check_counts, read
from tests.firewall.vendors.test_fortinet import line as fortinet_line
from tests.firewall.vendors.test_juniper import BSD as SRX
from tests.firewall.vendors.test_netfilter import DESTROY
from tests.firewall.vendors.test_paloalto import BSD as PAN_HEAD
from tests.firewall.vendors.test_paloalto import ROW as PAN_ROW

ASA = ("Jun  2 16:54:07 fw01 : %ASA-6-302014: Teardown TCP connection 7 for outside:"
       "192.0.2.1/51234 to inside:10.0.0.5/1556 duration 1:01:27 bytes 1546 Conn-timeout")
SAMPLES = {"cisco": ASA, "paloalto": PAN_HEAD + PAN_ROW, "fortinet": fortinet_line(),
           "juniper": SRX, "netfilter": DESTROY}


@pytest.mark.parametrize("name", list(SAMPLES))
def test_each_vendor_is_detected_from_its_lines(name: str) -> None:
    noise = "Mar  2 02:30:05 host01 sshd[42]: Accepted publickey for root\n"
    assert detect_text(noise + SAMPLES[name] + "\n" + noise) == name


def test_unrecognised_text_goes_to_cisco_whose_report_says_what_was_expected() -> None:
    assert detect_text("hello\nworld\n") == "cisco"


def test_a_mixed_folder_reads_into_one_frame_and_one_report_in_file_order(tmp_path: Path) -> None:
    for k, (name, text) in enumerate(SAMPLES.items()):
        (tmp_path / f"{k}-{name}.log").write_text(text + "\n" + text + "\n")
    frame = read(tmp_path, year=2026)
    report = frame.attrs["load_report"]
    assert [Path(f.source).name for f in report.files] == [
        f"{k}-{name}.log" for k, name in enumerate(SAMPLES)]
    assert (report.read, report.parsed, report.rejected) == (10, 10, 0)
    assert list(frame.vendor) == ["cisco-asa"] * 2 + [
        v for v in ("paloalto", "fortinet", "juniper", "netfilter") for _ in range(2)]
    assert list(frame.line) == [1, 2] * 5
    assert list(frame.close) == ["idle-timeout"] * 10


def test_vendor_forces_every_file(tmp_path: Path) -> None:
    path = tmp_path / "pan.log"
    path.write_text(PAN_HEAD + PAN_ROW + "\n")
    assert read(path, vendor="paloalto").vendor.iloc[0] == "paloalto"
    with pytest.raises(ValueError, match="vendor='checkpoint' is not supported"):
        read_firewall_log(path, vendor="checkpoint")


def test_a_file_forced_to_the_wrong_vendor_is_a_reported_problem(tmp_path: Path) -> None:
    both = tmp_path / "a.log"
    both.write_text(ASA + "\n" + DESTROY + "\n")
    frame = read(both, vendor="netfilter")
    report = frame.attrs["load_report"]
    assert (len(frame), report.ignored, report.rejected) == (1, 1, 0)  # ASA line: non-firewall
    other = tmp_path / "b.log"
    other.write_text(SRX + "\n")
    frame = read([other, both], vendor="netfilter")
    said, lost = frame.attrs["load_report"].files[0].problems  # what it holds, then the loss
    assert said.startswith("its only line is 1 Juniper SRX RT_FLOW line, but the file is read "
                           "as Linux conntrack -E -o timestamp,extended,id")
    assert lost == ("no Linux conntrack -E -o timestamp,extended,id lines recognised in this "
                    "file (vendor forced or detected from its first lines)")
    assert frame.attrs["load_report"].files[1].problems[0].startswith(
        "its first 2 lines hold 1 Cisco ASA / PIX / FWSM / FTD syslog line, but")


@pytest.mark.parametrize("name", [n for n in VENDORS if n != "cisco"])
@settings(max_examples=40, deadline=None)
@given(data=st.binary(max_size=600), keep=st.booleans())
def test_any_bytes_keep_the_invariant(name: str, data: bytes, keep: bool) -> None:
    payload = (SAMPLES[name].encode() + b"\n" if keep else b"") + data
    try:
        frame = read_firewall_log(payload, vendor=name, on_bad_lines="skip", progress=False)
    except ValueError as exc:  # ParseError: nothing at all to read
        assert "no firewall connection events" in str(exc)
        return
    check_counts(frame.attrs["load_report"])
    assert frame.attrs["load_report"].parsed == len(frame)


@st.composite
def damaged(draw, text: str) -> bytes:
    """``text`` with a few characters a parser keys on inserted, replaced or cut out."""
    chars = list(text)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(chars)))
        action = draw(st.sampled_from(["insert", "delete", "cut"]))
        if action == "insert":
            chars.insert(at, draw(st.sampled_from(list('",= []{}:/()\t0123456789x'))))
        elif action == "delete" and chars:
            del chars[min(at, len(chars) - 1)]
        else:
            chars = chars[:at]
    return "".join(chars).encode()


@pytest.mark.parametrize("name", [n for n in VENDORS if n != "cisco"])
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_damaged_lines_keep_the_invariant(name: str, data) -> None:
    lines = [data.draw(damaged(SAMPLES[name])) for _ in range(3)]
    payload = b"\n".join([*lines, SAMPLES[name].encode()]) + b"\n"
    frame = read_firewall_log(payload, vendor=name, on_bad_lines="skip", progress=False,
                              year=2026)
    report = frame.attrs["load_report"]
    check_counts(report)
    assert report.read == 4 and report.parsed == len(frame) >= 1
