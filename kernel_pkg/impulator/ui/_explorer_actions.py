"""The Explorer's actions on a selection: share with one of your groups, delete (after a
confirmation step). Each shows its progress and its outcome in words next to its button.

The database decides who may: sharing or deleting a compound shared with you (someone
else's) is refused, and the refusal is shown as a sentence; a viewer gets no controls.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from impulator import store
from impulator._errors import ImpulatorError, describe_error
from impulator.ui import _theme as theme
from impulator.ui._explorer_data import user_groups
from impulator.ui._pagekit import guarded

__all__ = ["READ_ONLY", "SelectionActions"]

_log = logging.getLogger(__name__)

#: What a viewer reads instead of the share and delete controls.
READ_ONLY = "Read-only (viewer): sharing and deleting need the chemist role."


class SelectionActions:
    """Share and delete controls for the compounds ``selected()`` returns.

    ``deleted(ids)`` is called with the ids that were deleted (the page reads itself
    again). Without ``can_write`` (a viewer) ``widget`` only says the account is read-only.

    Example:
        >>> import os, tempfile
        >>> url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "doc.sqlite")
        >>> actions = SelectionActions(url, lambda: set(), lambda ids: None)
        >>> actions.share_selected(); "Select compounds first" in actions.share_status.value
        True
    """

    def __init__(
        self,
        url: str | None,
        selected: Callable[[], set[int]],
        deleted: Callable[[set[int]], None],
        *,
        can_write: bool = True,
    ) -> None:
        w = theme.widgets()
        self.url = url
        self.selected = selected
        self.deleted = deleted
        if not can_write:
            note = w.HTML(theme.status_html(READ_ONLY, "info"))
            note.add_class("impulator-explorer-read-only")
            self.widget = w.VBox([note])
            return
        try:
            groups = user_groups(url)
        except Exception as exc:
            _log.warning("could not read the user's groups", exc_info=True)
            groups, note_text = [], describe_error(exc)
        else:
            note_text = "" if groups else "You belong to no group yet: an administrator adds you."
        self.group = _css(
            w.Dropdown(
                options=groups,
                value=groups[0] if groups else None,
                description="Group",
                layout=w.Layout(width="240px"),
            ),
            "group",
        )
        self.share_button = _css(
            w.Button(description="Share selected", icon="share-alt", disabled=not groups), "share"
        )
        self.share_status = _css(
            w.HTML(theme.status_html(note_text, "info") if note_text else ""), "share-status"
        )
        self.delete_button = _css(
            w.Button(description="Delete selected", icon="trash", button_style="danger"), "delete"
        )
        self.confirm_text = _css(w.HTML(), "confirm-text")
        self.confirm_button = _css(
            w.Button(description="Yes, delete", button_style="danger"), "confirm-delete"
        )
        self.cancel_button = _css(w.Button(description="Cancel"), "cancel-delete")
        self.confirm_box = _css(
            w.HBox(
                [self.confirm_text, self.confirm_button, self.cancel_button],
                layout=w.Layout(display="none"),
            ),
            "confirm",
        )
        self.delete_status = _css(w.HTML(), "delete-status")
        self.share_button.on_click(guarded(self.share_selected, self.share_status, "sharing"))
        self.delete_button.on_click(guarded(self.ask_delete, self.delete_status, "deleting"))
        self.confirm_button.on_click(guarded(self.delete_selected, self.delete_status, "deleting"))
        self.cancel_button.on_click(guarded(self.hide_confirm, self.delete_status, "deleting"))
        self.widget = w.VBox(
            [
                _css(w.HBox([self.group, self.share_button, self.share_status]), "bar"),
                _css(w.HBox([self.delete_button, self.confirm_box, self.delete_status]), "bar"),
            ]
        )
        self.widget.add_class("impulator-explorer-actions")

    def _each(self, verb: str, status: Any, act: Callable[[int], None]) -> tuple[int, list[str]]:
        ids = sorted(self.selected())
        done, problems = 0, []
        for n, compound_id in enumerate(ids, start=1):
            status.value = theme.status_html(f"{verb} {n} of {len(ids)}…", "busy")
            try:
                act(compound_id)
                done += 1
            except Exception as exc:  # one compound's problem must not stop the others
                if not isinstance(exc, ImpulatorError):
                    _log.exception("%s compound %s failed", verb, compound_id)
                problems.append(describe_error(exc))
        return done, problems

    @staticmethod
    def _report(status: Any, done_text: str, problems: list[str]) -> None:
        if not problems:
            status.value = theme.status_html(done_text, "ok")
            return
        extra = f" (and {len(problems) - 2} more problems)" if len(problems) > 2 else ""
        status.value = theme.status_html(f"{done_text} {' '.join(problems[:2])}{extra}", "error")

    def share_selected(self) -> None:
        """Share the selected compounds with the chosen group (yours only; others say why)."""
        group = self.group.value if hasattr(self, "group") else None
        if not self.selected() or not group:
            why = "Select compounds first." if not self.selected() else "Choose a group first."
            self.share_status.value = theme.status_html(why, "error")
            return
        self.share_button.disabled = True
        try:
            done, problems = self._each(
                "Sharing", self.share_status, lambda i: store.share(i, group, url=self.url)
            )
        finally:
            self.share_button.disabled = False
        total = done + len(problems)
        self._report(self.share_status, f"Shared {done} of {total} with {group}.", problems)

    def ask_delete(self) -> None:
        """The confirmation step before deleting."""
        n = len(self.selected())
        if not n:
            self.delete_status.value = theme.status_html("Select compounds first.", "error")
            return
        noun = "compound" if n == 1 else "compounds"
        self.confirm_text.value = theme.status_html(
            f"Delete {n} {noun} with their rows and shares? This cannot be undone.", "error"
        )
        self.delete_status.value = ""
        self.confirm_box.layout.display = None

    def hide_confirm(self) -> None:
        """Hide the confirmation step (cancel)."""
        self.confirm_box.layout.display = "none"

    def delete_selected(self) -> None:
        """Delete the selected compounds (confirmed), then tell the page which are gone."""
        self.hide_confirm()
        if not self.selected():
            self.delete_status.value = theme.status_html("Select compounds first.", "error")
            return
        gone: set[int] = set()

        def delete(compound_id: int) -> None:
            store.delete(compound_id, url=self.url)
            gone.add(compound_id)

        self.delete_button.disabled = True
        try:
            done, problems = self._each("Deleting", self.delete_status, delete)
        finally:
            self.delete_button.disabled = False
        total = done + len(problems)
        self._report(self.delete_status, f"Deleted {done} of {total}.", problems)
        self.deleted(gone)


def _css(widget: Any, name: str) -> Any:
    widget.add_class(f"impulator-explorer-{name}")
    return widget
