"""Show generated sentences in a notebook as text, never as markup.

Findings quote values from log lines (user and interface names), which anyone who reaches the
firewall can choose. Rendering them through ``Markdown(...)`` would turn ``<img src=x onerror=..>``
into markup; ``Findings`` escapes every sentence for HTML and keeps a plain-text form for nbval and
exported reports.
"""

from __future__ import annotations

import html
from collections.abc import Iterable


class Findings:
    """A titled, numbered list of sentences, displayed escaped.

    Parameters
    ----------
    sentences
        The sentences, already written from the data (counts, hosts, ports, the timeout, ...).
    title
        Shown above the list.
    """

    def __init__(self, sentences: Iterable[str], title: str = "Findings"):
        self.title = title
        self.sentences = [str(s) for s in sentences]

    def __str__(self) -> str:
        lines = [self.title]
        lines += [f"{n}. {s}" for n, s in enumerate(self.sentences, 1)] or ["(none)"]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(s)}</li>" for s in self.sentences) or \
            "<li>(none)</li>"
        return f"<h3>{html.escape(self.title)}</h3><ol>{items}</ol>"
