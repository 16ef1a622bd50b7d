"""Reading executed notebooks: cells by tag, their text, and any error or stderr output."""

from __future__ import annotations

from pathlib import Path

import nbformat

from kit.notebooks import NOTEBOOKS  # noqa: F401  (the notebooks the tests run, in order)

NOTEBOOKS_DIR = Path(__file__).resolve().parents[2] / "kit" / "notebooks"


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def tagged(notebook: nbformat.NotebookNode, tag: str) -> list[nbformat.NotebookNode]:
    return [c for c in notebook.cells if tag in c.metadata.get("tags", ())]


def output_text(cell: nbformat.NotebookNode) -> str:
    """Everything a cell printed or displayed as plain text."""
    parts = []
    for output in cell.get("outputs", ()):
        if output.output_type == "stream":
            parts.append(output.text)
        elif "data" in output:
            parts.append(output.data.get("text/plain", ""))
    return "\n".join(parts)


def findings_text(notebook: nbformat.NotebookNode) -> str:
    (cell,) = tagged(notebook, "findings")
    return output_text(cell)


def problems(notebook: nbformat.NotebookNode) -> list[str]:
    """Error and stderr outputs, as ``cell N: ...`` lines (empty when clean)."""
    found = []
    for n, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", ()):
            if output.output_type == "error":
                found.append(f"cell {n}: {output.ename}: {output.evalue}")
            elif output.output_type == "stream" and output.name == "stderr":
                found.append(f"cell {n}: stderr: {output.text[:300]}")
    return found
