"""Throwaway notebooks for the report tests: they follow the notebooks' contract (a ``parameters``
cell with ``case_dir`` and ``redact``) on the hand-made case of ``report_cases``."""

from __future__ import annotations

from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent

LOAD = f"""\
import sys
sys.path.insert(0, {str(HERE)!r})
from pathlib import Path
import kit
from kit.redaction import redact_case, resolve_key
from report_cases import make_case
case = make_case(Path(case_dir), user=USER, interface=INTERFACE)
if redact:
    case = redact_case(case, key=resolve_key(case_dir))
print("case", case.settings.id, "loaded:", len(case.connections), "events")"""

CHART = """\
%matplotlib inline
import matplotlib.pyplot as plt
counts = case.connections["src_if"].value_counts()
fig, ax = plt.subplots(figsize=(4, 2))
ax.bar([str(i) for i in counts.index], counts.to_numpy())
ax.set_title("events per interface on " + case.connections["device"].iloc[0])
ax.set_ylabel("events")
plt.show()"""

WIDGET = """\
import ipywidgets
slider = ipywidgets.IntSlider(value=300, min=10, max=7200, description="keepalive (s)")
display(slider)
print(f"keepalive: {slider.value} s")"""

FINDINGS = """\
from kit.report import Findings
row = case.connections.iloc[1]
Findings([f"{row['user']} on {row['src_if']} lost its session to {row['dst_ip']} "
          f"after {row['duration']}"])"""


def tiny_notebook(folder: Path, name: str = "01_tiny.ipynb", *, user: str = "LOCAL\\alice",
                  interface: str = "outside", extra: str | None = None) -> str:
    """Write a throwaway notebook into ``folder`` and return its file name."""
    notebook = nbformat.v4.new_notebook()
    parameters = nbformat.v4.new_code_cell('case_dir = "../case"\nredact = False')
    parameters.metadata["tags"] = ["parameters"]
    cells = [
        nbformat.v4.new_markdown_cell(
            "# Tiny case notebook\nWhat it answers, see [the vendor article]"
            "(https://www.veritas.com/support/en_US/article.100008382)."),
        parameters,
        nbformat.v4.new_code_cell(f"USER = {user!r}\nINTERFACE = {interface!r}\n{LOAD}"),
        nbformat.v4.new_markdown_cell("## 1. The events\nLook at who talked to whom."),
        nbformat.v4.new_code_cell(
            'case.connections[["device", "src_if", "src_ip", "dst_ip", "user", "reason"]]'),
        nbformat.v4.new_code_cell(CHART),
        nbformat.v4.new_code_cell(WIDGET),
        nbformat.v4.new_code_cell("print(case.load_report)"),
        nbformat.v4.new_code_cell(FINDINGS),
    ]
    if extra:
        cells.append(nbformat.v4.new_code_cell(extra))
    notebook.cells = cells
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, folder / name)
    return name
