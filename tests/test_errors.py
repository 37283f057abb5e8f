"""The library's errors: one base class, a headline and an exit status each, and the command
line telling errors raised on purpose from bugs."""

from __future__ import annotations

import pytest

import impulator
from impulator import _errors, batch, store
from impulator._errors import (
    VIEWER_MESSAGE,
    BatchTooLarge,
    CompoundNotFound,
    ExitStatus,
    ImpulatorError,
    InvalidInput,
    InvalidStructure,
    JobNotFound,
    PermissionDenied,
    SourceUnavailable,
    StoreUnavailable,
    UnknownCompound,
    describe_error,
)
from impulator.cli import main


def _every_error_class() -> set[type[ImpulatorError]]:
    found: set[type[ImpulatorError]] = set()
    pending: list[type[ImpulatorError]] = [ImpulatorError]
    while pending:
        cls = pending.pop()
        if cls not in found:
            found.add(cls)
            pending.extend(cls.__subclasses__())
    return found


def test_every_error_has_a_one_line_headline_and_an_exit_status() -> None:
    classes = _every_error_class()
    assert len(classes) >= 13, sorted(c.__name__ for c in classes)
    for cls in classes:
        assert cls.headline.strip() and "\n" not in cls.headline, cls.__name__
        assert isinstance(cls.exit_status, ExitStatus), cls.__name__
        assert cls.exit_status not in (ExitStatus.OK, ExitStatus.BUG), cls.__name__


def test_every_exported_error_is_an_impulator_error() -> None:
    exported = {getattr(_errors, name) for name in _errors.__all__}
    errors = {e for e in exported if isinstance(e, type) and issubclass(e, Exception)}
    assert errors == _every_error_class()


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (InvalidStructure, ValueError),
        (InvalidInput, ValueError),
        (BatchTooLarge, ValueError),
        (UnknownCompound, LookupError),
        (SourceUnavailable, RuntimeError),
        (StoreUnavailable, RuntimeError),
        (PermissionDenied, PermissionError),
        (CompoundNotFound, LookupError),
        (JobNotFound, LookupError),
        (_errors.FileMissing, FileNotFoundError),
    ],
)
def test_errors_stay_the_builtins_callers_catch(
    error: type[ImpulatorError], builtin: type[Exception]
) -> None:
    assert issubclass(error, ImpulatorError) and issubclass(error, builtin)


def test_public_names_are_the_same_classes() -> None:
    assert impulator.ImpulatorError is ImpulatorError
    assert batch.BatchTooLarge is BatchTooLarge
    assert store.PermissionDenied is PermissionDenied


def test_exit_statuses_keep_their_numbers() -> None:
    assert {s.name: int(s) for s in ExitStatus} == {
        "OK": 0,
        "INVALID_INPUT": 2,
        "NO_NEIGHBOURS": 3,
        "UNAVAILABLE": 4,
        "PERMISSION_DENIED": 5,
        "BUG": 70,
        "INTERRUPTED": 130,
    }
    assert UnknownCompound.exit_status == ExitStatus.INVALID_INPUT  # not its parent's 4
    assert SourceUnavailable.exit_status == ExitStatus.UNAVAILABLE
    assert PermissionDenied.exit_status == ExitStatus.PERMISSION_DENIED


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (StoreUnavailable("cannot reach db:5432"), "The results database is unavailable: "),
        (CompoundNotFound(7), "Not found: no compound 7 (it does not exist"),
        (JobNotFound(7), "Not found: no job 7 (it does not exist or is not yours)."),
        (InvalidInput("give a positive whole number."), "Give a positive whole number."),
        (PermissionDenied("cannot share: it is bob's"), "Not allowed: cannot share: it is bob's."),
        (PermissionDenied("cannot save: vera has read-only access"), VIEWER_MESSAGE),
        (ZeroDivisionError("division by zero"), "Something went wrong (ZeroDivisionError)"),
    ],
)
def test_describe_error_says_what_happened(error: BaseException, said: str) -> None:
    assert said in describe_error(error)


def test_an_unexpected_exception_is_described_as_a_bug() -> None:
    text = describe_error(KeyError("rows"))
    assert text.startswith("Something went wrong (KeyError): 'rows'.")
    assert "bug" in text


# -- the command line ------------------------------------------------------------------------


def _raising(monkeypatch: pytest.MonkeyPatch, error: BaseException) -> None:
    """Make ``impulator descriptors`` raise ``error``."""
    from impulator.cli import _chem

    def broken(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(_chem, "_structure", broken)


def test_a_bug_in_the_cli_exits_70_with_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _raising(monkeypatch, ZeroDivisionError("division by zero"))
    code = main(["descriptors", "CCO"])
    out, err = capsys.readouterr()
    assert code == ExitStatus.BUG == 70 and out == ""
    assert err.startswith("impulator hit a bug: ZeroDivisionError: division by zero")
    assert "Traceback (most recent call last)" in err and "invalid" not in err.lower()


def test_a_plain_value_error_is_a_bug_not_invalid_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _raising(monkeypatch, ValueError("cannot convert float NaN to integer"))
    assert main(["descriptors", "CCO"]) == 70
    assert "bug" in capsys.readouterr().err


@pytest.mark.parametrize(
    "error",
    [
        InvalidInput("give a number"),
        StoreUnavailable("cannot reach the results database"),
        PermissionDenied("cannot save: read-only access"),
        JobNotFound(3),
        UnknownCompound("no such compound"),
    ],
)
def test_an_error_raised_on_purpose_exits_with_its_status_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], error: ImpulatorError
) -> None:
    _raising(monkeypatch, error)
    assert main(["descriptors", "CCO"]) == error.exit_status
    err = capsys.readouterr().err
    assert err == f"impulator: {error}\n"


def test_ctrl_c_exits_130(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _raising(monkeypatch, KeyboardInterrupt())
    assert main(["descriptors", "CCO"]) == ExitStatus.INTERRUPTED == 130
    assert capsys.readouterr().err == "impulator: interrupted\n"
