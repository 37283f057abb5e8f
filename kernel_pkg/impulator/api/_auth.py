"""Who is calling: the JupyterHub token in ``Authorization: token ...``, checked by the hub.

Tokens are checked with JupyterHub's own ``HubAuth.user_for_token`` (answers cached for
``token_cache_seconds``): the hub answers with the token owner's name and the token's scopes.
The token's *own* scopes decide what a request may do, so a user can make a read-only token
for a script:

| scope | may |
|---|---|
| ``custom:impulator:read`` | read compounds, jobs, analytics, exports |
| ``custom:impulator:write`` | also submit, delete, share, cancel and retry |
| ``custom:impulator:admin`` | the same (the database shows an admin everyone's rows) |

A browser of a logged-in hub user gets the same through the hub's OAuth and a cookie
(:mod:`impulator.api._browser`); the token in the cookie carries the user's impulator scopes.

What rows a caller sees is not decided here: every request runs in the database as the
caller (``impulator.store.acting_as``) and row-level security decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi import Request

from impulator.api._browser import BrowserLogin
from impulator.api._errors import ApiError
from impulator.api._settings import ApiSettings, Identify

if TYPE_CHECKING:
    from jupyterhub.services.auth import HubAuth

__all__ = [
    "SCOPES",
    "Caller",
    "authenticate",
    "browser_login",
    "hub_auth",
    "hub_identify",
    "require",
]

#: The custom JupyterHub scope behind each level, weakest first.
SCOPES = {
    "read": "custom:impulator:read",
    "write": "custom:impulator:write",
    "admin": "custom:impulator:admin",
}
_LEVELS = list(SCOPES)
_HEADER = re.compile(r"^\s*(?:token|bearer)\s+(\S+)\s*$", re.IGNORECASE)
_WHAT = {
    "read": "reading impulator results",
    "write": "submitting, deleting and sharing (the chemist, instructor and admin roles have it)",
    "admin": "managing everyone's results (the admin role has it)",
}


@dataclass(frozen=True)
class Caller:
    """The user a request acts for and the impulator scopes of their token."""

    name: str
    scopes: frozenset[str]

    def may(self, level: str) -> bool:
        """Whether the token carries ``level`` (``read``, ``write``, ``admin``) or a stronger one.

        >>> Caller("alice", frozenset({"custom:impulator:write"})).may("read")
        True
        >>> Caller("vera", frozenset({"custom:impulator:read"})).may("write")
        False
        """
        stronger = _LEVELS[_LEVELS.index(level) :]
        return any(SCOPES[s] in self.scopes for s in stronger)


def hub_auth(settings: ApiSettings) -> HubAuth:
    """JupyterHub's service auth for the hub of ``settings``: ``HubOAuth`` when the service
    is an OAuth client of the hub (browsers can log in), else ``HubAuth`` (tokens only)."""
    from jupyterhub.services.auth import HubAuth, HubOAuth

    if not settings.hub_api_url or not settings.hub_api_token:
        raise RuntimeError(
            "the impulator API checks tokens with JupyterHub: run it as a hub service "
            "(JUPYTERHUB_API_URL and JUPYTERHUB_API_TOKEN are set by the hub)"
        )
    common = {
        "api_url": settings.hub_api_url,
        "api_token": settings.hub_api_token,
        "cache_max_age": settings.token_cache_seconds,
    }
    if settings.oauth_client_id:
        return HubOAuth(
            oauth_client_id=settings.oauth_client_id, base_url=settings.prefix, **common
        )
    return HubAuth(**common)


def browser_login(settings: ApiSettings, auth: HubAuth) -> BrowserLogin | None:
    """The hub's OAuth login for browsers, when ``auth`` is a ``HubOAuth``."""
    from jupyterhub.services.auth import HubOAuth

    if not isinstance(auth, HubOAuth) or not settings.hub_api_token:
        return None
    https = (settings.public_url or "").startswith("https:")
    return BrowserLogin(auth, settings.base, settings.hub_api_token, https=https)


def hub_identify(settings: ApiSettings, auth: HubAuth | None = None) -> Identify:
    """Token checks with JupyterHub's ``HubAuth`` (the hub's API URL and this service's token)."""
    auth = auth or hub_auth(settings)

    async def identify(token: str) -> dict[str, object] | None:
        model: dict[str, object] | None = await auth.user_for_token(token, sync=False)
        return model

    return identify


async def authenticate(
    request: Request, identify: Identify, browser: BrowserLogin | None = None
) -> Caller:
    """The caller of ``request``: 401 without a valid token, 403 for a service's token.

    With ``browser``, the hub login's cookie counts as a token (changes need its XSRF value)
    and a browser asking for a page without one is sent through the hub's login (302)."""
    header = request.headers.get("authorization", "")
    match = _HEADER.match(header)
    cookie = browser.token_of(request) if browser and not header else None
    if not match and not cookie:
        if browser and browser.wants_login(request):
            raise browser.login_redirect(request)
        raise ApiError(
            401,
            "Send your JupyterHub API token in the header 'Authorization: token <token>'; "
            "make one on the hub's token page (/hub/token).",
            {"WWW-Authenticate": "token"},
        )
    token = match.group(1) if match else str(cookie)
    try:
        model = await identify(token)
    except Exception as exc:
        raise ApiError(
            503, f"The hub could not check your token just now ({exc}); try again in a minute."
        ) from exc
    if not model and browser and cookie and browser.wants_login(request):
        raise browser.login_redirect(request)  # the login has expired: log in again
    if not model:
        raise ApiError(
            401,
            "The hub does not know this token (expired or revoked?): make a new one on the "
            "hub's token page (/hub/token).",
            {"WWW-Authenticate": "token"},
        )
    if model.get("kind", "user") != "user":
        raise ApiError(403, "Only users' tokens can use the impulator API; this one is not.")
    if browser and cookie:
        browser.check_xsrf(request, token)
    scopes = model.get("scopes") or []
    return Caller(str(model["name"]), frozenset(str(s) for s in scopes))


def require(caller: Caller, level: str) -> None:
    """403 unless ``caller``'s token carries ``level``."""
    if not caller.may(level):
        raise ApiError(
            403,
            f"This token lacks the {SCOPES[level]} permission, needed for {_WHAT[level]}. "
            "Make a token with it on the hub's token page, or ask an administrator for a role "
            "that has it.",
        )
