"""Analytics and exports of the compounds the caller can see; health."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from impulator import exports, store
from impulator.api._deps import MAX_ID, Reader, ServiceDep
from impulator.api._errors import ApiError, jsonable

__all__ = ["EXPORT_KINDS", "router"]

router = APIRouter()
#: The API's export formats and the library's kinds behind them.
EXPORT_KINDS = {"csv": "csv", "prototype": "prototype", "sdf": "sdf", "xlsx": "excel", "pdf": "pdf"}


@router.get("/health", tags=["service"], summary="Whether the API answers (no token needed)")
def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/analytics/summary", tags=["analytics"], summary="Dashboard numbers")
def analytics_summary(caller: Reader, service: ServiceDep) -> dict[str, Any]:
    with service.as_caller(caller) as url:
        numbers: dict[str, Any] = jsonable(store.analytics(url))
    return numbers


@router.get(
    "/exports/{format}",
    tags=["exports"],
    summary="A file of the chosen compounds (generated now, never stored)",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}},
)
async def export(
    format: Literal["csv", "prototype", "sdf", "xlsx", "pdf"],
    caller: Reader,
    service: ServiceDep,
    ids: Annotated[list[str], Query(description="compound ids: repeat, or comma separated")],
) -> Response:
    chosen: list[int] = []
    for value in ids:
        for part in value.split(","):
            if not part.strip():
                continue
            if not part.strip().isdigit() or not 1 <= int(part) <= MAX_ID:
                raise ApiError(400, f"{part.strip()!r} is not a compound id: ids are numbers.")
            chosen.append(int(part))
    if not chosen:
        raise ApiError(400, "Choose at least one compound: ?ids=1,2,3.")
    if len(chosen) > 1000:
        raise ApiError(400, "At most 1000 compounds per export: split the selection.")

    def build() -> exports.ExportFile:
        with service.as_caller(caller) as url:
            return exports.export_file(EXPORT_KINDS[format], chosen, url)

    made = await run_in_threadpool(build)
    headers = {"Content-Disposition": f'attachment; filename="{made.name}"'}
    return Response(made.data, media_type=made.mime, headers=headers)
