"""Admin placement (ARCHITECTURE §13): who serves what, and the operator's moves over HTTP
(`rayshop partitions`, `volumes`, `scale`, `rebalance`, `drain`). A move answers once made;
`dry_run` shows the plan and moves nothing."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from durable import (
    PlacementRefused,
    Step,
    drain,
    partition_stats,
    partitions_report,
    rebalance,
    scale,
    step_report,
    volume_mounts,
    volumes_report,
)
from serve_app.errors import ApiError
from serve_app.routes.deps import require_admin, services
from serve_app.strict_json import StrictJsonRoute
from serve_app.tokens import Principal

Admin = Annotated[Principal, Depends(require_admin)]
router = APIRouter(
    route_class=StrictJsonRoute,
    prefix="/api/admin/placement",
    tags=["admin"],
    responses={401: {"description": "not signed in"}, 403: {"description": "admins only"}},
)
NAME = r"^[a-z0-9][a-z0-9_-]{0,31}$"
REFUSED: dict[int | str, dict[str, Any]] = {422: {"description": "refused; nothing moved"}}


class PartitionRow(BaseModel):
    partition: int
    host: str
    volume: str
    bytes: int = Field(description="on disk, WAL included")
    calls: int = Field(description="calls since its host started")


class PlannedMove(BaseModel):
    collection: str
    partition: int
    source: str
    target: str


class MoveUnderWay(PlannedMove):
    phase: str


class PartitionsView(BaseModel):
    epoch: int
    move: MoveUnderWay | None
    collections: dict[str, list[PartitionRow]]


class VolumeView(BaseModel):
    mounted_on: str
    partitions: dict[str, int]
    dedicated: dict[str, list[str]]


class VolumesView(BaseModel):
    epoch: int
    volumes: dict[str, VolumeView]


class PlacementMoves(BaseModel):
    dry_run: bool
    moves: list[PlannedMove]


class ScaleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group: str = Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$")
    hosts: int = Field(ge=1, le=256)
    dry_run: bool = False


class RebalanceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    volumes: list[Annotated[str, Field(pattern=NAME)]] | None = Field(default=None, max_length=256)
    dry_run: bool = False


class DrainRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    volume: str = Field(pattern=NAME)
    dry_run: bool = False


@router.get("/partitions", response_model=PartitionsView)
async def partitions(request: Request, admin: Admin) -> dict[str, Any]:
    shop = services(request).shop
    current = await shop.placement.refresh()
    return partitions_report(current, await partition_stats(shop, current))


@router.get("/volumes", response_model=VolumesView)
async def volumes(request: Request, admin: Admin) -> dict[str, Any]:
    current = await services(request).shop.placement.refresh()
    return volumes_report(current, volume_mounts())


@router.post(
    "/scale",
    response_model=PlacementMoves,
    responses={422: {"description": "refused; nothing moved"}},
)
async def scale_group(request: Request, admin: Admin, body: ScaleRequest) -> dict[str, Any]:
    """`hosts` host processes of the group on every volume it uses, moved live."""
    shop = services(request).shop
    return await _moves(scale(shop, body.group, body.hosts, dry_run=body.dry_run), body.dry_run)


@router.post(
    "/rebalance",
    response_model=PlacementMoves,
    responses={422: {"description": "refused; nothing moved"}},
)
async def rebalance_volumes(
    request: Request, admin: Admin, body: RebalanceRequest
) -> dict[str, Any]:
    """Every collection spread evenly over the volumes named (default: every mounted one)."""
    shop = services(request).shop
    return await _moves(rebalance(shop, body.volumes, dry_run=body.dry_run), body.dry_run)


@router.post(
    "/drain",
    response_model=PlacementMoves,
    responses={422: {"description": "refused; nothing moved"}},
)
async def drain_volume(request: Request, admin: Admin, body: DrainRequest) -> dict[str, Any]:
    """Every partition and object off the volume, onto the other mounted volumes."""
    shop = services(request).shop
    return await _moves(drain(shop, body.volume, dry_run=body.dry_run), body.dry_run)


async def _moves(planned: Any, dry_run: bool) -> dict[str, Any]:
    try:
        steps: list[Step] = await planned
    except PlacementRefused as exc:
        raise ApiError(422, "placement_refused", str(exc)) from exc
    return {"dry_run": dry_run, "moves": [step_report(step) for step in steps]}
