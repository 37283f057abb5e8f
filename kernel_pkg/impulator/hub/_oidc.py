"""Production login: any OpenID Connect provider (Keycloak included) through oauthenticator's
GenericOAuthenticator, the provider's groups claim becoming impulator's hub groups.

| variable | meaning |
|---|---|
| ``IMPULATOR_OIDC_ISSUER`` | the provider's base URL (``https://sso.example.org/realms/chem``):
  Keycloak-style endpoints under ``/protocol/openid-connect`` |
| ``IMPULATOR_OIDC_AUTHORIZE_URL``, ``_TOKEN_URL``, ``_USERDATA_URL`` | endpoints one by one
  (any other provider) |
| ``IMPULATOR_OIDC_CLIENT_ID``, ``IMPULATOR_OIDC_CLIENT_SECRET``, ``OAUTH_CALLBACK_URL`` |
  the client, from the deployment's secrets |
| ``IMPULATOR_OIDC_USERNAME_CLAIM`` | default ``preferred_username`` |
| ``IMPULATOR_OIDC_GROUPS_CLAIM`` | default ``groups`` |
| ``IMPULATOR_OIDC_GROUP_MAP`` | ``provider=impulator`` pairs, comma separated |
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any


def map_oidc_groups(
    auth_state: Mapping[str, Any], environ: Mapping[str, str] = os.environ
) -> list[str]:
    """The hub groups of an OpenID Connect login, from the groups claim of its user info.

    Provider groups named in ``IMPULATOR_OIDC_GROUP_MAP`` become the impulator group they map
    to; others keep their name (they are sharing groups). Keycloak's full group paths lose
    their leading slash.

    >>> env = {"IMPULATOR_OIDC_GROUP_MAP": "med-chem=impulator-chemists"}
    >>> map_oidc_groups({"oauth_user": {"groups": ["/med-chem", "kinase-team"]}}, env)
    ['impulator-chemists', 'kinase-team']
    """
    claim = environ.get("IMPULATOR_OIDC_GROUPS_CLAIM", "groups")
    raw = (auth_state.get("oauth_user") or {}).get(claim) or []
    names = [raw] if isinstance(raw, str) else [str(name) for name in raw]
    mapping = dict(
        pair.strip().split("=", 1)
        for pair in environ.get("IMPULATOR_OIDC_GROUP_MAP", "").split(",")
        if "=" in pair
    )
    groups = set()
    for name in names:
        bare = name.lstrip("/")
        groups.add(mapping.get(name) or mapping.get(bare) or bare)
    return sorted(groups)


def configure_oidc(c: Any, role_groups: Iterable[str], environ: Mapping[str, str]) -> None:
    """Set GenericOAuthenticator on the hub config ``c``: only members of ``role_groups`` may
    log in, ``impulator-admins`` are hub admins. A missing setting stops the hub with its
    name.

    When the host has configured the client already (z2jh's
    ``hub.config.GenericOAuthenticator`` with a ``client_id``), its endpoints and client are
    kept and only the group handling is added.
    """
    from oauthenticator.generic import GenericOAuthenticator  # type: ignore[import-untyped]

    auth = c.GenericOAuthenticator
    if "client_id" in auth:
        c.JupyterHub.authenticator_class = GenericOAuthenticator
        _configure_groups(auth, role_groups, environ)
        return

    def need(name: str) -> str:
        value = environ.get(name)
        if not value:
            raise RuntimeError(f"IMPULATOR_HUB_MODE=production needs {name}")
        return value

    issuer = environ.get("IMPULATOR_OIDC_ISSUER", "").rstrip("/")
    if not (issuer or environ.get("IMPULATOR_OIDC_AUTHORIZE_URL")):
        raise RuntimeError(
            "IMPULATOR_HUB_MODE=production needs IMPULATOR_OIDC_ISSUER or the three "
            "IMPULATOR_OIDC_AUTHORIZE_URL / _TOKEN_URL / _USERDATA_URL endpoints"
        )
    endpoints = f"{issuer}/protocol/openid-connect"
    c.JupyterHub.authenticator_class = GenericOAuthenticator
    auth.client_id = need("IMPULATOR_OIDC_CLIENT_ID")
    auth.client_secret = need("IMPULATOR_OIDC_CLIENT_SECRET")
    auth.oauth_callback_url = need("OAUTH_CALLBACK_URL")
    auth.authorize_url = environ.get("IMPULATOR_OIDC_AUTHORIZE_URL") or f"{endpoints}/auth"
    auth.token_url = environ.get("IMPULATOR_OIDC_TOKEN_URL") or f"{endpoints}/token"
    auth.userdata_url = environ.get("IMPULATOR_OIDC_USERDATA_URL") or f"{endpoints}/userinfo"
    auth.scope = ["openid", "profile", "email"]
    auth.username_claim = environ.get("IMPULATOR_OIDC_USERNAME_CLAIM", "preferred_username")
    _configure_groups(auth, role_groups, environ)


def _configure_groups(auth: Any, role_groups: Iterable[str], environ: Mapping[str, str]) -> None:
    """Groups from the provider's claim; only impulator's groups may log in."""
    # Hub groups follow the provider at every login (and so do database roles: the spawn
    # hook reads them).
    auth.manage_groups = True
    auth.auth_state_groups_key = lambda state: map_oidc_groups(state, environ)
    # Added to any the site allows or makes admins (hub.config), never replacing them.
    auth.allowed_groups = set(auth.get("allowed_groups", ())) | set(role_groups)
    auth.admin_groups = set(auth.get("admin_groups", ())) | {"impulator-admins"}
