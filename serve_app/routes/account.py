"""The caller's address book and a wholesale buyer's company (ARCHITECTURE §8 `auth`,
`companies`); admins list companies and approve them, which opens wholesale prices."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from actors.users import USERS_KEY, Users
from domain.cart import Address
from domain.identity import CompanyApplication, CompanyStatus
from durable import ObjectStub
from serve_app.errors import ApiError
from serve_app.routes.deps import current_user, require_admin, services
from serve_app.schemas import Company, Responses, SavedAddress
from serve_app.strict_json import StrictJsonRoute
from serve_app.tokens import Principal

router = APIRouter(route_class=StrictJsonRoute, prefix="/api", tags=["account"])
User = Annotated[Principal, Depends(current_user)]
Admin = Annotated[Principal, Depends(require_admin)]
ADDRESS_ID = Path(min_length=1, max_length=40, pattern=r"^adr-[0-9a-f]+$")
SIGNED_IN: Responses = {401: {"description": "not signed in"}}


def _users(request: Request) -> ObjectStub[Users]:
    return services(request).shop(Users).get(USERS_KEY)


@router.get("/me/addresses", response_model=list[SavedAddress], responses=SIGNED_IN)
async def addresses(request: Request, principal: User) -> list[dict[str, Any]]:
    profile = await _users(request).call(Users.profile, user_id=principal.user_id)
    addresses: list[dict[str, Any]] = profile["addresses"]
    return addresses


@router.post("/me/addresses", response_model=SavedAddress, status_code=201, responses=SIGNED_IN)
async def add_address(body: Address, request: Request, principal: User) -> dict[str, Any]:
    return await _users(request).call(
        Users.save_address, user_id=principal.user_id, address=body.model_dump(mode="json")
    )


@router.put("/me/addresses/{address_id}", response_model=SavedAddress, responses=SIGNED_IN)
async def replace_address(
    address_id: Annotated[str, ADDRESS_ID], body: Address, request: Request, principal: User
) -> dict[str, Any]:
    return await _users(request).call(
        Users.save_address,
        user_id=principal.user_id,
        address=body.model_dump(mode="json"),
        address_id=address_id,
    )


@router.delete("/me/addresses/{address_id}", status_code=204, responses=SIGNED_IN)
async def remove_address(
    address_id: Annotated[str, ADDRESS_ID], request: Request, principal: User
) -> Response:
    await _users(request).call(
        Users.remove_address, user_id=principal.user_id, address_id=address_id
    )
    return Response(status_code=204)


@router.post(
    "/companies",
    response_model=Company,
    status_code=201,
    tags=["companies"],
    responses={**SIGNED_IN, 403: {"description": "buyers only"}, 409: {"description": "has one"}},
)
async def register_company(
    body: CompanyApplication, request: Request, principal: User
) -> dict[str, Any]:
    """A buyer's company; wholesale prices apply once an admin approves it."""
    if not principal.has("buyer"):
        raise ApiError(403, "forbidden", "only wholesale buyers register a company")
    return await _users(request).call(
        Users.register_company, owner_id=principal.user_id, company=body.model_dump()
    )


@router.get(
    "/companies/mine",
    response_model=Company,
    tags=["companies"],
    responses={**SIGNED_IN, 404: {"description": "no company yet"}},
)
async def my_company(request: Request, principal: User) -> dict[str, Any]:
    profile = await _users(request).call(Users.profile, user_id=principal.user_id)
    company: dict[str, Any] | None = profile["company"]
    if company is None:
        raise ApiError(404, "not_found", "you have not registered a company")
    return company


@router.get("/admin/companies", response_model=list[Company], tags=["admin", "companies"])
async def list_companies(
    request: Request,
    admin: Admin,
    status: Annotated[CompanyStatus | None, Query()] = None,
) -> list[dict[str, Any]]:
    return await _users(request).call(Users.companies, status=status.value if status else None)


@router.post(
    "/admin/companies/{company_id}/approve",
    response_model=Company,
    tags=["admin", "companies"],
    responses={404: {"description": "no such company"}},
)
async def approve_company(
    company_id: Annotated[str, Path(min_length=1, max_length=40)], request: Request, admin: Admin
) -> dict[str, Any]:
    return await _users(request).call(Users.approve_company, company_id=company_id)
