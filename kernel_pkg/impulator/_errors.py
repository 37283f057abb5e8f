"""Exceptions shared by every layer."""

from __future__ import annotations

__all__ = [
    "CompoundNotFound",
    "InvalidStructure",
    "PermissionDenied",
    "SourceError",
    "SourceUnavailable",
    "StoreUnavailable",
    "UnknownCompound",
]


class InvalidStructure(ValueError):
    """Raised when a text cannot be turned into a chemical structure.

    The message names the input (shortened when long) and the reason, in words a chemist
    can act on. ``input`` and ``reason`` hold the two parts separately.

    Example:
        >>> from impulator import InvalidStructure
        >>> err = InvalidStructure("C1CC", "ring bond 1 is opened but never closed")
        >>> str(err)
        "cannot read 'C1CC': ring bond 1 is opened but never closed"
    """

    def __init__(self, text: object, reason: str) -> None:
        self.input = text
        self.reason = reason
        super().__init__(f"cannot read {shorten(text)}: {reason}")


def shorten(text: object, limit: int = 60) -> str:
    """Quote ``text`` for a message, cut to ``limit`` characters, control characters escaped."""
    if not isinstance(text, str):
        return f"a {type(text).__name__} object"
    quoted = repr(text)
    if len(quoted) <= limit:
        return quoted
    return f"{quoted[: limit - 5]}...' ({len(text)} characters)"


class SourceError(RuntimeError):
    """A bioactivity or structure source could not answer. The message says what to do."""


class SourceUnavailable(SourceError):
    """A source cannot be reached (network down, server gone, file missing or corrupted)."""


class UnknownCompound(SourceError, LookupError):
    """A name, ChEMBL id, synonym or InChIKey that the source does not know."""


class StoreUnavailable(RuntimeError):
    """The results database cannot be reached, stopped answering, or needs migrating.

    The message names the database (password hidden) and says what to do.
    """


class PermissionDenied(PermissionError):
    """The results database refused an operation to this user (a viewer saving, say).

    Example:
        >>> from impulator.store import PermissionDenied
        >>> issubclass(PermissionDenied, PermissionError)
        True
    """


class CompoundNotFound(LookupError):
    """No stored compound with that id is visible to this user.

    Example:
        >>> str(CompoundNotFound(42))
        'no compound 42 (it does not exist or is not shared with you)'
    """

    def __init__(self, compound_id: object) -> None:
        self.compound_id = compound_id
        super().__init__(f"no compound {compound_id} (it does not exist or is not shared with you)")
