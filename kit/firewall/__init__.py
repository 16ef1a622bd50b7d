"""Firewall logs of every supported vendor -> the connection-event frame (see ``schema``;
the vendors and their detection: ``vendors``)."""

from .reader import read_firewall_log

__all__ = ["read_firewall_log"]
