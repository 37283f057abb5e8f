"""Jobs: list, read, cancel, retry, errors, and a Server-Sent Events progress stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from impulator import jobs, store
from impulator.api._auth import Caller
from impulator.api._deps import Reader, RowId, Service, ServiceDep, Writer
from impulator.api._errors import ApiError, jsonable

__all__ = ["POLL_SECONDS", "router"]

router = APIRouter(tags=["jobs"])
#: How often the event stream looks at the job.
POLL_SECONDS = 1.0
#: A comment line this often keeps proxies from closing a quiet stream.
KEEPALIVE_SECONDS = 15.0


def _status(service: Service, caller: Caller, job_id: int) -> dict[str, Any]:
    with service.as_caller(caller) as url:
        status: dict[str, Any] = jsonable(jobs.Job(job_id, url).status().to_dict())
    return status


@router.get("/jobs", summary="Your jobs, newest first")
def list_jobs(
    caller: Reader,
    service: ServiceDep,
    status: Annotated[str | None, Query(description=", ".join(store.JOB_STATUSES))] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict[str, Any]:
    if status is not None and status not in store.JOB_STATUSES:
        raise ApiError(
            400, f"Unknown job status {status!r}: use one of {', '.join(store.JOB_STATUSES)}."
        )
    with service.as_caller(caller) as url:
        table = jobs.list_jobs(status, limit=limit, url=url)
    return {"items": jsonable(table)}


@router.get("/jobs/{job_id}", summary="A job's status, progress and counts")
def get_job(job_id: RowId, caller: Reader, service: ServiceDep) -> dict[str, Any]:
    return _status(service, caller, job_id)


@router.post("/jobs/{job_id}/cancel", summary="Stop a job (what is stored stays)")
def cancel_job(job_id: RowId, caller: Writer, service: ServiceDep) -> dict[str, Any]:
    with service.as_caller(caller) as url:
        job = jobs.Job(job_id, url)
        stopped = job.cancel()
        status: dict[str, Any] = jsonable(job.status().to_dict())
    return {"cancelled": stopped, "job": status}


@router.post("/jobs/{job_id}/retry", summary="Queue a job's failed compounds again")
def retry_job(job_id: RowId, caller: Writer, service: ServiceDep) -> dict[str, Any]:
    with service.as_caller(caller) as url:
        job = jobs.Job(job_id, url)
        again = job.retry_failed()
        status: dict[str, Any] = jsonable(job.status().to_dict())
    return {"queued_again": again, "job": status}


@router.get("/jobs/{job_id}/errors", summary="Rows of a job that were not stored, and why")
def job_errors(job_id: RowId, caller: Reader, service: ServiceDep) -> dict[str, Any]:
    with service.as_caller(caller) as url:
        table = jobs.Job(job_id, url).errors()
    return {"items": jsonable(table)}


@router.get(
    "/jobs/{job_id}/events",
    summary="Progress as Server-Sent Events, ending with the final state",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def job_events(job_id: RowId, caller: Reader, service: ServiceDep) -> StreamingResponse:
    """``event: progress`` whenever the job changes, then one event named after its final
    state (``completed``, ``failed`` or ``cancelled``), then the stream ends."""
    first = await run_in_threadpool(_status, service, caller, job_id)  # 404 before streaming

    async def events() -> AsyncIterator[str]:
        status, last, quiet = first, None, 0.0
        while True:
            if status != last:
                done = store.JobState(status["status"]).finished
                name = status["status"] if done else "progress"
                yield f"event: {name}\ndata: {json.dumps(status)}\n\n"
                if done:
                    return
                last, quiet = status, 0.0
            elif quiet >= KEEPALIVE_SECONDS:
                yield ": still working\n\n"
                quiet = 0.0
            await asyncio.sleep(POLL_SECONDS)
            quiet += POLL_SECONDS
            status = await run_in_threadpool(_status, service, caller, job_id)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
