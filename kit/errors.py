"""The kit's exceptions: each names the file (and line) and says what was expected."""

from __future__ import annotations


class KitError(Exception):
    """Base class of every error the kit raises on purpose."""


class ParseError(KitError, ValueError):
    """Input that cannot be read as what it claims to be.

    ``source`` and ``line`` (1-based, or None for a whole-file problem) locate it; the message
    says what was expected there.
    """

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None):
        self.source = source
        self.line = line
        where = source or ""
        if source and line is not None:
            where = f"{source}:{line}"
        super().__init__(f"{where}: {message}" if where else message)


class SourceError(ParseError):
    """A file that could not be opened or decompressed (missing, corrupt gzip, ...)."""


class CaseError(KitError, ValueError):
    """A case folder that is missing, malformed or inconsistent; the message says how to fix it."""


class FrameError(KitError, ValueError):
    """A function was handed the wrong frame (events for sessions, missing columns); the message
    names the frame it needs and how to get it."""
