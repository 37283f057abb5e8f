"""Warm kernels for the Voila pages: the page opened after the first starts in a kernel that
has already imported RDKit, pandas, SQLAlchemy and ``impulator.ui`` and built every page once
(``impulator.ui.warm_up_pages``).

A Jupyter server (a user's server, or standalone Voila) starts a new kernel for every page
a chemist opens, and each new kernel spends seconds importing the science stack before the
page's one cell runs. ``WarmKernelManager`` is the server's kernel manager with a small pool:
once a Voila page has been opened, it keeps ``pool_size`` kernels started in the pages'
folder with ``warm_code`` already run. Voila's next page takes one (the request's variables,
``QUERY_STRING`` and the others Voila passes, are set in it first) and the pool refills in
the background (``fill_delay`` after, once the page has drawn). Every Voila page's kernel,
warm or not, gets ``PageKernelClient`` (ready without a fixed wait). Kernels of notebooks and
consoles are never pooled, pooled kernels are not listed among the user's running kernels and
are never culled as idle.

Unlike Voila's own ``preheat_kernel`` (standalone Voila only, one pre-rendered page per
notebook), the warm kernels are generic: one pool serves every page, and the page itself
still runs at request time, so it shows the data as it is when opened.

Users' servers get it from the ``impulator.hub`` server extension (enabled by impulator's
``etc/jupyter/jupyter_server_config.d/impulator-voila.json``), unless an administrator set
another ``ServerApp.kernel_manager_class``; standalone Voila from ``etc/jupyter/voila.json``
(``VoilaConfiguration.multi_kernel_manager_class``). ``--WarmKernelManager.pool_size=0`` or
``IMPULATOR_PAGE_POOL_SIZE=0`` turns the pool off; ``IMPULATOR_PAGE_POOL_MEMORY_MB`` caps its
memory (the hub passes both on, and may give viewers their own size).
"""

from __future__ import annotations

import asyncio
import os
import queue
from typing import Any

from jupyter_server.services.kernels.kernelmanager import AsyncMappingKernelManager
from traitlets import Bool, Float, Int, Unicode, default

from impulator.hub._page_client import PageKernelClient

#: Set by Voila in the environment of every kernel it starts for a page.
VOILA_PAGE_MARKER = "VOILA_REQUEST_URL"

#: What a warm kernel runs before any page asks for it: every page built once and thrown away
#: (``impulator.ui.warm_up_pages``), which imports RDKit, pandas, SQLAlchemy, ipywidgets and
#: plotly and pays each page's first-build costs.
WARM_CODE = "import impulator.ui\nimpulator.ui.warm_up_pages()"

_MB = 1024 * 1024

#: jupyter_server's kernel managers are partly typed (sync signatures on async methods):
#: checked as ``Any`` here.
_KernelManager: Any = AsyncMappingKernelManager


def _plain(env: dict[Any, Any]) -> dict[str, str]:
    """``env`` with plain ``str`` keys and values (Voila's keys are ``str`` enum members, whose
    ``repr`` is no Python a kernel can run)."""
    return {str(getattr(k, "value", k)): str(getattr(v, "value", v)) for k, v in env.items()}


