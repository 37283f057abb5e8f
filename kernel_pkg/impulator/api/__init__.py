"""The impulator REST API: a JupyterHub service for scripts and other systems.

Served by ``impulator api`` (uvicorn) as the hub service ``impulator-api`` under
``/services/impulator-api/``; every route is versioned under ``v1``. Callers send a
JupyterHub API token (``Authorization: token ...``); the token's scopes
(``custom:impulator:read|write|admin``) decide what it may do, and every request runs in the
database as the calling user, so row-level security decides what it sees.

    create_app(settings=None)   -> the FastAPI app (needs the ``api`` extra)
    serve(host, port)           -> run it on uvicorn
    Client(url, token)          -> the API from a script (httpx only)

Example:
    >>> from impulator.api import ApiSettings
    >>> ApiSettings.from_env({"JUPYTERHUB_SERVICE_PREFIX": "/services/impulator-api/"}).base
    '/services/impulator-api'
"""

from __future__ import annotations

import typing as _typing

from impulator.api._client import ApiRequestError, Client
from impulator.api._settings import ApiSettings

if _typing.TYPE_CHECKING:
    from fastapi import FastAPI

__all__ = ["ApiRequestError", "ApiSettings", "Client", "create_app", "serve"]


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """The API as a FastAPI app (settings default: from the environment)."""
    from impulator.api._app import create_app as create

    return create(settings)


def serve(host: str = "127.0.0.1", port: int | None = None) -> None:
    """Run the API on uvicorn until stopped (port: the hub's service URL, else 8003)."""
    from impulator.api._serve import serve as run

    run(host, port)
