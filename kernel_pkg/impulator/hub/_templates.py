"""Voila pages' templates compiled once per server, not once per page.

Voila renders each page with a new nbconvert exporter, and each exporter makes a new Jinja
environment that parses and compiles the template and every template it extends and imports
(lab, base, spinner...): about 90 ms of the server's time on every page, measured in a
profile of the server, more than the page's cell in a warm kernel. :func:`share_compiled_templates`
gives those environments one in-memory bytecode cache: a template is still read from disk for
each page (an edited template is compiled again, its checksum differs), its compiled code is
reused. Users' servers install it with the ``impulator.hub`` server extension, standalone Voila
with impulator's ``etc/jupyter/voila.py``.
"""

from __future__ import annotations

import threading
from typing import Any

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

__all__ = ["MemoryBytecodeCache", "share_compiled_templates"]


class MemoryBytecodeCache(BytecodeCache):
    """Jinja's compiled templates kept in this process's memory.

    Example:
        >>> from jinja2 import DictLoader, Environment
        >>> cache = MemoryBytecodeCache()
        >>> loader = DictLoader({"page.html": "Hello {{ name }}"})
        >>> first = Environment(loader=loader, bytecode_cache=cache)
        >>> first.get_template("page.html").render(name="chemist"), len(cache)
        ('Hello chemist', 1)
        >>> second = Environment(loader=loader, bytecode_cache=cache)  # a new page's environment
        >>> second.get_template("page.html").render(name="again"), len(cache)
        ('Hello again', 1)
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._code)

    def load_bytecode(self, bucket: Bucket) -> None:
        with self._lock:
            code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # refused (left empty) when the source changed

    def dump_bytecode(self, bucket: Bucket) -> None:
        code = bucket.bytecode_to_string()
        with self._lock:
            self._code[bucket.key] = code


#: The cache of this process's Voila pages.
PAGE_TEMPLATES = MemoryBytecodeCache()

_installed = False
_install_lock = threading.Lock()


def share_compiled_templates() -> None:
    """Make every nbconvert exporter of this process (Voila's pages among them) compile its
    templates into :data:`PAGE_TEMPLATES`, so the next page reuses the code. Idempotent."""
    global _installed
    from nbconvert.exporters.templateexporter import TemplateExporter

    with _install_lock:
        if _installed:
            return
        create: Any = TemplateExporter._create_environment

        def create_with_shared_cache(self: Any) -> Any:
            environment = create(self)
            if environment.bytecode_cache is None:
                environment.bytecode_cache = PAGE_TEMPLATES
            return environment

        # nbconvert makes its environment in this one method and offers no setting for it.
        setattr(TemplateExporter, "_create_environment", create_with_shared_cache)  # noqa: B010
        _installed = True
