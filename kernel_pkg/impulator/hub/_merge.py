"""Adding to a JupyterHub configuration that another host (z2jh) has already filled in.

Every helper appends or merges: a service, role, scope or variable set earlier is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _get(c: Any, section: str, name: str, default: Any) -> Any:
    config = c[section]
    return config.get(name, default)


def spawner_sections(c: Any) -> list[str]:
    """``Spawner`` and the configured spawner class's own section (``KubeSpawner`` under z2jh,
    where ``singleuser.extraEnv`` lands), so a value set on either is seen."""
    configured = _get(c, "JupyterHub", "spawner_class", None)
    if configured is None:
        return ["Spawner"]
    name = configured if isinstance(configured, str) else configured.__name__
    name = name.rsplit(".", 1)[-1]
    aliases = {"simple": "SimpleLocalProcessSpawner", "kubespawner": "KubeSpawner"}
    name = aliases.get(name, name)
    return ["Spawner"] if name == "Spawner" else ["Spawner", name]


def add_services(c: Any, services: list[dict[str, Any]]) -> None:
    """Append ``services``; one of the same name already there is kept as it is."""
    existing = list(_get(c, "JupyterHub", "services", []))
    names = {service.get("name") for service in existing}
    existing.extend(service for service in services if service["name"] not in names)
    c.JupyterHub.services = existing


def add_roles(c: Any, roles: list[dict[str, Any]]) -> None:
    """Append ``roles``; a role of the same name gets our scopes, groups, users and services
    added to its own."""
    existing = [dict(role) for role in _get(c, "JupyterHub", "load_roles", [])]
    by_name = {role["name"]: role for role in existing}
    for role in roles:
        mine = by_name.get(role["name"])
        if mine is None:
            existing.append(dict(role))
            continue
        for key in ("scopes", "groups", "users", "services"):
            merged = list(mine.get(key, []))
            merged += [item for item in role.get(key, []) if item not in merged]
            if merged:
                mine[key] = merged
    c.JupyterHub.load_roles = existing


def add_scopes(c: Any, scopes: Mapping[str, Any]) -> None:
    """Add custom scopes; one already defined keeps its definition."""
    c.JupyterHub.custom_scopes = {**scopes, **_get(c, "JupyterHub", "custom_scopes", {})}


def add_environment(c: Any, env: Mapping[str, str]) -> None:
    """``env`` on every spawner section; a variable set by the site (``extraEnv``) wins."""
    for section in spawner_sections(c):
        c[section].environment = {**env, **_get(c, section, "environment", {})}


def add_server_token_scopes(c: Any, scopes: list[str]) -> None:
    """Our scopes added to the server token's (unset means JupyterHub's default: none to add
    to, so ours become the list)."""
    for section in spawner_sections(c):
        current = list(_get(c, section, "server_token_scopes", []))
        c[section].server_token_scopes = current + [s for s in scopes if s not in current]


def chain_pre_spawn_hook(c: Any, hook: Any) -> None:
    """Run ``hook`` after any pre-spawn hook already configured (on either section)."""
    earlier = [
        _get(c, section, "pre_spawn_hook", None) for section in reversed(spawner_sections(c))
    ]
    first = next((h for h in earlier if h is not None), None)
    if first is None:
        combined = hook
    else:

        async def combined(spawner: Any) -> None:
            result = first(spawner)
            if hasattr(result, "__await__"):
                await result
            await hook(spawner)

    for section in spawner_sections(c):
        c[section].pre_spawn_hook = combined


def set_default(c: Any, section: str, name: str, value: Any) -> None:
    """``value`` unless the host has set one."""
    if name not in c[section]:
        c[section][name] = value
