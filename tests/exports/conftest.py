"""Fixtures of the export tests: the UI tests' engine disposal and demo reports."""

from tests.ui.conftest import _close_engines, demo

__all__ = ["_close_engines", "demo"]