class WarmKernelManager(_KernelManager):  # type: ignore[misc]
    """A Jupyter server kernel manager that hands Voila pages pre-started, pre-imported
    kernels (see the module's documentation)."""

    pool_size = Int(
        help="Warm kernels kept for the Voila pages (0: none, every page starts cold). Each "
        "costs the memory of a kernel with the science stack imported (about 200 MB).",
    ).tag(config=True)

    pool_memory_mb = Int(
        help="The most memory (resident, MB) the warm kernels may hold together; the pool is "
        "not refilled beyond it (0: no limit besides pool_size).",
    ).tag(config=True)

    warm_code = Unicode(
        WARM_CODE, help="Python run in each warm kernel before a page may take it."
    ).tag(config=True)

    fill_delay = Float(
        3.0,
        help="Seconds to wait after a page took a warm kernel before starting its replacement: "
        "the page draws first (a replacement takes a few seconds of CPU; started after 1 s it "
        "slowed pages that take about a second by a third here).",
    ).tag(config=True)

    page_client = Bool(
        True,
        help="Give Voila pages' kernels impulator.hub's PageKernelClient, ready as soon as the "
        "kernel answered (jupyter_client's client waits for 0.2 s of silence first).",
    ).tag(config=True)

    warm_timeout = Float(
        120.0, help="Seconds a warm kernel may take to start and run warm_code."
    ).tag(config=True)

    @default("pool_size")
    def _default_pool_size(self) -> int:
        return int(os.environ.get("IMPULATOR_PAGE_POOL_SIZE", "1"))

    @default("pool_memory_mb")
    def _default_pool_memory_mb(self) -> int:
        return int(os.environ.get("IMPULATOR_PAGE_POOL_MEMORY_MB", "0"))

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        #: (kernel name, folder) of the pages seen -> ready warm kernels (id, environment).
        self._warm: dict[tuple[str, str], list[tuple[str, dict[str, str]]]] = {}
        self._filling: dict[tuple[str, str], int] = {}
        self._fill_tasks: set[asyncio.Task[None]] = set()
        self._closing = False

    # -- what Voila calls ----------------------------------------------------------------

    async def start_kernel(
        self, *, kernel_id: str | None = None, path: str | None = None, **kwargs: Any
    ) -> str:
        """Start a kernel; a Voila page gets a warm one when the pool has one."""
        env = _plain(kwargs.get("env") or {})
        if kernel_id is not None or VOILA_PAGE_MARKER not in env:
            return str(await super().start_kernel(kernel_id=kernel_id, path=path, **kwargs))
        taken = None
        if self.pool_size > 0:
            key = (str(kwargs.get("kernel_name") or self.default_kernel_name), path or "")
            taken = await self._take(key, env)
            # Its replacement starts as this page's kernel did, without being a page's yet.
            warm_env = {k: v for k, v in env.items() if k != VOILA_PAGE_MARKER}
            self._fill_later(key, {**kwargs, "env": warm_env}, self.fill_delay)
        if taken is None:
            taken = str(await super().start_kernel(path=path, **kwargs))
        if self.page_client:
            self.get_kernel(taken).client_factory = PageKernelClient
        return taken

    def list_kernels(self) -> list[dict[str, Any]]:
        """The running kernels, without the warm ones no page has taken yet."""
        waiting = self.warm_kernel_ids()
        return [k for k in super().list_kernels() if k["id"] not in waiting]

    async def cull_kernel_if_idle(self, kernel_id: str) -> None:
        """Never cull a warm kernel waiting for its page."""
        if kernel_id not in self.warm_kernel_ids():
            await super().cull_kernel_if_idle(kernel_id)

    async def shutdown_kernel(self, kernel_id: str, *args: Any, **kwargs: Any) -> None:
        """Shut a kernel down (a warm one leaves the pool first)."""
        for kernels in self._warm.values():
            kernels[:] = [k for k in kernels if k[0] != kernel_id]
        await super().shutdown_kernel(kernel_id, *args, **kwargs)

    async def shutdown_all(self, now: bool = False) -> None:
        """Stop filling the pool, then shut every kernel down."""
        self._closing = True
        # A kernel being started is let finish (cancelled half-way, it could not be shut).
        # Voila stops in a loop of its own: the tasks of the loop that ran are not awaitable.
        loop = asyncio.get_running_loop()
        filling = [task for task in self._fill_tasks if task.get_loop() is loop]
        await asyncio.gather(*filling, return_exceptions=True)
        self._warm.clear()
        await super().shutdown_all(now=now)

    # -- the pool ------------------------------------------------------------------------

    def warm_kernel_ids(self) -> set[str]:
        """The ids of the warm kernels waiting for a page."""
        return {kernel_id for kernels in self._warm.values() for kernel_id, _ in kernels}

    def pool_memory(self) -> int:
        """Resident bytes of the warm kernels (0 where the processes cannot be read)."""
        return sum(self._resident(kernel_id) for kernel_id in self.warm_kernel_ids())

    def _resident(self, kernel_id: str) -> int:
        try:
            import psutil  # type: ignore[import-untyped]

            process = self.get_kernel(kernel_id).provisioner.process
            return int(psutil.Process(process.pid).memory_info().rss)
        except Exception:  # no psutil, a remote provisioner, an ended process: unknown
            return 0

    async def _take(self, key: tuple[str, str], env: dict[str, str]) -> str | None:
        kernels = self._warm.get(key, [])
        while kernels:
            kernel_id, started_with = kernels.pop(0)
            if kernel_id not in self or not await self.get_kernel(kernel_id).is_alive():
                continue
            changed = {k: v for k, v in env.items() if started_with.get(k) != v}
            gone = sorted(k for k in started_with if k not in env)
            code = f"import os\nos.environ.update({changed!r})\n" + "".join(
                f"os.environ.pop({k!r}, None)\n" for k in gone
            )
            if await self._run(kernel_id, code):
                self.log.info("A Voila page took warm kernel %s", kernel_id)
                return kernel_id
            await super().shutdown_kernel(kernel_id, now=True)
        return None

    def _fill_later(self, key: tuple[str, str], kwargs: dict[str, Any], delay: float) -> None:
        task = asyncio.ensure_future(self._fill(key, dict(kwargs), delay))
        self._fill_tasks.add(task)
        task.add_done_callback(self._fill_tasks.discard)

    async def _fill(self, key: tuple[str, str], kwargs: dict[str, Any], delay: float) -> None:
        await asyncio.sleep(delay)
        if self._closing:
            return
        kernels = self._warm.setdefault(key, [])
        while len(kernels) + self._filling.get(key, 0) < self.pool_size:
            if self.pool_memory_mb and self.pool_memory() + self._kernel_estimate() > (
                self.pool_memory_mb * _MB
            ):
                self.log.info("Warm kernels not refilled: %d MB limit", self.pool_memory_mb)
                return
            self._filling[key] = self._filling.get(key, 0) + 1
            try:
                kernel_id = str(await super().start_kernel(path=key[1] or None, **kwargs))
                if not self._closing and await self._run(kernel_id, self.warm_code):
                    kernels.append((kernel_id, kwargs["env"]))
                    self.log.info(
                        "Warm kernel %s ready for Voila pages (%.0f MB in the pool)",
                        kernel_id,
                        self.pool_memory() / _MB,
                    )
                else:
                    await super().shutdown_kernel(kernel_id, now=True)
                    return
            except Exception:
                if not self._closing:  # else: the server is stopping, kernels and all
                    self.log.exception("A warm kernel for the Voila pages failed to start")
                return
            finally:
                self._filling[key] -= 1

    def _kernel_estimate(self) -> int:
        """The memory of one more warm kernel: the largest running one, else 200 MB."""
        sizes = [self._resident(k) for k in self.warm_kernel_ids()]
        return max(sizes, default=0) or 200 * _MB

    async def _run(self, kernel_id: str, code: str) -> bool:
        """Run ``code`` silently in a kernel; returns whether it ran without an error.

        Only the shell channel: its reply says how it went, and unlike the output channel it
        needs no handshake first (a page waits for this).
        """
        client: Any = self.get_kernel(kernel_id).client()
        client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        try:
            sent = client.execute(code, silent=True, store_history=False, allow_stdin=False)
            deadline = asyncio.get_running_loop().time() + self.warm_timeout
            while True:
                left = deadline - asyncio.get_running_loop().time()
                reply = await client.get_shell_msg(timeout=max(left, 0.001))
                if reply["parent_header"].get("msg_id") == sent:
                    break
            ok = reply["content"]["status"] == "ok"
            if not ok:
                self.log.warning("Warm kernel %s: %s", kernel_id, reply["content"].get("evalue"))
            return bool(ok)
        except queue.Empty:
            self.log.warning(
                "Warm kernel %s did not answer in %.0f s", kernel_id, self.warm_timeout
            )
            return False
        finally:
            client.stop_channels()


def use_warm_kernels(server_app: Any) -> None:
    """Make a Jupyter server start its kernels with ``WarmKernelManager`` (called while the
    server links its extensions, before it creates its kernel manager), unless its
    configuration names a kernel manager of its own."""
    if "kernel_manager_class" not in server_app.config.get("ServerApp", {}):
        server_app.kernel_manager_class = WarmKernelManager
