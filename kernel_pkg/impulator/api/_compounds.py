"""Compounds: submit one (a job), upload a batch (a job), list, read, delete, share."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from impulator import jobs, store
from impulator._errors import InvalidInput
from impulator.api._deps import Reader, RowId, ServiceDep, Submitter, Writer
from impulator.api._errors import ApiError, jsonable, size_in_words
from impulator.api._metrics import JOBS_SUBMITTED
from impulator.batch import read_batch

__all__ = ["AnalysisOptions", "CompoundSubmission", "ShareRequest", "router"]

router = APIRouter(tags=["compounds"])
OnDuplicate = Literal["skip", "replace", "keep"]


class AnalysisOptions(BaseModel):
    """The options of ``impulator.analyze`` a job may carry (unset: the library's defaults)."""

    similarity: float | None = Field(None, ge=0.4, le=1.0, description="Tanimoto threshold")
    top_k: int | None = Field(None, ge=1, le=10_000, description="most neighbours kept")
    activity_types: list[str] | None = Field(None, max_length=20)
    model: str | None = Field(None, max_length=40, description="scoring model id")
    pdb: bool | None = Field(None, description="look up PDB evidence")
    on_duplicate: OnDuplicate = "skip"

    def library_options(self) -> dict[str, Any]:
        fields = set(AnalysisOptions.model_fields) - {"on_duplicate"}
        chosen: dict[str, Any] = self.model_dump(exclude_none=True, include=fields)
        return chosen


class CompoundSubmission(AnalysisOptions):
    """One compound to analyze: a SMILES, a name or a ChEMBL id."""

    query: str = Field(..., min_length=1, max_length=2000, examples=["CC(=O)Oc1ccccc1C(=O)O"])
    name: str | None = Field(None, max_length=200, description="a label for the result")


class ShareRequest(BaseModel):
    """A group of yours to share with (or stop sharing with)."""

    group: str = Field(..., min_length=1, max_length=100)


def _job_body(job: Any) -> dict[str, Any]:
    body: dict[str, Any] = jsonable(job.status().to_dict())
    return body


@router.post("/compounds", status_code=202, summary="Analyze one compound (returns its job)")
def submit_compound(
    body: CompoundSubmission, caller: Submitter, service: ServiceDep, response: Response
) -> dict[str, Any]:
    table = pd.DataFrame({"query": [body.query], "name": [body.name or ""]})
    with service.as_caller(caller) as url:
        try:
            job = jobs.submit(
                table,
                column="query",
                name_column="name" if body.name else None,
                on_duplicate=body.on_duplicate,
                url=url,
                **body.library_options(),
            )
        except InvalidInput as exc:
            raise _unreadable(body.query, exc) from exc
        result = _job_body(job)
    JOBS_SUBMITTED.labels("compound").inc()
    response.headers["Location"] = f"jobs/{job.id}"
    return result


def _unreadable(query: str, exc: InvalidInput) -> Exception:
    """The library's refusal of one submitted compound in the words of the request."""
    errors = read_batch([query]).errors
    if not errors:  # an option was refused, not the compound: the library's words stand
        return exc
    return ApiError(
        400,
        f"The compound {query[:80]!r} cannot be analyzed ({errors[0].reason}): send a "
        "SMILES, a compound name or a ChEMBL id.",
    )


_SUFFIXES = {"csv": ".csv", "tsv": ".tsv", "txt": ".csv", "sdf": ".sdf", "sd": ".sdf"}


@router.post(
    "/batches",
    status_code=202,
    summary="Upload a CSV or SDF file as one batch job",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "chemical/x-mdl-sdfile": {"schema": {"type": "string"}},
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    },
)
async def submit_batch(
    request: Request,
    caller: Submitter,
    service: ServiceDep,
    response: Response,
    format: Annotated[Literal["csv", "tsv", "sdf"] | None, Query()] = None,
    column: Annotated[str | None, Query(max_length=100)] = None,
    name_column: Annotated[str | None, Query(max_length=100)] = None,
    on_duplicate: OnDuplicate = "skip",
    similarity: Annotated[float | None, Query(ge=0.4, le=1.0)] = None,
    model: Annotated[str | None, Query(max_length=40)] = None,
    pdb: bool | None = None,
) -> dict[str, Any]:
    """The request body is the file itself (``curl --data-binary @compounds.csv``); its kind
    comes from ``format``, else from the Content-Type (CSV unless it says SDF)."""
    limit = service.settings.max_upload_bytes
    kind = format or ("sdf" if "sdfile" in request.headers.get("content-type", "") else "csv")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        await _drain(request)
        raise _too_large(limit)
    fd, name = tempfile.mkstemp(prefix="impulator-upload-", suffix=_SUFFIXES[kind])
    path = Path(name)
    try:
        size = 0
        with os.fdopen(fd, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    break
                out.write(chunk)
        if size > limit:
            await _drain(request)
            raise _too_large(limit)
        if size == 0:
            raise ApiError(400, "The upload is empty: send the CSV or SDF file as the body.")
        options: dict[str, Any] = {
            k: v
            for k, v in (("similarity", similarity), ("model", model), ("pdb", pdb))
            if v is not None
        }

        def submit() -> dict[str, Any]:
            with service.as_caller(caller) as url:
                job = jobs.submit(
                    path,
                    column=column,
                    name_column=name_column,
                    on_duplicate=on_duplicate,
                    url=url,
                    **options,
                )
                return {**_job_body(job), "_id": job.id}

        result = await run_in_threadpool(submit)
    finally:
        path.unlink(missing_ok=True)
    JOBS_SUBMITTED.labels("batch").inc()
    response.headers["Location"] = f"jobs/{result.pop('_id')}"
    return result


async def _drain(request: Request) -> None:
    """Read what the client still sends (and drop it), so it gets our answer."""
    try:
        async for _ in request.stream():
            pass
    except Exception:  # the client stopped sending: nothing left to drain
        return


def _too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        f"The upload is larger than {size_in_words(limit)}, the most one batch may be: "
        "split the file into smaller batches.",
    )


