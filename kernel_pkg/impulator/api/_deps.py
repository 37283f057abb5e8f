"""What every route depends on: the running service and the checked caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request, Security
from fastapi.security import APIKeyHeader
from starlette.concurrency import run_in_threadpool

from impulator._logs import SCOPE_LOG_FIELDS, set_log_context
from impulator.api._auth import Caller, authenticate, require
from impulator.api._browser import BrowserLogin
from impulator.api._limits import RateLimiter
from impulator.api._settings import ApiSettings, Identify
from impulator.store import acting_as

__all__ = [
    "MAX_ID",
    "Reader",
    "RowId",
    "Service",
    "ServiceDep",
    "Submitter",
    "Writer",
    "access",
    "service_of",
]

#: Shown in the OpenAPI document and the docs' "Authorize" button.
TOKEN_HEADER = APIKeyHeader(
    name="Authorization",
    description="Your JupyterHub API token as 'token <token>' (the hub's /hub/token page).",
    auto_error=False,
)


@dataclass
class Service:
    """The app's shared parts: settings, the token check, the rate limiter and the hub's
    login for browsers (None: tokens only)."""

    settings: ApiSettings
    identify: Identify
    limiter: RateLimiter
    browser: BrowserLogin | None = None

    @property
    def url(self) -> str | None:
        """The API's own database login."""
        return self.settings.database_url

    @contextmanager
    def as_caller(self, caller: Caller) -> Iterator[str | None]:
        """Every transaction in the block runs as the caller; yields the database URL."""
        with acting_as(caller.name):
            yield self.url


def service_of(request: Request) -> Service:
    """The :class:`Service` of the app serving ``request``."""
    service: Service = request.app.state.impulator
    return service


ServiceDep = Annotated[Service, Depends(service_of)]


def access(level: str, bucket: str = "read") -> Callable[..., Awaitable[Caller]]:
    """A dependency: the caller, with a token carrying ``level``, counted in ``bucket``."""

    async def dependency(
        request: Request, _token: Annotated[str | None, Security(TOKEN_HEADER)] = None
    ) -> Caller:
        service = service_of(request)
        caller = await authenticate(request, service.identify, service.browser)
        # The request's log lines name its user (and job) from here on; kept in the scope
        # too, for the error handler that runs outside this request's context.
        fields = {"user": caller.name, "job_id": request.path_params.get("job_id")}
        set_log_context(**fields)
        request.scope[SCOPE_LOG_FIELDS] = fields
        require(caller, level)
        await run_in_threadpool(service.limiter.hit, caller.name, bucket)
        return caller

    return dependency


#: The largest id a compound or job can have (the columns are 32-bit integers).
MAX_ID = 2**31 - 1
#: A compound or job id in a path.
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]

Reader = Annotated[Caller, Depends(access("read"))]
Writer = Annotated[Caller, Depends(access("write"))]
Submitter = Annotated[Caller, Depends(access("write", "submit"))]
