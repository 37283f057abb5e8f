"""The scenario's pure parts, kept apart from ``locustfile.py`` so they can be tested without
importing locust (which patches the standard library's sockets when imported)."""

from __future__ import annotations

import random
import time


def account(number: int, prefix: str = "load-") -> str:
    """The account name of simulated user ``number`` (``load-0001``, ...)."""
    return f"{prefix}{number:04d}"


def batch_csv(rng: random.Random, smiles: list[str], user: str) -> tuple[str, int]:
    """A CSV of 5-20 distinct rows (``smiles,name``) from ``smiles`` and its row count."""
    rows = rng.sample(smiles, k=min(len(smiles), rng.randint(5, 20)))
    stamp = int(time.time() * 1000) % 10**9
    lines = ["smiles,name", *(f"{s},{user}-{stamp}-{i}" for i, s in enumerate(rows))]
    return "\n".join(lines) + "\n", len(rows)
