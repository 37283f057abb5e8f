"""The guarded callbacks every page uses: an error becomes a sentence on the page, never an
exception out of a widget callback."""

from __future__ import annotations

import logging

import pytest

from impulator._errors import InvalidStructure, StoreUnavailable
from impulator.ui import _theme as theme
from impulator.ui._pagekit import guarded, run_guarded


def _broken(error: Exception) -> object:
    def action() -> object:
        raise error

    return action


def test_the_result_comes_back_when_nothing_fails() -> None:
    status = theme.widgets().HTML("untouched")
    assert run_guarded(lambda: 42, status, "answering") == 42
    assert status.value == "untouched"


def test_an_error_raised_on_purpose_shows_its_own_words(caplog: pytest.LogCaptureFixture) -> None:
    status = theme.widgets().HTML()
    error = InvalidStructure("C1CC", "ring bond 1 is opened but never closed")
    with caplog.at_level(logging.WARNING, "impulator.ui._pagekit"):
        assert run_guarded(_broken(error), status, "reading the query") is None
    assert "impulator-status-error" in status.value
    assert "Not a structure: cannot read &#x27;C1CC&#x27;: ring bond 1" in status.value
    assert "bug" not in status.value
    assert [r.exc_info for r in caplog.records] == [None]  # one line, no traceback


def test_a_bug_is_said_to_be_one_and_logged_with_its_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    status = theme.widgets().HTML()
    with caplog.at_level(logging.WARNING, "impulator.ui._pagekit"):
        assert run_guarded(_broken(KeyError("rows")), status, "drawing") is None
    assert "Something went wrong (KeyError): &#x27;rows&#x27;." in status.value
    assert "This is a bug in impulator" in status.value
    (record,) = caplog.records
    assert record.levelno == logging.ERROR and record.exc_info is not None


def test_the_message_may_be_a_function_or_nowhere() -> None:
    said: list[str] = []
    run_guarded(_broken(StoreUnavailable("db:5432 is down")), said.append, "reading")
    assert said == ["The results database is unavailable: db:5432 is down."]
    assert run_guarded(_broken(RuntimeError("boom")), None, "logging only") is None


def test_a_custom_description() -> None:
    said: list[str] = []
    run_guarded(_broken(RuntimeError("x")), said.append, "exporting", describe=lambda e: "Nope.")
    assert said == ["Nope."]


def test_a_guarded_callback_never_raises_and_ignores_the_widget_arguments() -> None:
    w = theme.widgets()
    status, button = w.HTML(), w.Button()
    button.on_click(guarded(_broken(ZeroDivisionError("division by zero")), status, "clicking"))
    button.click()
    assert "Something went wrong (ZeroDivisionError)" in status.value
    clicks: list[int] = []
    callback = guarded(lambda: clicks.append(1), status, "clicking")
    callback()
    callback({"new": 1, "old": 0})
    assert clicks == [1, 1]
