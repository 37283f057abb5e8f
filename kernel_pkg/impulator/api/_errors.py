"""Every error the API returns: a status and ``{"error": "<a sentence a person can act on>"}``.

The library's own errors keep their words: a compound or job the caller cannot see is 404
(row-level security hides it: the API never says whether it exists), the database refusing an
operation is 403, an unreachable database 503, invalid input 400, a too large batch 413.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from impulator._errors import CompoundNotFound, PermissionDenied, StoreUnavailable
from impulator._logs import SCOPE_LOG_FIELDS, log_context

__all__ = [
    "ERROR_RESPONSES",
    "ApiError",
    "ErrorBody",
    "as_sentence",
    "error",
    "install_error_handlers",
    "jsonable",
    "size_in_words",
]

log = logging.getLogger("impulator.api")


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: str = Field(description="What went wrong and what to do about it, in a sentence.")


#: The error responses every operation may give, in the OpenAPI document (so a validation
#: error is documented as this body, not FastAPI's default one).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": words}
    for status, words in (
        (400, "The request cannot be done as asked (the sentence says why)."),
        (401, "No token, or one the hub does not know."),
        (403, "The token lacks the permission, or the database refused."),
        (404, "No such compound, job or address (or not yours to see)."),
        (413, "The upload is too large."),
        (422, "A parameter or the body is invalid."),
        (429, "Too many requests this minute; see Retry-After."),
        (503, "The database or the hub cannot be reached just now."),
    )
}


class ApiError(Exception):
    """An error response: ``status``, a sentence, and optional headers (``Retry-After``)."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


def size_in_words(size: int) -> str:
    """``size`` bytes for people.

    >>> size_in_words(50_000_000), size_in_words(1_500), size_in_words(12)
    ('50 MB', '1.5 kB', '12 bytes')
    """
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} bytes"


def as_sentence(message: str) -> str:
    """The library's words as a sentence: a capital first letter and a full stop.

    >>> as_sentence("no group named 'x': an administrator creates groups")
    "No group named 'x': an administrator creates groups."
    """
    message = message.strip()
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "!", "?")) else message + "."


def error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The JSON error response."""
    return JSONResponse({"error": message}, status_code=status, headers=dict(headers or {}))


#: FastAPI's and Starlette's own words, and what to say instead.
_DETAIL_WORDS = {
    "There was an error parsing the body": (
        "The body is not valid JSON: send a JSON object with Content-Type: application/json."
    ),
}
_HTTP_WORDS = {
    404: "No such address in the impulator API: see /v1/openapi.json for the endpoints.",
    405: "This address does not accept that method: see /v1/openapi.json for the endpoints.",
}


def _validation_sentence(exc: RequestValidationError) -> str:
    parts = []
    for problem in exc.errors()[:3]:
        where = ".".join(str(p) for p in problem.get("loc", ()) if p != "body")
        parts.append(f"{where or 'the request'}: {problem.get('msg', 'invalid')}")
    return "Invalid request (" + "; ".join(parts) + "); correct it and send it again."


def install_error_handlers(app: FastAPI) -> None:
    """Turn every exception into the JSON error body."""

    async def api_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error(exc.status, exc.message, exc.headers)

    async def http_error(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else None
        message = (
            _HTTP_WORDS.get(exc.status_code)
            or _DETAIL_WORDS.get(detail or "")
            or as_sentence(detail or "The request failed; check it against /v1/openapi.json.")
        )
        return error(exc.status_code, message, exc.headers)

    async def invalid(_: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error(422, _validation_sentence(exc))

    async def library(request: Request, exc: Exception) -> JSONResponse:
        status = _status_of(exc)
        if status == 500:
            with log_context(**request.scope.get(SCOPE_LOG_FIELDS, {})):
                log.exception("unexpected error", exc_info=exc)
            return error(
                500,
                "The API failed unexpectedly; the details are in its log for "
                "the administrator. Try again later.",
            )
        return error(status, as_sentence(str(exc) or type(exc).__name__))

    app.add_exception_handler(ApiError, api_error)
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
    for kind in (LookupError, PermissionDenied, StoreUnavailable, ValueError, TypeError):
        app.add_exception_handler(kind, library)  # CompoundNotFound is a LookupError
    app.add_exception_handler(Exception, library)  # 500, logged


def _status_of(exc: Exception) -> int:
    from impulator.batch import BatchTooLarge

    table: list[tuple[type[Exception], int]] = [
        (CompoundNotFound, 404),
        (LookupError, 404),
        (PermissionDenied, 403),
        (StoreUnavailable, 503),
        (BatchTooLarge, 413),
        (ValueError, 400),
        (TypeError, 400),
    ]
    for kind, status in table:
        if isinstance(exc, kind):
            return status
    return 500


def jsonable(value: Any) -> Any:
    """Plain JSON values from the library's results (times as ISO 8601, NaN as null)."""
    import math
    from datetime import date, datetime

    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return [jsonable(r) for r in value.to_dict(orient="records")]
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date | pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NaT or value is pd.NA:
        return None
    return value
