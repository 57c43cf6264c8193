"""Which warehouses ship an order (ARCHITECTURE §5.6 step 3): nearest to the destination
first, then fewest shipments.

Among the warehouses sorted by distance, take the shortest nearest-first prefix that holds
enough of everything; within that prefix, the smallest set of warehouses that still covers
the order (ties: the nearer set); each SKU is then taken from the nearest of those.
"""

from itertools import combinations

from pydantic import BaseModel, ConfigDict

from domain.errors import DomainError
from domain.geography import great_circle_km
from domain.inventory import InsufficientStock

MAX_EXACT_SEARCH = 12


class WarehouseSite(BaseModel):
    model_config = ConfigDict(frozen=True)

    warehouse_id: str
    latitude: float
    longitude: float
    region: str = ""


class AllocationPlan(BaseModel):
    """SKU quantities per warehouse, in shipping order (nearest first)."""

    shipments: dict[str, dict[str, int]]


def by_distance(
    sites: list[WarehouseSite], destination: tuple[float, float]
) -> list[WarehouseSite]:
    """Nearest to `destination` first (ties by id, so every caller agrees on "nearest")."""
    return sorted(
        sites,
        key=lambda s: (great_circle_km(*destination, s.latitude, s.longitude), s.warehouse_id),
    )


class NoWarehouse(DomainError):
    """The shop has no warehouse with a location: nothing can be reserved or shipped."""

    code = "no_warehouse"


def nearest(sites: list[WarehouseSite], destination: tuple[float, float]) -> WarehouseSite:
    """The warehouse every caller agrees is nearest to `destination`."""
    if not sites:
        raise NoWarehouse("the shop has no warehouse to ship from")
    return by_distance(sites, destination)[0]


def plan_allocation(
    lines: dict[str, int],
    destination: tuple[float, float],
    sites: list[WarehouseSite],
    available: dict[str, dict[str, int]],
) -> AllocationPlan:
    """Raises InsufficientStock naming what all warehouses together lack."""
    order = [s.warehouse_id for s in by_distance(sites, destination)]
    prefix = _nearest_covering_prefix(lines, order, available)
    chosen = _fewest_covering(lines, prefix, available)
    return AllocationPlan(shipments=_take_nearest_first(lines, chosen, available))


def _nearest_covering_prefix(
    lines: dict[str, int], order: list[str], available: dict[str, dict[str, int]]
) -> list[str]:
    for size in range(1, len(order) + 1):
        if _covers(lines, order[:size], available):
            return order[:size]
    totals = {sku: sum(available.get(w, {}).get(sku, 0) for w in order) for sku in lines}
    short = {sku: q - totals[sku] for sku, q in lines.items() if totals[sku] < q}
    raise InsufficientStock("not enough stock for " + ", ".join(sorted(short)), short=short)


def _fewest_covering(
    lines: dict[str, int], prefix: list[str], available: dict[str, dict[str, int]]
) -> list[str]:
    if len(prefix) > MAX_EXACT_SEARCH:
        return prefix
    for size in range(1, len(prefix) + 1):
        for subset in combinations(prefix, size):  # in distance order: nearer sets first
            if _covers(lines, list(subset), available):
                return list(subset)
    return prefix


def _covers(
    lines: dict[str, int], warehouses: list[str], available: dict[str, dict[str, int]]
) -> bool:
    return all(
        sum(available.get(w, {}).get(sku, 0) for w in warehouses) >= quantity
        for sku, quantity in lines.items()
    )


def _take_nearest_first(
    lines: dict[str, int], chosen: list[str], available: dict[str, dict[str, int]]
) -> dict[str, dict[str, int]]:
    shipments: dict[str, dict[str, int]] = {}
    for sku, quantity in lines.items():
        left = quantity
        for warehouse in chosen:
            take = min(left, available.get(warehouse, {}).get(sku, 0))
            if take > 0:
                shipments.setdefault(warehouse, {})[sku] = take
                left -= take
            if left == 0:
                break
    return {w: shipments[w] for w in chosen if w in shipments}
