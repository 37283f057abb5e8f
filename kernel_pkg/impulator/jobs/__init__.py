"""Durable batch jobs: submitted to the database, run by ``impulator runner`` on Dask."""

from __future__ import annotations

__all__: list[str] = []
