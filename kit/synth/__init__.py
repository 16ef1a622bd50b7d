"""Deterministic synthetic data: benchmark-size firewall logs and whole sample cases.

``write_log`` writes a large multi-device ASA log for benchmarks; ``generate_case`` (in
``kit.synth.case``) writes a case folder with its ground truth, ``generate_vendor_case`` the
same incident behind a PAN-OS, FortiGate, SRX or conntrack firewall; ``kit.synth.vendorlogs``
renders the same connections in each vendor's format.
"""

from __future__ import annotations

from .biglog import write_log
from .case import CaseParams, generate_case
from .vendorcase import generate_vendor_case

__all__ = ["CaseParams", "generate_case", "generate_vendor_case", "write_log"]