@router.get("/compounds", summary="A page of the compounds you can see")
def list_compounds(
    caller: Reader,
    service: ServiceDep,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    sort: Annotated[
        str, Query(description=f"one of {', '.join(store.SORT_KEYS)}; '-': descending")
    ] = "-created_at",
    mine: bool = False,
    min_score: float | None = None,
    max_score: float | None = None,
    classes: Annotated[str | None, Query(description="best classes, comma separated")] = None,
    has_flags: bool | None = None,
    min_mw: float | None = None,
    max_mw: float | None = None,
    target: Annotated[str | None, Query(max_length=40)] = None,
    model: Annotated[str | None, Query(max_length=40)] = None,
    text: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    if sort.removeprefix("-") not in store.SORT_KEYS:
        raise ApiError(
            400,
            f"Cannot sort by {sort!r}: use one of {', '.join(store.SORT_KEYS)} "
            "(a '-' in front sorts descending).",
        )
    given: dict[str, Any] = {
        "min_score": min_score,
        "max_score": max_score,
        "classes": [c.strip() for c in classes.split(",") if c.strip()] if classes else None,
        "has_flags": has_flags,
        "min_mw": min_mw,
        "max_mw": max_mw,
        "target": target,
        "model": model,
        "text": text,
    }
    chosen = {k: v for k, v in given.items() if v is not None and k in store.FILTERS}
    with service.as_caller(caller) as url:
        found = store.list_compounds(chosen, sort=sort, page=page, limit=limit, mine=mine, url=url)
    return {
        "items": jsonable(found.items),
        "total": found.total,
        "page": found.page,
        "limit": found.limit,
        "pages": found.pages,
    }


@router.get("/compounds/{compound_id}", summary="One compound with its rows, flags and PDB")
def get_compound(compound_id: RowId, caller: Reader, service: ServiceDep) -> dict[str, Any]:
    with service.as_caller(caller) as url:
        found = store.get(compound_id, url=url)
    body = {k: getattr(found, k) for k in found.__dataclass_fields__}
    result: dict[str, Any] = jsonable(body)
    return result


@router.delete("/compounds/{compound_id}", status_code=204, summary="Delete your compound")
def delete_compound(compound_id: RowId, caller: Writer, service: ServiceDep) -> Response:
    with service.as_caller(caller) as url:
        store.delete(compound_id, url=url)
    return Response(status_code=204)


@router.post("/compounds/{compound_id}/share", summary="Share your compound with a group")
def share(
    compound_id: RowId, body: ShareRequest, caller: Writer, service: ServiceDep
) -> dict[str, Any]:
    with service.as_caller(caller) as url:
        store.share(compound_id, body.group, url=url)
        shared = store.get(compound_id, url=url).shared_with
    return {"id": compound_id, "shared_with": shared}


@router.post("/compounds/{compound_id}/unshare", summary="Stop sharing with a group")
def unshare(
    compound_id: RowId, body: ShareRequest, caller: Writer, service: ServiceDep
) -> dict[str, Any]:
    with service.as_caller(caller) as url:
        store.unshare(compound_id, body.group, url=url)
        shared = store.get(compound_id, url=url).shared_with
    return {"id": compound_id, "shared_with": shared}
