"""Admin reads and switches (ARCHITECTURE §5.5, §8, §9): sagas (list, timeline, retry), the
event bus (lag, dead letters, replay), a request's story by correlation id, and the saga
fault switches, which answer 404 unless the deployment enables them."""

import time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from durable import BUS_KEY, EventBus, Saga
from serve_app.errors import ApiError
from serve_app.routes.deps import require_admin, services
from serve_app.schemas import (
    DeadLetter,
    FaultArmed,
    LagBySubscriber,
    Queued,
    SagaDetail,
    SagaSummary,
    StoryEvent,
)
from serve_app.strict_json import StrictJsonRoute
from serve_app.tokens import Principal

Admin = Annotated[Principal, Depends(require_admin)]
router = APIRouter(
    route_class=StrictJsonRoute,
    prefix="/api/admin",
    tags=["admin"],
    responses={401: {"description": "not signed in"}, 403: {"description": "admins only"}},
)
SAGA_ID = Path(min_length=1, max_length=200)


class SagaRow(BaseModel):
    saga_id: str
    saga_type: str | None
    status: str | None
    created_at: float
    updated_at: float


class Replay(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subscriber: str = Field(min_length=1, max_length=80)
    topic: str = Field(min_length=1, max_length=80)
    seq: int = Field(ge=1, le=2**63 - 1)  # what SQLite stores


class FaultSwitch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    point: str = Field(min_length=1, max_length=120, pattern=r"^(before|after):[\w:]+$")
    action: Literal["kill"] = "kill"


@router.get("/sagas", response_model=list[SagaRow])
async def list_sagas(
    request: Request,
    admin: Admin,
    saga_type: Annotated[str | None, Query(max_length=40)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    older_than_s: Annotated[float, Query(ge=0, allow_inf_nan=False)] = 0,
    after: Annotated[str, Query(max_length=200)] = "",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[SagaRow]:
    """Sagas by type and status, in id order; `older_than_s` keeps those started earlier."""
    rows = (
        await services(request)
        .shop(Saga)
        .list(owner=saga_type, status=status, after=after, limit=limit)
    )
    cutoff = time.time() - older_than_s
    return [
        SagaRow(
            saga_id=row.stream,
            saga_type=row.owner,
            status=row.status,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in rows
        if row.created_at <= cutoff
    ]


@router.get("/sagas/{saga_id}", response_model=SagaDetail)
async def saga_detail(
    request: Request, admin: Admin, saga_id: Annotated[str, SAGA_ID]
) -> dict[str, Any]:
    saga = services(request).shop(Saga).get(saga_id)
    summary = await saga.call(Saga.view)
    if summary["status"] == "new":
        raise ApiError(404, "not_found", "no such saga")
    return {**summary, "timeline": await saga.call(Saga.timeline)}


@router.post("/sagas/{saga_id}/retry", response_model=SagaSummary)
async def retry_saga(
    request: Request, admin: Admin, saga_id: Annotated[str, SAGA_ID]
) -> dict[str, Any]:
    return await services(request).shop(Saga).get(saga_id).call(Saga.retry)


@router.get("/events/lag", response_model=LagBySubscriber)
async def subscriber_lag(request: Request, admin: Admin) -> dict[str, dict[str, int]]:
    return await services(request).shop(EventBus).get(BUS_KEY).call(EventBus.lag)


@router.get("/events/dead-letters", response_model=list[DeadLetter])
async def dead_letters(
    request: Request,
    admin: Admin,
    subscriber: Annotated[str | None, Query(max_length=80)] = None,
) -> list[dict[str, Any]]:
    return (
        await services(request)
        .shop(EventBus)
        .get(BUS_KEY)
        .call(EventBus.dead_letters, subscriber=subscriber)
    )


@router.post("/events/dead-letters/replay", response_model=Queued, status_code=202)
async def replay_dead_letter(request: Request, admin: Admin, body: Replay) -> dict[str, str]:
    bus = services(request).shop(EventBus).get(BUS_KEY)
    await bus.call(EventBus.replay, subscriber=body.subscriber, topic=body.topic, seq=body.seq)
    return {"status": "queued"}


@router.get("/events/story/{correlation_id}", response_model=list[StoryEvent])
async def story(
    request: Request,
    admin: Admin,
    correlation_id: Annotated[str, Path(min_length=1, max_length=100)],
) -> list[dict[str, Any]]:
    """Every event any object wrote under one correlation id, in causal order."""
    return await services(request).shop.story(correlation_id)


@router.post(
    "/faults",
    response_model=FaultArmed,
    status_code=202,
    responses={404: {"description": "switches off"}},
)
async def arm_fault(request: Request, admin: Admin, body: FaultSwitch) -> dict[str, Any]:
    """Makes the orchestrator die at a named saga point, once (chaos drills)."""
    if not services(request).settings.faults_enabled:
        raise ApiError(404, "not_found", "fault switches are off in this deployment")
    armed = await services(request).shop(Saga).arm_fault(body.point, body.action)
    return {"armed_hosts": armed, "point": body.point}
