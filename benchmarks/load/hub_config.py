"""Hub configuration added by the load scenario (``IMPULATOR_HUB_EXTRA_CONFIG``).

The simulated accounts (names starting with ``IMPULATOR_LOAD_PREFIX``, default ``load-``)
get ``light_server.py`` instead of JupyterLab: their spawn still goes through impulator's
pre-spawn hook (database login provisioned, folder prepared), the proxy and the hub's
readiness check; every other account keeps its real server.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

c = get_config()  # type: ignore[name-defined]  # noqa: F821 - provided by traitlets

LIGHT_SERVER = Path(__file__).resolve().with_name("light_server.py")
PREFIX = os.environ.get("IMPULATOR_LOAD_PREFIX", "load-")
#: impulator's hook (set on both sections by impulator.hub.configure).
EARLIER = c.SimpleLocalProcessSpawner.get("pre_spawn_hook") or c.Spawner.get("pre_spawn_hook")


async def light_for_simulated_users(spawner: Any) -> None:
    """impulator's hook first, then the lighter server for a simulated account."""
    if EARLIER is not None:
        result = EARLIER(spawner)
        if hasattr(result, "__await__"):
            await result
    if spawner.user.name.startswith(PREFIX):
        spawner.cmd = [sys.executable, str(LIGHT_SERVER)]
        spawner.args = []


c.Spawner.pre_spawn_hook = light_for_simulated_users
c.SimpleLocalProcessSpawner.pre_spawn_hook = light_for_simulated_users
# Hundreds of simulated logins at once: the hub's own limit (100 by default) is what the
# scenario measures, so it stays unless the run asks otherwise.
if os.environ.get("IMPULATOR_LOAD_SPAWN_LIMIT"):
    c.JupyterHub.concurrent_spawn_limit = int(os.environ["IMPULATOR_LOAD_SPAWN_LIMIT"])
