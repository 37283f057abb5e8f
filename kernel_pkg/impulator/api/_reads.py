"""Analytics and exports of the compounds the caller can see; health."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from impulator import exports, store
from impulator.api._deps import MAX_ID, Reader, ServiceDep
from impulator.api._errors import ApiError, jsonable

__all__ = ["EXPORT_KINDS", "Distribution", "TrendPeriod", "router"]

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


class Bin(BaseModel):
    """Values in [lower, upper) (the last bin includes its upper edge)."""

    lower: float
    upper: float
    count: int


class Histogram(BaseModel):
    """One measure over the rows: how many have it, mean, range and equal bins."""

    count: int
    mean: float | None
    min: float | None
    max: float | None
    bins: list[Bin]


class Distribution(BaseModel):
    """Scored activity rows you can see (of one target when ``target`` is set)."""

    target: str | None
    rows: int
    compounds: int
    scores: list[Bin]
    classes: dict[str, int]
    best_classes: dict[str, int]
    histograms: dict[str, Histogram]


class TrendPeriod(BaseModel):
    """Compounds stored in one day or week (``start``: its first day, UTC)."""

    start: str
    stored: int
    total: int
    mean_score: float | None
    classes: dict[str, int]


@router.get(
    "/analytics/distribution",
    tags=["analytics"],
    summary="Score, class, pActivity and efficiency-index distributions",
)
def analytics_distribution(
    caller: Reader,
    service: ServiceDep,
    target: Annotated[
        str | None, Query(max_length=40, description="only rows of this ChEMBL target id")
    ] = None,
    bins: Annotated[int, Query(ge=1, le=200, description="bins per histogram")] = 20,
) -> Distribution:
    """Over the scored activity rows of the compounds you can see: final scores in ten bins,
    rows per class, those compounds per best class, and histograms of pActivity, SEI, BEI,
    NSEI and NBEI."""
    with service.as_caller(caller) as url:
        found = store.distribution(url, target=target or None, bins=bins)
    return Distribution.model_validate(found)


@router.get(
    "/analytics/trends",
    tags=["analytics"],
    summary="Compounds stored and their classes per day or week",
)
def analytics_trends(
    caller: Reader,
    service: ServiceDep,
    every: Literal["day", "week"] = "day",
    periods: Annotated[int, Query(ge=1, le=366, description="how many, the current included")] = 30,
) -> list[TrendPeriod]:
    """Oldest first: compounds stored in each period, the running total, the mean best score
    and the period's compounds by best class (weeks start on Monday; UTC)."""
    with service.as_caller(caller) as url:
        found = store.trends(url, every=every, periods=periods)
    return [TrendPeriod.model_validate(period) for period in found]


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
                raise ApiError(
                    400, f"{part.strip()[:40]!r} is not a compound id: send numbers, ?ids=1,2,3."
                )
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
