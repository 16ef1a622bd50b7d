"""Firewall syslog -> the connection-event frame (see ``schema``)."""

from .reader import read_firewall_log

__all__ = ["read_firewall_log"]
