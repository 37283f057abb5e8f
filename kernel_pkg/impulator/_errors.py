"""Exceptions shared by every layer, the exit statuses of the command line, and the words
both use to tell a person what went wrong.

Every error the library raises on purpose is an :class:`ImpulatorError` that is also the
builtin a caller would expect (``InvalidStructure`` is a ``ValueError``, ``PermissionDenied``
a ``PermissionError``...). Each class carries a one-line ``headline`` (what kind of problem)
and the ``exit_status`` of the ``impulator`` command when it ends a command. Anything else
that escapes is a bug: the command line and the pages say so.
"""

from __future__ import annotations

import enum
from typing import ClassVar

__all__ = [
    "VIEWER_MESSAGE",
    "BatchTooLarge",
    "CompoundNotFound",
    "ExitStatus",
    "FileMissing",
    "ImpulatorError",
    "InvalidInput",
    "InvalidStructure",
    "JobNotFound",
    "NotFound",
    "PermissionDenied",
    "SourceError",
    "SourceUnavailable",
    "StoreUnavailable",
    "UnknownCompound",
    "describe_error",
    "shorten",
]

#: What a viewer reads when the database refuses to store, delete or share for them.
VIEWER_MESSAGE = (
    "Your account can read results but not save them (viewer role): "
    "ask an admin for the chemist role."
)


class ExitStatus(enum.IntEnum):
    """The exit statuses of the ``impulator`` command (one place for all of them)."""

    #: Done.
    OK = 0
    #: Invalid input or usage (one line on stderr says why).
    INVALID_INPUT = 2
    #: The query has no neighbours at the chosen similarity (the availability probe is printed).
    NO_NEIGHBOURS = 3
    #: A bioactivity source or the results database is unavailable.
    UNAVAILABLE = 4
    #: The results database refused the operation to this user (a viewer saving, say).
    PERMISSION_DENIED = 5
    #: A bug in impulator (an exception nobody raised on purpose), as sysexits' EX_SOFTWARE.
    BUG = 70
    #: Stopped with Ctrl-C (128 + SIGINT).
    INTERRUPTED = 130


class ImpulatorError(Exception):
    """Base of every error impulator raises on purpose.

    ``headline`` says in a few words what kind of problem it is; the message says what
    happened and what to do. ``exit_status`` is the status of the ``impulator`` command that
    the error ends.

    Example:
        >>> from impulator import ImpulatorError, InvalidStructure
        >>> err = InvalidStructure("C1CC", "ring bond 1 is opened but never closed")
        >>> isinstance(err, ImpulatorError), isinstance(err, ValueError)
        (True, True)
        >>> err.headline, int(err.exit_status)
        ('Not a structure', 2)
    """

    headline: ClassVar[str] = "Cannot be done"
    exit_status: ClassVar[ExitStatus] = ExitStatus.INVALID_INPUT

    def describe(self) -> str:
        """The sentence a person reads: the headline, then the message."""
        return f"{self.headline}: {_message(self)}."


def describe_error(error: BaseException) -> str:
    """One sentence about why something could not be done, in words a person can act on.

    An :class:`ImpulatorError` gives its headline and message; any other exception is a bug,
    and the sentence says so.

    Example:
        >>> describe_error(InvalidStructure("C1CC", "ring bond 1 is opened but never closed"))
        "Not a structure: cannot read 'C1CC': ring bond 1 is opened but never closed."
        >>> describe_error(PermissionDenied("cannot save: vera has read-only access ..."))
        'Your account can read results but not save them (viewer role): ask an admin for the chemist role.'
        >>> describe_error(KeyError("rows"))
        "Something went wrong (KeyError): 'rows'. This is a bug in impulator: please report it (the details are in the log)."
    """  # noqa: E501
    if isinstance(error, ImpulatorError):
        return error.describe()
    return (
        f"Something went wrong ({type(error).__name__}): {_message(error)}. "
        "This is a bug in impulator: please report it (the details are in the log)."
    )


def _message(error: BaseException) -> str:
    return str(error).strip().rstrip(".")


class InvalidInput(ImpulatorError, ValueError):
    """An argument, file or setting impulator cannot use; the message says what to give.

    The message is itself the instruction, so it is shown alone.

    Example:
        >>> describe_error(InvalidInput("nothing to export: select at least one compound"))
        'Nothing to export: select at least one compound.'
    """

    headline = "Invalid input"

    def describe(self) -> str:
        text = _message(self)
        return f"{text[:1].upper()}{text[1:]}."


class InvalidStructure(ImpulatorError, ValueError):
    """Raised when a text cannot be turned into a chemical structure.

    The message names the input (shortened when long) and the reason, in words a chemist
    can act on. ``input`` and ``reason`` hold the two parts separately.

    Example:
        >>> from impulator import InvalidStructure
        >>> err = InvalidStructure("C1CC", "ring bond 1 is opened but never closed")
        >>> str(err)
        "cannot read 'C1CC': ring bond 1 is opened but never closed"
    """

    headline = "Not a structure"

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


class BatchTooLarge(InvalidInput):
    """A batch over ``IMPULATOR_BATCH_MAX_ROWS`` compounds or ``IMPULATOR_BATCH_MAX_BYTES``."""

    headline = "Batch too large"


class FileMissing(ImpulatorError, FileNotFoundError):
    """A file named as input does not exist."""

    headline = "No such file"


class SourceError(ImpulatorError, RuntimeError):
    """A bioactivity or structure source could not answer. The message says what to do."""

    headline = "The bioactivity source could not answer"
    exit_status = ExitStatus.UNAVAILABLE


class SourceUnavailable(SourceError):
    """A source cannot be reached (network down, server gone, file missing or corrupted)."""

    headline = "The bioactivity source is unavailable"


class UnknownCompound(SourceError, LookupError):
    """A name, ChEMBL id, synonym or InChIKey that the source does not know."""

    headline = "Unknown compound"
    exit_status = ExitStatus.INVALID_INPUT


class StoreUnavailable(ImpulatorError, RuntimeError):
    """The results database cannot be reached, stopped answering, or needs migrating.

    The message names the database (password hidden) and says what to do.
    """

    headline = "The results database is unavailable"
    exit_status = ExitStatus.UNAVAILABLE


class PermissionDenied(ImpulatorError, PermissionError):
    """The results database refused an operation to this user (a viewer saving, say).

    Example:
        >>> from impulator.store import PermissionDenied
        >>> issubclass(PermissionDenied, PermissionError)
        True
    """

    headline = "Not allowed"
    exit_status = ExitStatus.PERMISSION_DENIED

    def describe(self) -> str:
        if "read-only access" in str(self):
            return VIEWER_MESSAGE
        return super().describe()


class NotFound(ImpulatorError, LookupError):
    """Something asked for by its id does not exist, or this user may not see it."""

    headline = "Not found"


class CompoundNotFound(NotFound):
    """No stored compound with that id is visible to this user.

    Example:
        >>> str(CompoundNotFound(42))
        'no compound 42 (it does not exist or is not shared with you)'
    """

    def __init__(self, compound_id: object) -> None:
        self.compound_id = compound_id
        super().__init__(f"no compound {compound_id} (it does not exist or is not shared with you)")


class JobNotFound(NotFound):
    """No job with that id is visible to this user.

    Example:
        >>> str(JobNotFound(7))
        'no job 7 (it does not exist or is not yours)'
    """

    def __init__(self, job_id: object) -> None:
        self.job_id = job_id
        super().__init__(f"no job {job_id} (it does not exist or is not yours)")
