"""The one catalogue of failure codes: NetBackup status codes, other applications' error
signatures, each with its idle-link class, and the per-application detection lag.

Classes (evidence-sources.md §9.4, §10): ``idle-drop-strong`` (the code says a socket that was
established died), ``idle-drop-weak`` (often a secondary symptom of one), ``setup`` (a connection
could not be opened: ports, ACLs), ``unrelated`` (storage, media, policy), ``unknown`` (a code not
in the catalogue) and ``ok`` (status 0). Edit the tables here; every reader and the correlation
read them, nothing else decides a class.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

CLASSES = ("idle-drop-strong", "idle-drop-weak", "setup", "unrelated", "unknown", "ok")
#: classes a firewall idle teardown can explain
IDLE_CLASSES = frozenset({"idle-drop-strong", "idle-drop-weak", "unknown"})

#: NetBackup status code -> (name, class)
NETBACKUP_STATUS: dict[int, tuple[str, str]] = {
    0: ("the requested operation was successfully completed", "ok"),
    1: ("the requested operation was partially successful", "unrelated"),
    13: ("file read failed", "idle-drop-weak"),
    14: ("file write failed", "idle-drop-strong"),
    23: ("socket read failed", "idle-drop-weak"),
    24: ("socket write failed", "idle-drop-strong"),
    25: ("cannot connect on socket", "setup"),
    40: ("network connection broken", "idle-drop-strong"),
    41: ("network connection timed out", "idle-drop-strong"),
    42: ("network read failed", "idle-drop-weak"),
    44: ("network write failed", "idle-drop-weak"),
    54: ("timed out connecting to client", "setup"),
    57: ("client connection refused", "setup"),
    58: ("can't connect to client", "setup"),
    87: ("media close error", "idle-drop-weak"),
    150: ("termination requested by administrator", "unrelated"),
    196: ("client backup was not attempted because backup window closed", "unrelated"),
    636: ("read from input socket failed", "idle-drop-weak"),
    2074: ("disk volume is down", "unrelated"),
}


@dataclass(frozen=True)
class Signature:
    """A known error text: which application writes it, the code it stands for, its class."""

    app: str
    pattern: re.Pattern[str]
    error_code: str
    cls: str


def _sig(app: str, pattern: str, code: str, cls: str = "idle-drop-strong") -> Signature:
    return Signature(app, re.compile(pattern, re.IGNORECASE), code, cls)


#: error texts of §9.3/§9.5 and §10, first match wins
SIGNATURES: tuple[Signature, ...] = (
    _sig("oracle", r"\bORA-03113\b|end-of-file on communication channel", "ORA-03113"),
    _sig("oracle", r"\bORA-03135\b|connection lost contact", "ORA-03135"),
    _sig("oracle", r"\bTNS-12547\b|ns main err code: 12547", "TNS-12547"),
    _sig("postgresql", r"server closed the connection unexpectedly", "08006"),
    _sig("postgresql", r"SSL connection has been closed unexpectedly", "08006"),
    _sig("postgresql", r"could not receive data from client: Connection reset by peer",
         "08006", "idle-drop-weak"),
    _sig("ssh", r"client_loop: send disconnect: Broken pipe|packet_write_wait: .*Broken pipe"
                r"|Write failed: Broken pipe", "broken-pipe"),
    _sig("jdbc", r"Communications link failure", "08S01"),
    _sig("jdbc", r"Failed to validate connection", "hikari-validate", "idle-drop-weak"),
    _sig("windows", r"\b10054\b|WSAECONNRESET|forcibly closed by the remote host", "10054"),
    _sig("smb", r"specified network name is no longer available", "0x40", "idle-drop-weak"),
    _sig("netbackup", r"EXIT STATUS 40\b|network connection broken", "40"),
    _sig("netbackup", r"socket read failed: errno = 62 - Timer expired", "41"),
    _sig("netbackup", r"errno = 104 Connection reset by peer", "42", "idle-drop-weak"),
    _sig("netbackup", r"errno = 32 Broken pipe", "24"),
)

#: application -> how long after the teardown its failure may show (§11): a write on the dead
#: socket fails seconds after the application resumes, and when it resumes is unknown, so the
#: default is generous; NetBackup status 40 via the default Linux keepalive: 7200 + 9 x 75 s.
DETECT_LAG: dict[str, pd.Timedelta] = {
    "netbackup": pd.Timedelta(seconds=7200 + 9 * 75),
    "default": pd.Timedelta(hours=4),
}


def status_class(code: object) -> str | None:
    """The class of a NetBackup status code (None for a missing code, e.g. an active job)."""
    if code is None or code is pd.NA or (isinstance(code, float) and code != code):
        return None
    return NETBACKUP_STATUS.get(int(code), ("", "unknown"))[1]


def status_name(code: object) -> str | None:
    """The NetBackup name of a status code, None when unknown or missing."""
    if status_class(code) is None:
        return None
    return NETBACKUP_STATUS.get(int(code), (None, ""))[0]


def classify_error(app: str | None, error_code: str | None,
                   message: str | None) -> tuple[str | None, str]:
    """(error_code, class) of an application error: a stated code keeps its value; a known
    signature in ``message`` fills an empty code; a NetBackup number takes its status class."""
    code = (error_code or "").strip() or None
    app_name = (app or "").strip().lower()
    if code is not None and code.isdigit() and app_name in ("", "netbackup", "nbu"):
        return code, status_class(int(code)) or "unknown"
    message = " ".join((message or "").split())  # a wrapped message reads as one line
    for sig in SIGNATURES:
        if (code is None or code.upper() == sig.error_code.upper()) and message and \
                sig.pattern.search(message):
            return code or sig.error_code, sig.cls
    for sig in SIGNATURES:
        if code is not None and code.upper() == sig.error_code.upper():
            return code, sig.cls
    return code, "unknown"


def detect_lag(app: str | None, lags: dict[str, pd.Timedelta] | None = None) -> pd.Timedelta:
    """The detection lag of ``app`` from ``lags`` (default :data:`DETECT_LAG`)."""
    table = DETECT_LAG if lags is None else {**DETECT_LAG, **lags}
    return table.get((app or "").strip().lower(), table["default"])
