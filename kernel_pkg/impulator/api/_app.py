"""``create_app(settings)``: the FastAPI application, every route under ``{prefix}v1``.

Interactive docs are Swagger UI served from this service itself (the files of the
``swagger-ui-bundle`` package), never from a CDN: the platform may have no internet access.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from impulator._version import __version__
from impulator.api import _compounds, _jobs, _reads
from impulator.api._auth import browser_login, hub_auth, hub_identify
from impulator.api._browser import install_oauth_callback
from impulator.api._deps import Service
from impulator.api._errors import ERROR_RESPONSES, install_error_handlers
from impulator.api._limits import RateLimiter
from impulator.api._metrics import install_metrics
from impulator.api._settings import ApiSettings

__all__ = ["create_app"]

DESCRIPTION = """\
Analyze compounds, follow jobs and read results of the impulator platform from scripts.

Send a JupyterHub API token in `Authorization: token <token>` (make one on the hub's token
page); in a browser logged in to the hub, the hub's login works too (changes then need the
`X-XSRFToken` header with the login's XSRF cookie). Each request acts as the token's user in
the database: you see your own results and those shared with your groups. Errors are
`{"error": "<what to do>"}`.
"""


def create_app(settings: ApiSettings | None = None) -> FastAPI:
    """The API as a FastAPI app (settings default: :meth:`ApiSettings.from_env`)."""
    settings = settings or ApiSettings.from_env()
    base = settings.base
    v1 = f"{base}/v1"
    app = FastAPI(
        title="impulator API",
        version=__version__,
        description=DESCRIPTION,
        openapi_url=f"{v1}/openapi.json",
        docs_url=None,
        redoc_url=None,
        responses=ERROR_RESPONSES,
    )
    limits = {"submit": settings.submits_per_minute, "read": settings.reads_per_minute}
    limiter = RateLimiter(settings.database_url, limits)
    if settings.identify:
        service = Service(settings, settings.identify, limiter)
    else:
        auth = hub_auth(settings)
        service = Service(
            settings, hub_identify(settings, auth), limiter, browser_login(settings, auth)
        )
    app.state.impulator = service
    install_error_handlers(app)
    install_metrics(app, base)
    for module in (_compounds, _jobs, _reads):
        app.include_router(module.router, prefix=v1)
    _install_docs(app, v1)
    if service.browser:
        install_oauth_callback(app, service.browser)
    return app


def _install_docs(app: FastAPI, v1: str) -> None:
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:  # the docs are optional; the OpenAPI document is always there
        return
    app.mount(f"{v1}/docs/static", StaticFiles(directory=Path(swagger_ui_path)), name="swagger")

    @app.get(f"{v1}/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=f"{v1}/openapi.json",
            title="impulator API",
            swagger_js_url=f"{v1}/docs/static/swagger-ui-bundle.js",
            swagger_css_url=f"{v1}/docs/static/swagger-ui.css",
            swagger_favicon_url=f"{v1}/docs/static/favicon-32x32.png",
        )
