"""The caller's address book (ARCHITECTURE §8 `auth`)."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response

from actors.users import USERS_KEY, Users
from domain.cart import Address
from durable import ObjectStub
from serve_app.routes.deps import current_user, services
from serve_app.schemas import Responses, SavedAddress
from serve_app.strict_json import StrictJsonRoute
from serve_app.tokens import Principal

router = APIRouter(route_class=StrictJsonRoute, prefix="/api", tags=["account"])
User = Annotated[Principal, Depends(current_user)]
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
