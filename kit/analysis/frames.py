"""Frames checked at the door: a function handed the wrong frame says which one it needs and how
to get it (a ``kit.FrameError``), instead of failing later with a bare ``KeyError``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..errors import FrameError

#: what each frame is and how to get it, for the messages
FRAMES = {
    "sessions": ("the sessions frame (one row per connection)",
                 "kit.sessions(case), or case.sessions"),
    "events": ("the connection-event frame (one row per Built/Teardown line)",
               "kit.read_firewall_log(...), or case.connections"),
    "hosts": ("the keepalive frame (one row per host)", "kit.read_keepalive(...), or case.hosts"),
}
#: columns that give a sessions frame and an event frame away
_TELLS = {"sessions": ("start", "end", "open"), "events": ("event", "time", "msg_id")}


def require_frame(frame: Any, kind: str, columns: Iterable[str], *, caller: str) -> pd.DataFrame:
    """Return ``frame`` if it is a DataFrame with ``columns``; else raise a FrameError naming the
    frame ``caller`` needs (``kind``: a key of ``FRAMES``) and how to get it."""
    what, how = FRAMES[kind]
    if not isinstance(frame, pd.DataFrame):
        hint = " (a Case: pass case.sessions)" if hasattr(frame, "connections") else ""
        raise FrameError(f"{caller} needs {what}, got {type(frame).__name__}{hint}; get it "
                         f"with {how}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        looks = next((FRAMES[other][0] for other, tells in _TELLS.items()
                      if other != kind and all(c in frame.columns for c in tells)), None)
        got = f"; this looks like {looks}" if looks else ""
        raise FrameError(f"{caller} needs {what} with column(s) {', '.join(missing)}, which "
                         f"this frame lacks{got}; get it with {how}")
    return frame
