"""``configure(c)``: impulator added to a JupyterHub configuration, in either host.

Locally ``hub/jupyterhub_config.py`` (``make up``) calls it after setting the network, the
hub state, the demo login and the local services; in Kubernetes the chart's
``hub.extraConfig`` calls it inside Zero to JupyterHub's own configuration. Everything is
appended or merged: z2jh's idle culler, ``hub.services``, ``hub.loadRoles`` and
``singleuser.extraEnv`` stay.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from impulator.hub._merge import (
    add_environment,
    add_roles,
    add_scopes,
    add_server_token_scopes,
    add_services,
    chain_pre_spawn_hook,
    set_default,
)
from impulator.hub._oidc import configure_oidc
from impulator.hub._policy import CUSTOM_SCOPES, PASSED_ON, ROLE_GROUPS, ROLES, SERVER_TOKEN_SCOPES
from impulator.hub._services import external_gateway_service, gateway_environment
from impulator.hub._spawn import PrepareHome, make_pre_spawn_hook


def base_environment(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The data settings every user server and service inherits (no credentials)."""
    return {name: environ[name] for name in PASSED_ON if environ.get(name)}


def configure(
    c: Any,
    *,
    environ: Mapping[str, str] | None = None,
    local: bool | None = None,
    prepare_home: PrepareHome | None = None,
    extra_environment: Mapping[str, str] | None = None,
) -> None:
    """Add impulator's roles, custom scopes, services, spawn hook and Voila home to ``c``.

    ``local`` defaults to ``IMPULATOR_HUB_MODE`` (``local`` or ``production``). In production
    the login is OpenID Connect (from the host's ``GenericOAuthenticator`` settings when
    present, else ``IMPULATOR_OIDC_*``) and the gateway registers by URL
    (``IMPULATOR_GATEWAY_URL``) unless the host already has a service of that name.
    ``prepare_home`` is called on a local user's folder before each spawn.
    """
    environ = os.environ if environ is None else environ
    mode = environ.get("IMPULATOR_HUB_MODE", "local")
    if mode not in ("local", "production"):
        raise RuntimeError(f"IMPULATOR_HUB_MODE={mode!r}: use 'local' (make up) or 'production'")
    local = mode == "local" if local is None else local
    if not local:
        configure_oidc(c, ROLE_GROUPS, environ)
        add_services(c, external_gateway_service(environ))
    add_scopes(c, CUSTOM_SCOPES)
    add_roles(c, ROLES)
    env = {**base_environment(environ), **gateway_environment(environ, local=local)}
    add_environment(c, {**env, **(extra_environment or {})})
    chain_pre_spawn_hook(c, make_pre_spawn_hook(environ, prepare_home))
    add_server_token_scopes(c, SERVER_TOKEN_SCOPES)
    set_default(c, "Spawner", "default_url", "/lab")
    # A cold start imports JupyterLab, Voila and RDKit: allow for a slow node.
    set_default(c, "Spawner", "start_timeout", 120)
    set_default(c, "Spawner", "http_timeout", 120)
