"""Executed notebooks -> one self-contained, static HTML page for a support case.

No code cells, charts as embedded PNG, a small inline stylesheet, no script, nothing fetched from
the network (a Content-Security-Policy says so to the browser as well). Widgets cannot render in a
static page, so their outputs are dropped: the notebooks print the values a widget chose. Before
anything is written, every notebook's HTML is checked for active content (a ``<script>``, an
``on...=`` handler, a reference to another site): log lines are written by whoever reaches the
firewall, and if any such text ever reached the page as markup the report is refused.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .execute import ReportError

if TYPE_CHECKING:
    import nbformat

#: cells with one of these tags are left out of the report
HIDDEN_TAGS = frozenset({"parameters", "injected-parameters", "remove-cell"})
#: markdown paragraphs that begin so (with the list that follows them) speak to the notebook's
#: user, not to the report's reader: left out
INSTRUCTIONS = ("**How to use it.**", "**What it needs.**")
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
#: tags that load or run something, never expected in a report
ACTIVE_TAGS = ("script", "iframe", "frame", "frameset", "object", "embed", "applet", "link",
               "base", "meta", "form", "audio", "video", "source", "track")
URL_ATTRIBUTES = ("src", "href", "srcset", "action", "formaction", "poster", "background",
                  "xlink:href", "data", "ping", "longdesc", "cite", "manifest")
#: a reference that makes a browser go out: http(s), protocol-relative, file, scripts
EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)
SAFE_SCHEMES = re.compile(r"^\s*(?:data:image/(?:png|jpeg|gif);|#|mailto:)", re.IGNORECASE)
CSS_FETCH = re.compile(r"@import|url\(\s*['\"]?(?!data:image/|#)", re.IGNORECASE)

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1b1b1b;
       max-width: 1100px; margin: 2em auto; padding: 0 1.5em; }
h1, h2, h3 { line-height: 1.2; } h1 { border-bottom: 2px solid #345; padding-bottom: .2em; }
section.notebook { border-top: 1px solid #ccc; margin-top: 2.5em; }
table { border-collapse: collapse; margin: .6em 0; font-size: 13px; }
table.dataframe { display: block; max-width: 100%; overflow-x: auto; }  /* wide tables scroll */
th, td { border: 1px solid #ccc; padding: .25em .6em; text-align: right; vertical-align: top; }
td { white-space: pre-wrap; overflow-wrap: break-word; }  /* whole values, wrapped, never cut */
th { background: #f2f4f7; } table.meta th, table.meta td { text-align: left; }
pre { white-space: pre-wrap; overflow-wrap: break-word; background: #f7f7f7; padding: .5em .8em;
      font-size: 13px; margin: .4em 0; }
.output_stderr pre { background: #fff5e6; border-left: 3px solid #e69a28; }
img { max-width: 100%; height: auto; }
.anchor-link { display: none; }
.redaction-off { color: #a00; font-weight: bold; }
nav ol { padding-left: 1.4em; }
"""


