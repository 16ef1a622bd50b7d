"""Hosts' TCP keepalive settings (every OS's own export format) and their sockets' timers.

``read_keepalive`` reads the exports into one row per host, ``read_sockets`` reads ``ss`` /
``netstat`` socket lists, ``keepalive_risk`` says which hosts a firewall's idle timeout will
catch and the exact command that fixes each. Units and defaults live in ``defaults`` only.
"""

from .reader import read_keepalive

__all__ = ["read_keepalive"]
