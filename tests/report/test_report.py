"""build_report on throwaway notebooks: executed files, one static page, redaction verified,
untrusted text shown as text, failures named."""

from __future__ import annotations

import re

import nbformat
import pytest
from bs4 import BeautifulSoup
from report_cases import KEY, make_case
from tiny_notebooks import tiny_notebook

from kit.redaction import KEY_FILE, Redactor, check_redaction
from kit.report import Findings, ReportError, build_report
from kit.report.html import active_content, render_page

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
#: a reference the page would fetch or follow outside itself
EXTERNAL_REF = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:|//)|<script[^>]*\ssrc""",
                          re.IGNORECASE)


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """A case folder, a notebooks folder, and load_case returning the hand-made case."""
    def make(*, user="LOCAL\\alice", interface="outside", extra=None):
        case = make_case(tmp_path / "case", user=user, interface=interface)
        monkeypatch.setattr("kit.case.load_case", lambda path: case)
        name = tiny_notebook(tmp_path / "notebooks", user=user, interface=interface, extra=extra)
        return case, tmp_path / "notebooks", name
    monkeypatch.delenv("KIT_REDACTION_KEY", raising=False)
    return make


def images(page: str) -> list[str]:
    return re.findall(r'<img[^>]*src="data:image/png;base64,[A-Za-z0-9+/=]{200,}"', page)


def test_redacted_report_is_static_complete_and_leaks_nothing(setup, tmp_path):
    case, notebooks, name = setup(interface=IMG)
    lines: list[str] = []
    report = build_report(case.path, tmp_path / "out", notebooks_dir=notebooks,
                          notebooks=[name], progress=lines.append)
    page = report.html.read_text()
    key = bytes.fromhex((case.path / KEY_FILE).read_text())
    r = Redactor(key)
    r.learn_roles(case.inventory)  # pseudonyms carry the inventory role
    # progress per notebook, outputs where promised
    assert f"[1/1] running {name}" in lines and any("done in" in line for line in lines)
    assert report.notebooks == [tmp_path / "out" / name] and report.html.name == "report.html"
    # no code, charts inline, nothing external, no active content
    assert "make_case(" not in page and "import kit" not in page
    assert len(images(page)) == 1
    assert not EXTERNAL_REF.search(page)
    assert active_content(page.split("</head>", 1)[1]) == []
    assert "the vendor article (https://www.veritas.com/support/en_US/article.100008382)" in page
    # metadata, widget values as text, findings, redacted values
    soup = BeautifulSoup(page, "html.parser")
    meta = {tr.th.get_text(): tr.td.get_text() for tr in soup.select("table.meta tr")}
    assert meta["Case"] == "INC-1" and meta["Redaction"].endswith(report.key_fingerprint)
    assert meta["Title"] == f"{r.name('db01', 'host')} backups fail"
    assert "3 connection events from 1 firewall file; keepalive settings of 2 hosts; 1 socket;" \
        in meta["Data"]
    assert "keepalive: 300 s" in page
    alice = r.name("LOCAL\\alice", "user")
    assert f"{alice} on {IMG} lost its session to {r.address('10.20.0.5')}" in soup.get_text()
    assert r.address("192.168.10.21") in page
    # nothing of the case remains, and the key is nowhere in the outputs
    assert check_redaction(tmp_path / "out", case) == []
    for path in (tmp_path / "out").iterdir():
        assert key.hex() not in path.read_text()


def test_untrusted_names_render_as_text_not_markup(setup, tmp_path):
    case, notebooks, name = setup(user=SCRIPT, interface=IMG)
    report = build_report(case.path, redact=False, notebooks_dir=notebooks, notebooks=[name])
    assert report.html == case.path / "report" / "report.html"  # the default out folder
    page = report.html.read_text()
    body = BeautifulSoup(page.split("</head>", 1)[1], "html.parser")
    assert body.find("script") is None and body.find("img", onerror=True) is None
    text = body.get_text()
    assert text.count(SCRIPT) >= 2 and text.count(IMG) >= 2  # table, findings, ...
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "NOT REDACTED" in page and "192.168.10.21" in page
    meta = {tr.th.get_text(): tr.td.get_text() for tr in body.select("table.meta tr")}
    assert meta["Redaction"] == "OFF"
    executed = nbformat.read(report.notebooks[0], as_version=4)
    table = next(o for c in executed.cells if c.cell_type == "code" for o in c.outputs
                 if "text/html" in o.get("data", {}))
    assert "&lt;img src=x onerror=alert(2)&gt;" in table["data"]["text/html"]


