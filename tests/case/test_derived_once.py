"""The case derives its facts once: one sessions build per notebook run, one timeout and one set
of at-risk hosts in every table, Finding and notebook, and a stated timeout that the data
contradicts is used everywhere and said to be contradicted."""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest

import kit
from kit.analysis.format import hms
from kit.report import metadata_table
from kit.synth import generate_case

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("0[1-4]_*.ipynb"))
SAMPLE = ROOT / "data" / "sample-incident"


def _run_in_process(notebook: Path, case_dir: Path) -> dict:
    """Execute a notebook's code cells in one namespace (magics dropped), as a kernel would."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    namespace: dict = {"__name__": "__notebook__"}
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        source = "\n".join(line for line in source.splitlines() if not line.startswith("%"))
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            source += f"\ncase_dir = {str(case_dir)!r}"
        exec(compile(source, f"{notebook.name}", "exec"), namespace)
    return namespace


@pytest.fixture
def counted(monkeypatch):
    """Count the sessions builds (the work behind case.sessions / kit.sessions)."""
    module = sys.modules["kit.analysis.sessions"]
    calls = []
    real = module.build_sessions

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, "build_sessions", counting)
    return calls


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_a_notebook_run_builds_sessions_exactly_once(notebook, counted, tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    case = tmp_path / "case"
    shutil.copytree(SAMPLE, case, ignore=shutil.ignore_patterns(".kit"))
    namespace = _run_in_process(notebook, case)
    assert len(counted) == 1
    assert namespace["case"].timeout.value == pd.Timedelta(hours=1)
    again = _run_in_process(notebook, case)  # the next run reads them from the case's cache
    assert len(counted) == 1
    pd.testing.assert_frame_equal(again["case"].sessions, namespace["case"].sessions)


def test_same_timeout_and_at_risk_hosts_across_the_four_notebooks(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    case = tmp_path / "case"
    shutil.copytree(SAMPLE, case, ignore=shutil.ignore_patterns(".kit"))
    seen = []
    for notebook in NOTEBOOKS:
        loaded = _run_in_process(notebook, case)["case"]
        seen.append((loaded.timeout.value, loaded.timeout.source, loaded.at_risk_hosts))
    assert len(set(seen)) == 1
    timeout, source, hosts = seen[0]
    assert (timeout, source) == (pd.Timedelta(hours=1), "case.toml")
    truth = json.loads((SAMPLE / "truth.json").read_text())
    assert sorted(hosts) == sorted(truth["at_risk_hosts"])


@pytest.fixture(scope="module")
def contradicted(tmp_path_factory):
    """A generated case whose firewall timed out at 1 hour, while case.toml states 45 minutes."""
    folder = tmp_path_factory.mktemp("contradicted") / "case"
    truth = generate_case(folder, seed=5, days=2, clients=6, background_rate=20)
    toml = folder / "case.toml"
    text = re.sub(r"idle_timeout\s*=.*", 'idle_timeout = "0:45:00"', toml.read_text())
    toml.write_text(text)
    return kit.load_case(folder), truth


def test_a_contradicted_stated_timeout_is_used_everywhere_and_flagged(contradicted):
    case, truth = contradicted
    stated = pd.Timedelta(minutes=45)
    assert truth["timeout_s"] == 3600
    assert case.timeout.value == stated and case.timeout.source == "case.toml"
    assert case.timeout.disagrees and case.timeout.estimate.value == pd.Timedelta(hours=1)
    assert "0:45:00 (case.toml), used everywhere; the data disagrees: it suggests 1:00:00" \
        in str(case.timeout)

    # the tables
    assert (case.risk["firewall_timeout"] == stated).all()
    comparison = kit.compare_remedies(case)
    assert comparison.attrs["resolved"].firewall_timeout == stated
    flagged = kit.affected(case)
    at_risk_sides = set(flagged.loc[flagged["src_at_risk"].fillna(False), "src"]) | \
        set(flagged.loc[flagged["dst_at_risk"].fillna(False), "dst"])
    assert at_risk_sides <= set(case.at_risk_hosts)
    metadata = metadata_table(case).loc["Firewall idle timeout", "value"]
    assert metadata == "0:45:00 (stated in case.toml); the data disagrees: it suggests 1:00:00"

    # the Findings of every notebook
    first = str(kit.teardown_findings(case))
    assert "The firewall idle timeout is 0:45:00 (case.toml), used everywhere; the data " \
           "disagrees" in first
    durations = str(kit.duration_findings(case))
    assert "the 0:45:00 timeout (case.toml)" in durations
    assert "lived longer than the 0:45:00 timeout" in durations
    remedies = str(kit.remedy_findings(case, comparison))
    assert "firewall timeout 0:45:00" in remedies
    assert f"first keepalive probe at or after the {hms(stated)} timeout" in remedies
    whole = str(kit.case_findings(case, comparison))
    assert "1:00:00 timeout" not in whole.replace("suggests 1:00:00", "")


def test_kit_sessions_of_a_case_is_the_cached_frame(contradicted):
    case, _ = contradicted
    assert kit.sessions(case) is case.sessions
    assert kit.sessions(case, inventory=case.inventory.iloc[:0]) is not case.sessions


@pytest.fixture
def without_hosts(tmp_path):
    """The sample case without its keepalive exports (issue 15.5)."""
    folder = tmp_path / "case"
    shutil.copytree(SAMPLE, folder)
    shutil.rmtree(folder / "hosts")
    return folder


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_notebook_runs_without_keepalive_exports(notebook, without_hosts, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    with pytest.warns(UserWarning, match="no keepalive exports"):
        namespace = _run_in_process(notebook, without_hosts)
    case = namespace["case"]
    assert len(case.hosts) == 0 and case.at_risk_hosts == ()
    assert case.missing == ["no keepalive exports in hosts/: which hosts are at risk cannot be "
                            "judged, and the keepalive remedy changes no host (collect them as "
                            "the case README shows)"]


def test_remedies_and_findings_without_keepalive_exports_say_what_is_missing(without_hosts):
    with pytest.warns(UserWarning, match="no keepalive exports"):
        case = kit.load_case(without_hosts)
    table = kit.compare_remedies(case)
    assert table.loc["keepalive", ["prevented", "hosts_to_change"]].tolist() == [0, 0]
    assert table.loc["dcd", "prevented"] == table.loc["dcd", "victims"] == 10
    assert "The case has no keepalive exports (hosts/ is empty)" in \
        table.attrs["assumptions"]["changed_hosts"]["why"]
    assert str(kit.teardown_findings(case)).count("Missing: no keepalive exports in hosts/") == 1
    assert "No keepalive exports in hosts/: which hosts are at risk cannot be judged" in \
        str(kit.remedy_findings(case, table))
    assert kit.recommend(table).best == "dcd"


def test_a_port_has_one_name_in_sessions_and_socket_coverage(tmp_path):
    folder = tmp_path / "case"
    shutil.copytree(SAMPLE, folder)
    with open(folder / "case.toml", "a", encoding="utf-8") as toml:
        toml.write('\n[services]\nports = { 13724 = "nbu-vnetd" }\n')
    case = kit.load_case(folder)
    assert case.services[13724] == "nbu-vnetd" and case.services[1556] == "pbx"
    coverage = kit.keepalive_coverage(case.sockets, services=case.settings.services)
    in_sessions = dict(zip(case.sessions["service_port"], case.sessions["service"], strict=True))
    for port, name in zip(coverage["service_port"], coverage["service"], strict=True):
        assert in_sessions.get(port, name) == name
    assert "nbu-vnetd" in set(coverage["service"])
    assert " vnetd/13724" not in str(kit.remedy_findings(case))
    assert "nbu-vnetd/13724" in str(kit.remedy_findings(case))
