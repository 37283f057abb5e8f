"""The REST API's settings: from the environment a hub-managed service receives.

| variable | meaning | default |
|---|---|---|
| ``IMPULATOR_API_DATABASE_URL`` | the API's own login (``provision_api``) | the default URL |
| ``JUPYTERHUB_SERVICE_PREFIX`` | where the hub's proxy sends the service | ``/`` |
| ``JUPYTERHUB_API_URL``, ``JUPYTERHUB_API_TOKEN`` | the hub that checks tokens | set by the hub |
| ``IMPULATOR_API_SUBMITS_PER_MINUTE`` | submissions per user a minute | ``10`` |
| ``IMPULATOR_API_READS_PER_MINUTE`` | other requests per user a minute | ``100`` |
| ``IMPULATOR_API_MAX_UPLOAD_BYTES`` | largest batch upload | ``IMPULATOR_BATCH_MAX_BYTES`` |
| ``IMPULATOR_API_TOKEN_CACHE_SECONDS`` | how long a checked token is trusted | ``60`` |
| ``JUPYTERHUB_CLIENT_ID`` | the OAuth client: browsers log in through the hub | set by the hub |
| ``JUPYTERHUB_PUBLIC_URL`` | the hub's public address (``https``: cookies are Secure) | none |
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from impulator._errors import InvalidInput
from impulator.config import get_settings

__all__ = ["ApiSettings", "Identify"]

#: Resolves a token to the hub's user model (``name``, ``kind``, ``scopes``), or None.
Identify = Callable[[str], Awaitable[dict[str, Any] | None]]


@dataclass(frozen=True)
class ApiSettings:
    """How the API runs. Build from the environment with :meth:`from_env`.

    ``identify`` replaces the hub's token check (for tests of the app on its own); by default
    tokens are checked with JupyterHub's ``HubAuth`` against ``hub_api_url``. With an
    ``oauth_client_id`` (the hub gives one to a service with a URL), browsers log in through
    the hub's OAuth too (``impulator.api._browser``).
    """

    database_url: str | None = None
    prefix: str = "/"
    hub_api_url: str | None = None
    hub_api_token: str | None = None
    submits_per_minute: int = 10
    reads_per_minute: int = 100
    max_upload_bytes: int = 50_000_000
    token_cache_seconds: int = 60
    oauth_client_id: str | None = None
    public_url: str | None = None
    identify: Identify | None = None

    @property
    def base(self) -> str:
        """The path every route is under: the prefix without its trailing slash."""
        return "/" + self.prefix.strip("/") if self.prefix.strip("/") else ""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ApiSettings:
        """Settings from ``environ`` (default ``os.environ``); see the module's table.

        Example:
            >>> s = ApiSettings.from_env({"JUPYTERHUB_SERVICE_PREFIX": "/services/api/"})
            >>> s.base, s.submits_per_minute
            ('/services/api', 10)
        """
        env = os.environ if environ is None else environ

        def number(name: str, default: int) -> int:
            value = env.get(name)
            if not value:
                return default
            try:
                result = int(value)
            except ValueError:
                raise InvalidInput(f"{name}={value!r}: use a whole number") from None
            if result < 1:
                raise InvalidInput(f"{name}={value!r}: use a number of 1 or more")
            return result

        return cls(
            database_url=env.get("IMPULATOR_API_DATABASE_URL") or env.get("IMPULATOR_DATABASE_URL"),
            prefix=env.get("JUPYTERHUB_SERVICE_PREFIX", "/"),
            hub_api_url=env.get("JUPYTERHUB_API_URL"),
            hub_api_token=env.get("JUPYTERHUB_API_TOKEN"),
            submits_per_minute=number("IMPULATOR_API_SUBMITS_PER_MINUTE", 10),
            reads_per_minute=number("IMPULATOR_API_READS_PER_MINUTE", 100),
            max_upload_bytes=number(
                "IMPULATOR_API_MAX_UPLOAD_BYTES", get_settings(dict(env)).batch_max_bytes
            ),
            token_cache_seconds=number("IMPULATOR_API_TOKEN_CACHE_SECONDS", 60),
            oauth_client_id=env.get("JUPYTERHUB_CLIENT_ID") or None,
            public_url=env.get("JUPYTERHUB_PUBLIC_URL") or None,
        )
