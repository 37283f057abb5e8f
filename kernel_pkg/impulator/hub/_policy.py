"""impulator's permissions on the hub: groups, platform roles, custom scopes, JupyterHub roles.

Plain data, the same in every host (``make up`` and the Helm chart).
"""

from __future__ import annotations

from typing import Any

#: The Dask Gateway's JupyterHub service name.
GATEWAY_SERVICE = "dask-gateway"
#: The REST API's JupyterHub service name (it is served under /services/impulator-api/).
#: It needs no hub scopes of its own: HubAuth identifies a caller with the caller's token
#: (GET /hub/api/user answers any token about itself, with the token's scopes).
API_SERVICE = "impulator-api"
#: JupyterHub group -> platform role, strongest first (a user in several gets the first).
ROLE_GROUPS = {
    "impulator-admins": "admin",
    "impulator-instructors": "instructor",
    "impulator-chemists": "chemist",
    "impulator-viewers": "viewer",
}
#: Users in this group land on the Voila home whatever their role (viewers always do).
DASHBOARD_GROUP = "impulator-dashboard-users"
#: The Voila home: where viewers and non-coders land; one click away for everyone else.
VOILA_HOME = "/voila/render/dashboards/Home.ipynb"
#: impulator's permissions as JupyterHub scopes (a token or service can check them).
CUSTOM_SCOPES: dict[str, dict[str, Any]] = {
    "custom:impulator:read": {
        "description": "Read impulator results: one's own and those shared with one's groups.",
    },
    "custom:impulator:write": {
        "description": "Analyze, save, share and delete one's own impulator results.",
        "subscopes": ["custom:impulator:read"],
    },
    "custom:impulator:admin": {
        "description": "Read every user's impulator results and manage everyone's jobs.",
        "subscopes": ["custom:impulator:write"],
    },
}
#: JupyterHub roles of the impulator groups. Computing on a Dask Gateway cluster needs
#: access to the gateway service; viewers only read. Every role may open the REST API in a
#: browser (the hub's OAuth asks for access to the service).
_API_ACCESS = f"access:services!service={API_SERVICE}"
ROLES: list[dict[str, Any]] = [
    {
        "name": "impulator-viewer",
        "description": "Reads results; no writes, no clusters.",
        "scopes": ["custom:impulator:read", _API_ACCESS],
        "groups": ["impulator-viewers"],
    },
    {
        "name": "impulator-chemist",
        "description": "Analyzes and saves results; Dask Gateway clusters.",
        "scopes": [
            "custom:impulator:write",
            f"access:services!service={GATEWAY_SERVICE}",
            _API_ACCESS,
        ],
        "groups": ["impulator-chemists", "impulator-instructors"],
    },
    {
        "name": "impulator-admin",
        "description": "Reads everyone's results; Dask Gateway clusters.",
        "scopes": [
            "custom:impulator:admin",
            f"access:services!service={GATEWAY_SERVICE}",
            _API_ACCESS,
        ],
        "groups": ["impulator-admins"],
    },
]
#: The local idle culler's role: what jupyterhub-idle-culler needs, nothing more (in the
#: Helm chart z2jh defines its own ``jupyterhub-idle-culler`` role).
IDLE_CULLER_ROLE: dict[str, Any] = {
    "name": "idle-culler",
    "description": "Stops user servers idle for longer than IMPULATOR_IDLE_TIMEOUT.",
    "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
    "services": ["idle-culler"],
}
#: The scopes a user server's own token may carry (each user gets the subset they hold), so
#: code on the server reaches the gateway and can tell what its user may do.
SERVER_TOKEN_SCOPES = [
    "users:activity!user",
    "access:servers!server",
    f"access:services!service={GATEWAY_SERVICE}",
    *CUSTOM_SCOPES,
]
#: Settings of the data sources that user servers and the runner inherit from the hub.
PASSED_ON = (
    "IMPULATOR_DATA_DIR",
    "IMPULATOR_CHEMBL_SOURCE",
    "IMPULATOR_CHEMBL_URL",
    "IMPULATOR_CHEMBL_INDEX",
    "IMPULATOR_WEB_CACHE",
    "IMPULATOR_PDB_SOURCE",
    "IMPULATOR_PDB_INDEX_DIR",
    "IMPULATOR_OFFLINE",
    "IMPULATOR_HUB_SESSION",
    "IMPULATOR_PAGE_POOL_SIZE",
    "IMPULATOR_PAGE_POOL_MEMORY_MB",
    "LANG",
    "LC_ALL",
)


def platform_role(groups: list[str]) -> str | None:
    """The platform role carried by the strongest of ``groups`` (None: no impulator group).

    >>> platform_role(["demo-team", "impulator-viewers", "impulator-chemists"])
    'chemist'
    """
    for group, role in ROLE_GROUPS.items():
        if group in groups:
            return role
    return None
