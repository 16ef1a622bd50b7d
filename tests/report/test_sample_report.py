"""`build_report` with the project's four notebooks on the sample incident, plus hostile log lines:
nothing of the site remains, nothing is fetched, hostile text shows as text."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

import kit
from kit.redaction import KEY_FILE
from kit.report import NOTEBOOKS, build_report, default_notebooks_dir
from kit.report.html import active_content

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample-incident"
SCRIPT_REASON = "Conn-timeout <script>alert(1)</script>"
IMG_INTERFACE = "<img src=x onerror=alert(2)>"
HOSTILE = [
    "Jun  4 10:00:00 syslog01 Jun 04 2024 15:00:00 asa-dmz01: %ASA-6-302013: Built inbound TCP "
    f"connection 990001 for {IMG_INTERFACE}:10.20.1.10/40001 (10.20.1.10/40001) to "
    "inside:10.10.1.10/1556 (10.10.1.10/1556)",
    "Jun  4 11:00:27 syslog01 Jun 04 2024 16:00:27 asa-dmz01: %ASA-6-302014: Teardown TCP "
    f"connection 990001 for {IMG_INTERFACE}:10.20.1.10/40001 to inside:10.10.1.10/1556 "
    f"duration 1:00:27 bytes 1546 {SCRIPT_REASON}",
]
EXTERNAL_REF = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:|//)|<script[^>]*\ssrc""",
                          re.IGNORECASE)
BASE64 = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=\s]+|\"image/png\": \"[^\"]*\"")


def readable(path: Path) -> str:
    """A file's text without embedded images, JSON string escapes undone for notebooks."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        text = json.dumps(json.loads(text), ensure_ascii=False)
        text = BASE64.sub("", text).replace("\\\\", "\\").replace('\\"', '"')
    return BASE64.sub("", text)


@pytest.mark.slow
def test_the_sample_report_is_redacted_static_and_safe(tmp_path, monkeypatch):
    missing = [n for n in NOTEBOOKS if not (default_notebooks_dir() / n).is_file()]
    if missing:
        pytest.fail(f"the project's notebooks are missing: {missing}")
    monkeypatch.delenv("KIT_REDACTION_KEY", raising=False)
    case_dir = tmp_path / "sample"
    shutil.copytree(SAMPLE, case_dir)
    with open(case_dir / "firewall" / "fw-syslog.log", "a", encoding="utf-8") as log:
        log.write("\n".join(HOSTILE) + "\n")
    original = kit.load_case(case_dir)
    assert IMG_INTERFACE in set(original.connections["src_if"])

    report = build_report(case_dir, tmp_path / "out")

    outputs = [report.html, *report.notebooks]
    assert [p.name for p in report.notebooks] == list(NOTEBOOKS)
    page = report.html.read_text(encoding="utf-8")
    # static: charts inline, nothing fetched, no active content, no code
    assert len(re.findall(r'<img[^>]*src="data:image/png;base64,', page)) >= 6
    assert not EXTERNAL_REF.search(page)
    body = BeautifulSoup(page.split("</head>", 1)[1], "html.parser")
    assert active_content(str(body)) == []
    assert "import kit" not in page and "kit.open_case(" not in page
    # hostile text shows as text
    assert SCRIPT_REASON in body.get_text()
    assert "Conn-timeout &lt;script&gt;alert(1)&lt;/script&gt;" in page
    # tables without an OS column name each host with its role and inventory OS (issue 11.13)
    assert re.search(r"<td>client-[0-9a-f]{6} \(aix\)</td>", page)
    assert re.search(r"<td>media-[0-9a-f]{6} \(linux\)</td>", page)
    # nothing of the sample's identities anywhere (independent of check_redaction)
    identities = set(original.inventory["host"]) | set(original.inventory["ip"]) \
        | set(original.hosts["host"]) | set(original.connections["device"]) \
        | set(original.connections["src_ip"]) | set(original.connections["dst_ip"]) \
        | set(original.connections["user"].dropna()) | {"syslog01"}
    key = (case_dir / KEY_FILE).read_text().strip()
    for path in outputs:
        text = readable(path)
        for value in identities:
            pattern = rf"(?<![0-9A-Za-z.-]){re.escape(value)}(?![0-9A-Za-z-])"
            assert not re.search(pattern, text, re.IGNORECASE), f"{path.name} shows {value!r}"
        assert key not in text
    assert kit.check_redaction(tmp_path / "out", original) == []
