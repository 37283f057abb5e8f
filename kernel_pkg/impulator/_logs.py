"""Logs of the services (the job runner, the REST API): one JSON object a line, secrets hidden.

Each line has ``time`` (UTC, ISO 8601), ``level``, ``logger`` and ``message``, plus ``job_id``
and ``user`` while a job or a request is being handled (set with :func:`log_context`), and
``error`` with the traceback when there is one. Log collectors (Loki, Elasticsearch, Cloud
Logging) read the fields without parsing text.

Secrets never reach a line: every message and traceback goes through :func:`redact_secrets`,
which hides database URLs' passwords, JupyterHub and bearer tokens (``Authorization`` headers,
``token=`` query parameters) and ``*_TOKEN=``/``*_PASSWORD=`` settings.

``IMPULATOR_LOG_FORMAT=text`` gives plain lines for a terminal (the same fields, redacted the
same way); ``IMPULATOR_LOG_LEVEL`` sets the level (default ``INFO``).

Example:
    >>> redact_secrets("postgresql://runner:s3cret@db/imp, Authorization: token abc123")
    'postgresql://runner:***@db/imp, Authorization: token ***'
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TextIO

from impulator._errors import InvalidInput

__all__ = [
    "LOG_FORMATS",
    "SCOPE_LOG_FIELDS",
    "JsonFormatter",
    "RedactingFilter",
    "TextFormatter",
    "configure_logging",
    "current_context",
    "log_context",
    "redact_secrets",
    "set_log_context",
]

#: Values of ``IMPULATOR_LOG_FORMAT``.
LOG_FORMATS = ("json", "text")
#: Where a web request's ASGI scope keeps its ``job_id`` and ``user``, for the handlers that
#: run outside the request's own context (the API's handler of unexpected errors).
SCOPE_LOG_FIELDS = "impulator.log_fields"

_job_id: ContextVar[int | str | None] = ContextVar("impulator_log_job_id", default=None)
_user: ContextVar[str | None] = ContextVar("impulator_log_user", default=None)

HIDDEN = "***"
#: (pattern, replacement): what a secret looks like in a message, and what is kept of it.
_SECRETS: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:password@host: the password.
    (re.compile(r"(://[^:/?#@\s]*:)[^@/\s]+(@)"), rf"\1{HIDDEN}\2"),
    # Authorization: token X / Bearer X / Basic X (headers, dict reprs, curl lines).
    (
        re.compile(
            r"(authorization['\"]?\s*[:=]\s*['\"]?\s*(?:token|bearer|basic)\s+)[^\s'\",;]+",
            re.IGNORECASE,
        ),
        rf"\1{HIDDEN}",
    ),
    (re.compile(r"(\b(?:token|bearer)\s+)[A-Za-z0-9_\-.~+/=]{16,}", re.IGNORECASE), rf"\1{HIDDEN}"),
    # ?token=X, &access_token=X, _xsrf=X in URLs and forms.
    (
        re.compile(r"([?&;](?:[a-z_]*token|_xsrf|password|secret)=)[^&\s'\"#]+", re.IGNORECASE),
        rf"\1{HIDDEN}",
    ),
    # FOO_TOKEN=X, API_KEY: X, "password": "X", secret=X (settings, environments, dicts).
    (
        re.compile(
            r"((?:token|password|passwd|secret|api_key|apikey)['\"]?\s*[:=]\s*['\"]?)"
            r"(?!\*\*\*)[^\s'\",&;}]+",
            re.IGNORECASE,
        ),
        rf"\1{HIDDEN}",
    ),
)
#: Text without any of these holds none of the secrets above (the common case, one scan).
_MAYBE_SECRET = re.compile(r"://|token|bearer|basic|passw|secret|api_?key|_xsrf", re.IGNORECASE)
#: Set on a record whose message the filter has redacted already.
_REDACTED = "impulator_redacted"


def redact_secrets(text: str) -> str:
    """``text`` with passwords and tokens replaced by ``***``.

    Example:
        >>> redact_secrets("GET /hub/api/user?token=0123abcd&x=1")
        'GET /hub/api/user?token=***&x=1'
        >>> redact_secrets("JUPYTERHUB_API_TOKEN=abc def")
        'JUPYTERHUB_API_TOKEN=*** def'
    """
    if not _MAYBE_SECRET.search(text):
        return text
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


@contextmanager
def log_context(*, job_id: int | str | None = None, user: str | None = None) -> Iterator[None]:
    """Within the block, every log line carries ``job_id`` and ``user`` (those given).

    Context variables: each thread and each request task has its own values.

    Example:
        >>> with log_context(job_id=7, user="alice"):
        ...     current_context()
        {'job_id': 7, 'user': 'alice'}
        >>> current_context()
        {}
    """
    job_token = _job_id.set(job_id) if job_id is not None else None
    user_token = _user.set(user) if user is not None else None
    try:
        yield
    finally:
        if user_token is not None:
            _user.reset(user_token)
        if job_token is not None:
            _job_id.reset(job_token)


def set_log_context(*, job_id: int | str | None = None, user: str | None = None) -> None:
    """Log lines of the current request (its task, and threads it starts with a copy of its
    context) carry ``job_id`` and ``user`` (those given) from now on."""
    if job_id is not None:
        _job_id.set(job_id)
    if user is not None:
        _user.set(user)


def current_context() -> dict[str, Any]:
    """The ``job_id`` and ``user`` the current log lines carry (those that are set)."""
    found = {"job_id": _job_id.get(), "user": _user.get()}
    return {key: value for key, value in found.items() if value is not None}


class RedactingFilter(logging.Filter):
    """Hides secrets in a record's message and arguments, and adds ``job_id`` and ``user``."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, _REDACTED, False):
            record.msg, record.args = redact_secrets(record.getMessage()), None
            setattr(record, _REDACTED, True)
        for key, value in current_context().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True


