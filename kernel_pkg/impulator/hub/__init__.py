"""impulator on JupyterHub: one configuration for ``make up`` and the Helm chart.

``configure(c)`` adds impulator's roles, custom scopes, services, spawn hook and Voila home
to a hub configuration by appending and merging, so Zero to JupyterHub's own settings stay.
Needs the ``hub`` extra (JupyterHub, oauthenticator); nothing here imports them at load.
``WarmKernelManager`` (the Voila pages' warm kernels on users' servers), ``PageKernelClient`` and
``share_compiled_templates`` are imported on first use: they need ``jupyter_server`` and
``nbconvert``, which users' servers have and the hub may not.
"""

from __future__ import annotations

import typing as _typing

from impulator.hub._configure import base_environment, configure
from impulator.hub._oidc import configure_oidc, map_oidc_groups
from impulator.hub._page_assets import (
    cache_extension_files,
    serve_ngl_viewer,
    serve_plotly_widget,
)
from impulator.hub._page_config import set_page_xsrf_cookie, trim_page_extensions
from impulator.hub._policy import (
    API_SERVICE,
    CUSTOM_SCOPES,
    DASHBOARD_GROUP,
    GATEWAY_SERVICE,
    IDLE_CULLER_ROLE,
    PASSED_ON,
    ROLE_GROUPS,
    ROLES,
    SERVER_TOKEN_SCOPES,
    VOILA_HOME,
    platform_role,
)
from impulator.hub._services import (
    api_service,
    external_gateway_service,
    gateway_environment,
    gateway_service,
    idle_culler_service,
    runner_service,
)
from impulator.hub._spawn import PrepareHome, make_pre_spawn_hook, user_database_url

if _typing.TYPE_CHECKING:
    from impulator.hub._kernel_pool import WarmKernelManager
    from impulator.hub._page_client import PageKernelClient
    from impulator.hub._templates import share_compiled_templates

__all__ = [
    "API_SERVICE",
    "CUSTOM_SCOPES",
    "DASHBOARD_GROUP",
    "GATEWAY_SERVICE",
    "IDLE_CULLER_ROLE",
    "PASSED_ON",
    "ROLES",
    "ROLE_GROUPS",
    "SERVER_TOKEN_SCOPES",
    "VOILA_HOME",
    "PageKernelClient",
    "PrepareHome",
    "WarmKernelManager",
    "api_service",
    "base_environment",
    "cache_extension_files",
    "configure",
    "configure_oidc",
    "external_gateway_service",
    "gateway_environment",
    "gateway_service",
    "idle_culler_service",
    "make_pre_spawn_hook",
    "map_oidc_groups",
    "platform_role",
    "runner_service",
    "serve_ngl_viewer",
    "serve_plotly_widget",
    "set_page_xsrf_cookie",
    "share_compiled_templates",
    "trim_page_extensions",
    "user_database_url",
]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """A Jupyter server extension: users' servers give Voila pages warm kernels."""
    return [{"module": "impulator.hub"}]


def _link_jupyter_server_extension(server_app: object) -> None:
    from impulator.hub._kernel_pool import use_warm_kernels

    use_warm_kernels(server_app)


def _load_jupyter_server_extension(server_app: _typing.Any) -> None:
    """The kernel manager was chosen at link time; Voila's pages share compiled templates, and
    browsers keep the extensions' files."""
    from impulator.hub._templates import share_compiled_templates

    share_compiled_templates()
    cache_extension_files(server_app.web_app.settings, server_app.base_url)


def __getattr__(name: str) -> object:
    if name == "WarmKernelManager":
        from impulator.hub._kernel_pool import WarmKernelManager

        return WarmKernelManager
    if name == "PageKernelClient":
        from impulator.hub._page_client import PageKernelClient

        return PageKernelClient
    if name == "share_compiled_templates":
        from impulator.hub._templates import share_compiled_templates

        return share_compiled_templates
    raise AttributeError(f"module 'impulator.hub' has no attribute {name!r}")
