"""``impulator api``: the REST API service on uvicorn.

impulator api [--host 127.0.0.1] [--port PORT]
"""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_commands"]


def add_commands(commands: Any) -> None:
    """Add ``api`` to the ``impulator`` command."""
    p = commands.add_parser(
        "api",
        help="serve the REST API (a hub service: tokens are checked by JupyterHub)",
        description="Runs the impulator REST API on uvicorn. Started by the hub as the "
        "service 'impulator-api'; it reads JUPYTERHUB_API_URL, JUPYTERHUB_API_TOKEN, "
        "JUPYTERHUB_SERVICE_PREFIX and IMPULATOR_API_DATABASE_URL (its own database login). "
        "Needs the 'api' extra: pip install 'impulator[api]'.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument(
        "--port", type=int, default=None, help="port (default: the hub's service URL, else 8003)"
    )
    p.set_defaults(run=_api)


def _api(args: argparse.Namespace) -> int:
    from impulator.api import serve

    serve(args.host, args.port)
    return 0
