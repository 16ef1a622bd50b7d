"""idle-timeout kit: find the long-lived TCP sessions a firewall killed for idleness.

The public API is re-exported here lazily (PEP 562), so ``import kit`` stays cheap and a parser
running in a plain worker process never imports plotting or widgets.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from .errors import CaseError, FrameError, KitError, ParseError, SourceError
from .loadreport import LoadReport

__version__ = "0.2.0"

#: public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # loaders
    "read_firewall_log": "kit.firewall",
    "read_keepalive": "kit.hosts",
    "read_bpdbjobs": "kit.apps",
    "read_app_errors": "kit.apps",
    "read_sockets": "kit.hosts.sockets",
    "keepalive_coverage": "kit.hosts.sockets",
    "keepalive_risk": "kit.hosts.risk",
    # the case folder
    "load_case": "kit.case",
    "Case": "kit.case",
    "new_case": "kit.case",
    "CaseSettings": "kit.case",
    # analysis and remedies
    "sessions": "kit.analysis",
    "idle_teardowns": "kit.analysis",
    "infer_idle_timeout": "kit.analysis",
    "TimeoutEstimate": "kit.analysis",
    "CaseTimeout": "kit.analysis",
    "affected": "kit.analysis",
    "explain_failures": "kit.analysis",
    "concurrency": "kit.analysis",
    "readable": "kit.analysis.format",
    "Concurrency": "kit.analysis",
    "compare_remedies": "kit.remedies",
    "Assumptions": "kit.remedies",
    "resolve_assumptions": "kit.remedies",
    "recommend": "kit.remedies",
    "Recommendation": "kit.remedies",
    "replay_remedy": "kit.remedies",
    # reporting
    "redact": "kit.redaction",
    "check_redaction": "kit.redaction",
    "redact_case": "kit.redaction",
    "open_case": "kit.redaction",
    # the notebooks' Findings
    "teardown_findings": "kit.findings",
    "duration_findings": "kit.findings",
    "remedy_findings": "kit.findings",
    "case_findings": "kit.findings",
    "failure_findings": "kit.findings.failures",
    "failure_summary": "kit.findings.failures",
}

__all__ = [
    "CaseError", "FrameError", "KitError", "LoadReport", "ParseError", "SourceError", *_EXPORTS,
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'kit' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
