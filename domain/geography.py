"""Regions the shop delivers to: where they are (for nearest-warehouse allocation) and the tax
rate of each (cart summary). One table, so a region is known everywhere or nowhere."""

import math

from pydantic import BaseModel, ConfigDict

from domain.errors import DomainError

EARTH_RADIUS_KM = 6371.0


class UnknownRegion(DomainError):
    code = "unknown_region"


class Region(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    latitude: float
    longitude: float
    tax_basis_points: int


REGIONS: dict[str, Region] = {
    r.code: r
    for r in [
        Region(
            code="ID-JK", name="Jakarta", latitude=-6.2, longitude=106.85, tax_basis_points=1100
        ),
        Region(
            code="ID-JB", name="West Java", latitude=-6.9, longitude=107.6, tax_basis_points=1100
        ),
        Region(
            code="ID-JT", name="Central Java", latitude=-7.0, longitude=110.4, tax_basis_points=1100
        ),
        Region(
            code="ID-JI", name="East Java", latitude=-7.25, longitude=112.75, tax_basis_points=1100
        ),
        Region(code="ID-BA", name="Bali", latitude=-8.65, longitude=115.22, tax_basis_points=1100),
        Region(
            code="ID-SU",
            name="North Sumatra",
            latitude=3.59,
            longitude=98.67,
            tax_basis_points=1100,
        ),
        Region(
            code="ID-SN",
            name="South Sulawesi",
            latitude=-5.15,
            longitude=119.43,
            tax_basis_points=1100,
        ),
        Region(
            code="ID-KT",
            name="East Kalimantan",
            latitude=-0.5,
            longitude=117.15,
            tax_basis_points=1100,
        ),
        Region(code="ID-PA", name="Papua", latitude=-2.53, longitude=140.72, tax_basis_points=1100),
        Region(code="SG", name="Singapore", latitude=1.35, longitude=103.82, tax_basis_points=900),
        Region(
            code="MY-14", name="Kuala Lumpur", latitude=3.14, longitude=101.69, tax_basis_points=800
        ),
    ]
}


def region(code: str) -> Region:
    try:
        return REGIONS[code]
    except KeyError:
        raise UnknownRegion(f"we do not deliver to region {code!r}", region=code) from None


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance; geometry is the one place floats belong."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a))
