"""``impulator api``: the API on uvicorn (a hub-managed service locally)."""

from __future__ import annotations

import os

__all__ = ["serve"]


def serve(host: str = "127.0.0.1", port: int | None = None) -> None:
    """Run the API until stopped. ``port`` defaults to the port of ``JUPYTERHUB_SERVICE_URL``
    (what the hub proxies to), else 8003."""
    import uvicorn

    from impulator._logs import configure_logging
    from impulator.api._app import create_app

    if port is None:
        url = os.environ.get("JUPYTERHUB_SERVICE_URL", "")
        tail = url.rsplit(":", 1)[-1].split("/")[0] if url.count(":") >= 2 else ""
        port = int(tail) if tail.isdigit() else 8003
    # uvicorn's lines too go through the one handler: JSON (or IMPULATOR_LOG_FORMAT=text),
    # tokens in query strings and headers hidden.
    configure_logging()
    uvicorn.run(create_app(), host=host, port=port, proxy_headers=True, log_config=None)