def prepare(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook as the report shows it: without parameter cells, cells tagged
    ``remove-cell``, widget views and widget state, or code cells left with no output."""
    import nbformat

    notebook = nbformat.from_dict(notebook)  # a copy
    notebook.metadata.pop("widgets", None)
    kept = []
    for cell in notebook.cells:
        if HIDDEN_TAGS & set(cell.metadata.get("tags", ())) or cell.cell_type == "raw":
            continue
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.outputs if WIDGET_MIME not in o.get("data", {})]
            if not cell.outputs:
                continue
        elif cell.cell_type == "markdown":
            cell.source = without_instructions(cell.source)
        kept.append(cell)
    notebook.cells = kept
    return notebook


def without_instructions(markdown: str) -> str:
    """``markdown`` without the paragraphs meant for the notebook's user (``INSTRUCTIONS``)."""
    kept, skipping = [], False
    for block in re.split(r"\n\s*\n", markdown):
        text = block.lstrip()
        if text.startswith(INSTRUCTIONS):
            skipping = True
        elif not (skipping and text.startswith(("- ", "* ", "  "))):
            skipping = False
        if not skipping:
            kept.append(block)
    return "\n\n".join(kept)


def notebook_body(path: Path) -> tuple[str, str]:
    """``(title, html)`` of one executed notebook: inputs hidden, images embedded, checked."""
    import nbformat
    from nbconvert import HTMLExporter

    notebook = prepare(nbformat.read(path, as_version=4))
    # (not embed_images=True: nbconvert 7.17 then mangles inline HTML in markdown cells; chart
    # outputs are embedded as data: URIs either way)
    exporter = HTMLExporter(template_name="basic", exclude_input=True,
                            exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(notebook)
    body = unlink_external(body)
    problems = active_content(body)
    if problems:
        raise ReportError(
            f"{path.name}: the output would contain active or external content "
            f"({'; '.join(problems[:5])}); untrusted text (user or interface names from log "
            "lines) must be shown as text, not markup. No report was written.")
    return notebook_title(notebook, path), body


def notebook_title(notebook: nbformat.NotebookNode, path: Path) -> str:
    """The first markdown heading of a notebook, else its file name."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return path.stem


def unlink_external(body: str) -> str:
    """Turn links to other sites into plain text (``label (url)``): the page references nothing
    outside itself, and the reader still sees where the link pointed."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body, "html.parser")
    for anchor in soup.find_all("a", href=True):
        href = anchor["href"]
        if EXTERNAL.match(href) and not SAFE_SCHEMES.match(href):
            label = anchor.get_text()
            anchor.replace_with(label if label.strip() == href.strip() else f"{label} ({href})")
    return str(soup)


def active_content(body: str) -> list[str]:
    """Everything in ``body`` that would run code or fetch from elsewhere (empty when safe)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(body, "html.parser")
    found = [f"<{tag.name}> element" for tag in soup.find_all(ACTIVE_TAGS)]
    for tag in soup.find_all(True):
        for name, value in tag.attrs.items():
            text = " ".join(value) if isinstance(value, list) else str(value)
            if name.lower().startswith("on"):
                found.append(f"<{tag.name} {name}=...> event handler")
            elif name.lower() in URL_ATTRIBUTES and EXTERNAL.match(text) \
                    and not SAFE_SCHEMES.match(text):
                found.append(f"<{tag.name} {name}={text[:60]!r}>")
            elif name.lower() == "style" and CSS_FETCH.search(text):
                found.append(f"<{tag.name} style=...> fetches {text[:60]!r}")
    for style in soup.find_all("style"):
        if CSS_FETCH.search(style.get_text()):
            found.append("<style> that imports or fetches a resource")
    return found


def render_page(title: str, metadata: Sequence[tuple[str, str]],
                sections: Iterable[tuple[str, str, str]], *, warning: str | None = None) -> str:
    """The whole page: a header with the case metadata, a contents list, then each notebook.

    ``sections`` are ``(anchor, title, body_html)``; ``metadata`` rows are plain text (escaped
    here); ``warning`` is shown prominently under the title (e.g. "not redacted").
    """
    sections = list(sections)
    rows = "\n".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
                     for k, v in metadata)
    contents = "\n".join(f'<li><a href="#{html.escape(anchor)}">{html.escape(name)}</a></li>'
                         for anchor, name, _ in sections)
    parts = [
        "<!DOCTYPE html>", '<html lang="en">', "<head>", '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
        f"<header><h1>{html.escape(title)}</h1>",
    ]
    if warning:
        parts.append(f'<p class="redaction-off">{html.escape(warning)}</p>')
    parts += [f'<table class="meta">{rows}</table>', f"<nav><h2>Contents</h2><ol>{contents}</ol>"
              "</nav></header>"]
    for anchor, _, body in sections:
        parts.append(f'<section class="notebook" id="{html.escape(anchor)}">{body}</section>')
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def export_html(notebooks: Sequence[Path], *, title: str, metadata: Sequence[tuple[str, str]],
                warning: str | None = None) -> str:
    """One self-contained page from executed notebooks (see the module docstring)."""
    sections = []
    for path in notebooks:
        name, body = notebook_body(path)
        sections.append((f"nb-{path.stem}", name, body))
    return render_page(title, metadata, sections, warning=warning)
