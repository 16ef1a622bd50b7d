"""``kit new-case``: an empty case folder, a commented case.toml and a README of what to collect."""

from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path
from string import Template

from ..errors import CaseError

SUBFOLDERS = ("firewall", "hosts", "sockets")
_TEMPLATES = {"case.toml": "case.toml", "README.md": "case-README.md",
              "inventory.csv": "inventory.csv"}


def new_case(path: str | Path, *, case_id: str | None = None) -> Path:
    """Create an empty case folder to fill in.

    Parameters
    ----------
    path : str or Path
        The folder to create (it may exist if it is empty).
    case_id : str, optional
        The ``[case] id`` written into case.toml; default: the folder's name.

    Returns
    -------
    Path
        The case folder, holding ``case.toml``, ``README.md`` (what to collect and the commands
        per OS), an ``inventory.csv`` header and empty ``firewall/``, ``hosts/``, ``sockets/``.
    """
    root = Path(path)
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise CaseError(f"{root}: already exists and is not an empty folder; choose a new path "
                        "for the case (nothing was changed)")
    values = {"case_id": case_id or root.resolve().name, "case_path": str(root),
              "today": dt.date.today().isoformat(), "firewall_vendors": _firewall_vendors()}
    if '"' in values["case_id"] or "\\" in values["case_id"]:
        raise CaseError(f"case id {values['case_id']!r}: use letters, digits, - and _ only")
    root.mkdir(parents=True, exist_ok=True)
    for name in SUBFOLDERS:
        (root / name).mkdir()
    templates = resources.files("kit") / "templates"
    for target, template in _TEMPLATES.items():
        text = Template((templates / template).read_text(encoding="utf-8")).substitute(values)
        (root / target).write_text(text, encoding="utf-8")
    return root


def _firewall_vendors() -> str:
    """What to collect from each firewall the kit reads, from the one table of vendor facts."""
    from ..remedies.commands import FAMILIES  # remedies import the case's facts

    return "\n".join(
        f"- **{f.product}**: {f.collect} Timeout in force: {f.show_timeout}; per port or "
        f"application: {f.show_scoped}." for f in FAMILIES.values())