def test_a_failing_cell_is_named_and_no_report_is_written(setup, tmp_path):
    case, notebooks, _ = setup()
    name = "02_fails.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell(
        "# step 2\nraise RuntimeError('no such column')")]
    nbformat.write(notebook, notebooks / name)
    with pytest.raises(ReportError) as error:
        build_report(case.path, tmp_path / "out", notebooks_dir=notebooks, notebooks=[name])
    message = str(error.value)
    assert message.startswith(f"{name}: cell [3] failed ('# step 2')")  # [1]: injected parameters
    assert "RuntimeError: no such column" in message
    assert not (tmp_path / "out" / "report.html").exists()
    assert (tmp_path / "out" / name).exists()  # kept, with the traceback, for the user


def test_a_leak_fails_the_redacted_report(setup, tmp_path):
    case, notebooks, name = setup(extra="print('raw row:', 'db01 at 10.20.0.5')")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "report.html").write_text("stale")
    with pytest.raises(ReportError, match="redaction check failed") as error:
        build_report(case.path, tmp_path / "out", key=KEY, notebooks_dir=notebooks,
                     notebooks=[name])
    assert f"{name}: ip '10.20.0.5'" in str(error.value)
    assert f"{name}: host 'db01'" in str(error.value)
    assert not (tmp_path / "out" / "report.html").exists()
    assert not (tmp_path / "out" / "report.html.partial").exists()


def test_missing_notebooks_are_named(setup, tmp_path):
    case, notebooks, _ = setup()
    with pytest.raises(ReportError, match=r"notebook\(s\) not found: 02_nope\.ipynb"):
        build_report(case.path, tmp_path / "out", notebooks_dir=notebooks,
                     notebooks=["02_nope.ipynb"])


def test_active_content_is_refused():
    found = active_content(
        '<img src="x" onerror="alert(1)"><a href="//evil.example">x</a><script>1</script>'
        '<div style="background:url(https://evil.example/a.png)"></div>'
        '<link rel="stylesheet" href="https://cdn.example/x.css">'
        '<img src="data:image/png;base64,AA">')
    assert found == ["<script> element", "<link> element", "<img onerror=...> event handler",
                     "<a href='//evil.example'>",
                     "<div style=...> fetches 'background:url(https://evil.example/a.png)'",
                     "<link href='https://cdn.example/x.css'>"]


def test_page_escapes_its_metadata():
    page = render_page("Case <b>", [("Notes", SCRIPT)], [("nb-1", "One", "<p>x</p>")],
                       warning="NOT <i>")
    assert SCRIPT not in page and "&lt;script&gt;" in page and "Case &lt;b&gt;" in page
    assert "Content-Security-Policy" in page


def test_findings_escape_html_and_keep_plain_text():
    findings = Findings([f"user {SCRIPT} lost 3 sessions"], title="Findings")
    assert str(findings) == f"Findings\n1. user {SCRIPT} lost 3 sessions"
    assert SCRIPT not in findings._repr_html_()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in findings._repr_html_()
    assert str(Findings([])) == "Findings\n(none)"


def test_an_unreadable_notebook_is_named(setup, tmp_path):
    case, notebooks, _ = setup()
    (notebooks / "03_broken.ipynb").write_text("{not json")
    with pytest.raises(ReportError, match=r"^03_broken.ipynb: cannot run it: "):
        build_report(case.path, tmp_path / "out", notebooks_dir=notebooks,
                     notebooks=["03_broken.ipynb"])


def test_a_rerun_removes_the_stale_report_before_it_starts(setup, tmp_path):
    case, notebooks, _ = setup()
    name = "02_fails.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("raise RuntimeError('broken')")]
    nbformat.write(notebook, notebooks / name)
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("<html>an old, complete report</html>")
    (out / "report.html.partial").write_text("<html>an old unchecked page</html>")
    progress: list[str] = []
    with pytest.raises(ReportError, match=r"cell .* failed"):
        build_report(case.path, out, notebooks_dir=notebooks, notebooks=[name],
                     progress=progress.append)
    assert sorted(p.name for p in out.iterdir()) == [name]  # no page that looks complete
    assert progress[-1] == "FAILED: no report.html was written"


def test_an_interrupted_check_leaves_no_page(setup, tmp_path, monkeypatch):
    case, notebooks, name = setup()

    def interrupted(path, original):
        raise KeyboardInterrupt

    monkeypatch.setattr("kit.report.check_redaction", interrupted)
    with pytest.raises(KeyboardInterrupt):
        build_report(case.path, tmp_path / "out", key=KEY, notebooks_dir=notebooks,
                     notebooks=[name])
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [name]


def test_no_local_path_reaches_the_report_or_its_notebooks(setup, tmp_path):
    case, notebooks, name = setup()
    report = build_report(case.path, tmp_path / "out", key=KEY, notebooks_dir=notebooks,
                          notebooks=[name])
    for path in (report.html, *report.notebooks):
        text = path.read_text()
        assert str(tmp_path) not in text and str(notebooks) not in text
    executed = nbformat.read(report.notebooks[0], as_version=4)
    assert executed.metadata.papermill.parameters["case_dir"] == "."
    assert executed.metadata.papermill.input_path == name
