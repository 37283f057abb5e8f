"""The services' log lines: one JSON object each, with job and user, never a secret."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from impulator._errors import InvalidInput
from impulator._logs import configure_logging, log_context, redact_secrets, set_log_context
from impulator.api import ApiSettings, create_app
from impulator.api._deps import Reader

PASSWORD = "hunter2-db-pass"
TOKEN = "0f3c9a7e5b1d4e2a8c6b0d9e7f5a3c1b"
URL = f"postgresql+psycopg://impulator_runner:{PASSWORD}@db.internal:5432/impulator"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    out = io.StringIO()
    try:
        yield out
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])


def lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_json_lines_carry_job_and_user_and_hide_secrets(stream: io.StringIO) -> None:
    configure_logging("json", stream=stream, environ={})
    log = logging.getLogger("impulator.runner")
    with log_context(job_id=42, user="alice"):
        log.info("database %s", URL)
        log.warning("hub said no to headers %s", {"Authorization": f"token {TOKEN}"})
        try:
            raise ConnectionError(f"GET /hub/api/user?token={TOKEN} with {URL}")
        except ConnectionError:
            log.exception("token check failed: Authorization: Bearer %s", TOKEN)
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/1.1" %d', "10.0.0.1", "GET", f"/v1/jobs?token={TOKEN}", 200
    )
    text = stream.getvalue()
    assert PASSWORD not in text and TOKEN not in text
    first, second, third, fourth = lines(stream)
    assert set(first) >= {"time", "level", "logger", "message", "job_id", "user"}
    assert (first["level"], first["logger"], first["job_id"], first["user"]) == (
        "INFO",
        "impulator.runner",
        42,
        "alice",
    )
    assert first["message"] == (
        "database postgresql+psycopg://impulator_runner:***@db.internal:5432/impulator"
    )
    assert "token ***" in str(second["message"])
    assert third["level"] == "ERROR" and "ConnectionError" in str(third["error"])
    assert "token=***" in str(third["error"])
    # Outside the block, and in uvicorn's lines, no job or user.
    assert "job_id" not in fourth and "user" not in fourth
    assert fourth["message"] == '10.0.0.1 - "GET /v1/jobs?token=*** HTTP/1.1" 200'


def test_a_requests_context_stays_in_its_thread(stream: io.StringIO) -> None:
    configure_logging("json", stream=stream, environ={})

    def request(user: str) -> None:
        set_log_context(user=user, job_id=7)
        logging.getLogger("impulator.api").info("served")

    threads = [threading.Thread(target=request, args=(u,)) for u in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    logging.getLogger("impulator.api").info("idle")
    users = sorted(str(line.get("user")) for line in lines(stream))
    assert users == ["None", "alice", "bob"]


def test_plain_text_for_a_terminal_and_bad_settings_said_so(stream: io.StringIO) -> None:
    configure_logging(stream=stream, environ={"IMPULATOR_LOG_FORMAT": "text"})
    with log_context(job_id=3, user="bob"):
        logging.getLogger("impulator.runner").info("job %s: claimed (%s)", 3, URL)
    line = stream.getvalue().strip()
    assert " INFO impulator.runner [job_id=3 user=bob]: job 3: claimed" in line
    assert PASSWORD not in line and not line.startswith("{")
    with pytest.raises(InvalidInput, match="IMPULATOR_LOG_FORMAT='xml'"):
        configure_logging(stream=stream, environ={"IMPULATOR_LOG_FORMAT": "xml"})
    with pytest.raises(InvalidInput, match="IMPULATOR_LOG_LEVEL"):
        configure_logging(stream=stream, environ={"IMPULATOR_LOG_LEVEL": "LOUD"})


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("JUPYTERHUB_API_TOKEN=abc123 next", "JUPYTERHUB_API_TOKEN=*** next"),
        ("host=db user=x password=pw dbname=imp", "host=db user=x password=*** dbname=imp"),
        ("{'hub_api_token': 'abc'}", "{'hub_api_token': '***'}"),
        ("redis://:pw@cache:6379/0", "redis://:***@cache:6379/0"),
        ("POST /hub/login?next=/x&_xsrf=2|ab", "POST /hub/login?next=/x&_xsrf=***"),
        # Not secrets: left as they are.
        ("tokens: 3 of 10 used", "tokens: 3 of 10 used"),
        ('password authentication failed for user "bob"', None),
        ("postgresql://runner@db/imp", None),
    ],
)
def test_what_counts_as_a_secret(text: str, redacted: str | None) -> None:
    assert redact_secrets(text) == (text if redacted is None else redacted)


def test_api_lines_name_the_caller_and_the_job(stream: io.StringIO, tmp_path: Path) -> None:
    async def identify(token: str) -> dict[str, object] | None:
        return {"kind": "user", "name": "alice", "scopes": ["custom:impulator:read"]}

    settings = ApiSettings(database_url=f"sqlite:///{tmp_path / 'api.sqlite'}", identify=identify)
    app = create_app(settings)

    @app.get("/v1/jobs/{job_id}/log-and-fail")
    def log_and_fail(job_id: int, caller: Reader) -> None:
        logging.getLogger("impulator.api").info("looking at job %s", job_id)
        raise RuntimeError(f"broken while reading {URL}")

    configure_logging("json", stream=stream, environ={})
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get(
            "/v1/jobs/5/log-and-fail", headers={"Authorization": f"token {TOKEN}"}
        )
    assert response.status_code == 500
    found = [line for line in lines(stream) if str(line["logger"]).startswith("impulator.api")]
    assert [(line["user"], line["job_id"]) for line in found] == [("alice", "5"), ("alice", "5")]
    assert "RuntimeError" in str(found[-1]["error"])
    assert PASSWORD not in stream.getvalue() and TOKEN not in stream.getvalue()
