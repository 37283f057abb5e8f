"""A lighter user server for the load scenario's simulated accounts (standard library only).

The hub starts it instead of ``jupyterhub-singleuser`` for the simulated users (see
``hub_config.py``): it listens where the hub told it (``JUPYTERHUB_SERVICE_URL``) and answers
every GET under the user's prefix with a small page, so the hub's spawn, the proxy's route
and the request path through the proxy are the real ones while a server costs about 15 MB
instead of a JupyterLab with Voila. Arguments the hub adds are ignored.
"""

from __future__ import annotations

import html
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

PAGE = """<!doctype html><html><head><title>impulator (load)</title></head>
<body><h1>Dashboard stand-in of {user}</h1><p>{path}</p></body></html>"""


class Handler(BaseHTTPRequestHandler):
    """The page for any path under the user's prefix; 404 elsewhere."""

    prefix = "/"
    user = ""

    def do_GET(self) -> None:
        if not self.path.startswith(self.prefix.rstrip("/")):
            self.send_error(404)
            return
        body = PAGE.format(user=html.escape(self.user), path=html.escape(self.path)).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: thousands of requests would fill the hub's log."""


def main() -> None:
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    Handler.prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", url.path or "/")
    Handler.user = os.environ.get("JUPYTERHUB_USER", "")
    server = ThreadingHTTPServer((url.hostname or "127.0.0.1", url.port or 8888), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
