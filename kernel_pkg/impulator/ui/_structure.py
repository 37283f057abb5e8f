"""The 3D structure page of a stored compound (``Structure.ipynb?id=12``).

The 3D viewer (nglview) has its own page, opened from the Compound page's "Show in 3D": its
browser code is the heaviest of any page (about 1.5 s of the Compound page's first render
here, although most visits never open the viewer), and only this page loads it.
"""

from __future__ import annotations

import html
import os
from typing import Any

from impulator import store
from impulator._errors import CompoundNotFound
from impulator.ui import _theme as theme
from impulator.ui._compound import compound_id_from_query
from impulator.ui._pagekit import run_guarded
from impulator.ui._structure_view import structure_3d_view

__all__ = ["show_structure"]


def show_structure(compound_id: int | None = None, url: str | None = None) -> Any:
    """The 3D structure page of stored compound ``compound_id`` as one widget.

    Without ``compound_id`` it is read from the page address (``?id=12``). The page never
    raises: a missing, invalid or invisible id, or a structure without a conformer, is a
    sentence on the page.

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> "not found or not shared with you" in show_structure(7, url).children[-1].value
        True
    """
    w = theme.widgets()
    body: list[Any] = []
    message = w.HTML()
    message.add_class("impulator-structure-message")
    explorer = 'Your compounds are in the <a href="Explorer.ipynb">Explorer</a>.'

    def say(text: str, *, raw: bool = False) -> None:
        message.value = (
            f'<p class="impulator-status-error">{text if raw else html.escape(text)}</p>'
        )

    def draw() -> None:
        chosen = compound_id
        if chosen is None:
            chosen = compound_id_from_query(os.environ.get("QUERY_STRING"))
        if chosen is None:
            say(f"No compound chosen. {explorer}", raw=True)
            return
        try:
            compound = store.get(chosen, url)
        except CompoundNotFound:
            say(f"Compound {chosen} was not found or not shared with you. {explorer}", raw=True)
            return
        title = w.HTML(
            f"<h3>{html.escape(compound.name or f'Compound {chosen}')} in 3D</h3><p>"
            f'<a href="Compound.ipynb?id={chosen}">Back to the compound</a> · RDKit ETKDG '
            "conformer, ball and stick; drag to turn, scroll to zoom.</p>"
        )
        title.add_class("impulator-structure-title")
        body.extend([title, structure_3d_view(compound.parent_smiles, height=560)])

    run_guarded(draw, say, "drawing the 3D structure")
    return theme.page_frame("Structure", *body, message)
