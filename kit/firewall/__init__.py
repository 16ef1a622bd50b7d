"""Firewall syslog -> the connection-event frame (see ``schema``)."""
