"""Deterministic synthetic data: benchmark-size firewall logs and whole sample cases.

``write_log`` writes a large multi-device ASA log for benchmarks; ``generate_case`` (in
``kit.synth.case``) writes a case folder with its ground truth.
"""

from __future__ import annotations

from .biglog import write_log
from .case import CaseParams, generate_case

__all__ = ["CaseParams", "generate_case", "write_log"]