def _message(record: logging.LogRecord) -> str:
    message = record.getMessage()
    return message if getattr(record, _REDACTED, False) else redact_secrets(message)


def _error_text(formatter: logging.Formatter, record: logging.LogRecord) -> str | None:
    if record.exc_info:
        return redact_secrets(formatter.formatException(record.exc_info))
    if record.stack_info:
        return redact_secrets(formatter.formatStack(record.stack_info))
    return None


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, job_id, user, error."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": _message(record),
        }
        for key in ("job_id", "user"):
            value = getattr(record, key, None)
            if value is not None:
                entry[key] = value
        error = _error_text(self, record)
        if error:
            entry["error"] = error
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Plain lines for a terminal: ``time level logger [job user] message``."""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created).isoformat(sep=" ", timespec="seconds")
        where = " ".join(
            f"{key}={getattr(record, key)}"
            for key in ("job_id", "user")
            if getattr(record, key, None) is not None
        )
        line = f"{when} {record.levelname} {record.name}"
        line += f" [{where}]" if where else ""
        line += f": {_message(record)}"
        error = _error_text(self, record)
        return f"{line}\n{error}" if error else line


def configure_logging(
    fmt: str | None = None,
    *,
    level: str | int | None = None,
    stream: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> logging.Handler:
    """Send every log line of the process (uvicorn's, Dask's and ours) through one handler.

    ``fmt``: ``json`` or ``text`` (default ``IMPULATOR_LOG_FORMAT``, else ``json``); ``level``
    default ``IMPULATOR_LOG_LEVEL``, else ``INFO``. Replaces the root logger's handlers, so
    calling it again reconfigures instead of doubling lines. Returns the handler.
    """
    env = os.environ if environ is None else environ
    fmt = (fmt or env.get("IMPULATOR_LOG_FORMAT") or "json").strip().lower()
    if fmt not in LOG_FORMATS:
        raise InvalidInput(f"IMPULATOR_LOG_FORMAT={fmt!r}: use one of {', '.join(LOG_FORMATS)}")
    level = level or env.get("IMPULATOR_LOG_LEVEL") or "INFO"
    if isinstance(level, str):
        level = level.strip().upper()
        if not isinstance(logging.getLevelName(level), int):
            raise InvalidInput(
                f"IMPULATOR_LOG_LEVEL={level!r}: use DEBUG, INFO, WARNING, ERROR or CRITICAL"
            )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # Libraries that print through handlers of their own (Dask's on distributed and tornado,
    # uvicorn's) would write lines in another format, unredacted: theirs go through ours.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", *root.manager.loggerDict):
        logger = logging.getLogger(name)
        printing = [
            h
            for h in logger.handlers
            if isinstance(h, logging.StreamHandler) and not isinstance(h, logging.FileHandler)
        ]
        for old in printing:
            logger.removeHandler(old)
        if printing or name.startswith("uvicorn"):
            logger.propagate = True
    return handler
