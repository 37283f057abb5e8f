"""The kernel client of a Voila page, ready as soon as its kernel has answered.

Voila runs a page's cells through a kernel client that first waits for the kernel to be
ready. jupyter_client's client then reads the output channel until it has been quiet for
0.2 s (it drains what the handshake left there), which adds 0.2 s to every page, a third of
the server's time for a page in a warm kernel. :class:`PageKernelClient` waits for the same
proof, the kernel's reply and its output channel connected, and stops draining at the last
message the handshake causes (the kernel's "idle" after its info reply) instead of after a
fixed silence. It is given to Voila pages' kernels only (``WarmKernelManager``).
"""

from __future__ import annotations

import math
import queue
import time
from typing import Any

from jupyter_client.asynchronous.client import AsyncKernelClient

__all__ = ["PageKernelClient"]

#: Seconds to wait for the kernel's info reply, then for each output message, before asking
#: again (jupyter_client's own waits).
_REPLY_WAIT = 1.0
_OUTPUT_WAIT = 0.2


class PageKernelClient(AsyncKernelClient):
    """An asynchronous kernel client whose ``wait_for_ready`` returns once the kernel has
    replied to its info request and the output channel has carried that request's "idle"."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Ask the kernel for its info until it replies and its output channel is connected.

        Raises:
            RuntimeError: the kernel died, or did not answer within ``timeout`` seconds.
        """
        deadline = time.monotonic() + (math.inf if timeout is None else timeout)
        while True:
            request = self.kernel_info()
            reply = await self._reply_to(request)
            if reply is not None and await self._output_connected(request):
                self._handle_kernel_info_reply(reply)
                return
            if not await self.is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

    async def _reply_to(self, request: str) -> dict[str, Any] | None:
        """The kernel's info reply to ``request``, or None when none came in time."""
        deadline = time.monotonic() + _REPLY_WAIT
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg: dict[str, Any] = await self.get_shell_msg(timeout=left)
            except queue.Empty:
                return None
            if msg["parent_header"].get("msg_id") == request:
                return msg
        return None

    async def _output_connected(self, request: str) -> bool:
        """Whether the output channel carries ``request``'s "idle" (read up to it: every
        message before it is the handshake's, or another client's)."""
        deadline = time.monotonic() + _REPLY_WAIT
        while time.monotonic() < deadline:
            try:
                msg: dict[str, Any] = await self.get_iopub_msg(timeout=_OUTPUT_WAIT)
            except queue.Empty:
                return False
            if (
                msg["parent_header"].get("msg_id") == request
                and msg["msg_type"] == "status"
                and msg["content"].get("execution_state") == "idle"
            ):
                return True
        return False
