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

What rows a caller sees is not decided here: every request runs in the database as the
caller (``impulator.store.acting_as``) and row-level security decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import Request

from impulator.api._errors import ApiError
from impulator.api._settings import ApiSettings, Identify

__all__ = ["SCOPES", "Caller", "authenticate", "hub_identify", "require"]

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


def hub_identify(settings: ApiSettings) -> Identify:
    """Token checks with JupyterHub's ``HubAuth`` (the hub's API URL and this service's token)."""
    from jupyterhub.services.auth import HubAuth

    if not settings.hub_api_url or not settings.hub_api_token:
        raise RuntimeError(
            "the impulator API checks tokens with JupyterHub: run it as a hub service "
            "(JUPYTERHUB_API_URL and JUPYTERHUB_API_TOKEN are set by the hub)"
        )
    auth = HubAuth(
        api_url=settings.hub_api_url,
        api_token=settings.hub_api_token,
        cache_max_age=settings.token_cache_seconds,
    )

    async def identify(token: str) -> dict[str, object] | None:
        model: dict[str, object] | None = await auth.user_for_token(token, sync=False)
        return model

    return identify


async def authenticate(request: Request, identify: Identify) -> Caller:
    """The caller of ``request``: 401 without a valid token, 403 for a service's token."""
    header = request.headers.get("authorization", "")
    match = _HEADER.match(header)
    if not match:
        raise ApiError(
            401,
            "Send your JupyterHub API token in the header 'Authorization: token <token>'; "
            "make one on the hub's token page (/hub/token).",
            {"WWW-Authenticate": "token"},
        )
    try:
        model = await identify(match.group(1))
    except Exception as exc:
        raise ApiError(
            503, f"The hub could not check your token just now ({exc}); try again in a minute."
        ) from exc
    if not model:
        raise ApiError(
            401,
            "The hub does not know this token (expired or revoked?): make a new one on the "
            "hub's token page (/hub/token).",
            {"WWW-Authenticate": "token"},
        )
    if model.get("kind", "user") != "user":
        raise ApiError(403, "Only users' tokens can use the impulator API; this one is not.")
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
