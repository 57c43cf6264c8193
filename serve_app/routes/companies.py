"""Wholesale companies over HTTP (ARCHITECTURE §7, §8 `companies`): a buyer registers one and
owns it, owners invite buyers by email and manage their roles, invitees join, admins approve,
reject or suspend. Outsiders get 404 for a company, whether or not it exists.

A user belongs to one company: the identity database records it first, so two requests can
never make one user a member of two companies; a step that then fails is undone."""

import asyncio
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from actors.company import Company
from actors.users import USERS_KEY, MemberOfAnotherCompany, Users
from domain.companies import EMAIL, CompanyProfile, CompanyRole, CompanyStatus, Permission
from domain.errors import DomainError
from durable import ObjectStub
from serve_app.errors import ApiError
from serve_app.routes.deps import current_user, require_admin, services
from serve_app.schemas import Company as CompanyView
from serve_app.schemas import Responses
from serve_app.strict_json import StrictJsonRoute
from serve_app.tokens import Principal

router = APIRouter(route_class=StrictJsonRoute, prefix="/api", tags=["companies"])
User = Annotated[Principal, Depends(current_user)]
Admin = Annotated[Principal, Depends(require_admin)]
COMPANY_ID = Path(min_length=1, max_length=40, pattern=r"^cmp-[0-9a-f]+$")
USER_ID = Path(min_length=1, max_length=40, pattern=r"^u-[0-9a-f]+$")
MEMBER: Responses = {
    401: {"description": "not signed in"},
    403: {"description": "your company role does not allow it"},
    404: {"description": "you belong to no company"},
}


class Invite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = EMAIL
    role: CompanyRole = CompanyRole.PURCHASER


class RoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: CompanyRole


class Review(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)


def _users(request: Request) -> ObjectStub[Users]:
    return services(request).shop(Users).get(USERS_KEY)


def _company(request: Request, company_id: str) -> ObjectStub[Company]:
    return services(request).shop(Company).get(company_id)


async def my_company(request: Request, principal: Principal, permission: Permission) -> Any:
    """The caller's company (with their `role`) if their role allows `permission` now."""
    profile = await _users(request).call(Users.profile, user_id=principal.user_id)
    if profile["company_id"] is None:
        raise ApiError(404, "not_found", "you belong to no company")
    return await _company(request, profile["company_id"]).call(
        Company.require, user_id=principal.user_id, permission=permission.value
    )


@router.post(
    "/companies",
    response_model=CompanyView,
    status_code=201,
    responses={
        401: {"description": "not signed in"},
        403: {"description": "buyers only"},
        409: {"description": "you belong to a company"},
    },
)
async def register_company(
    body: CompanyProfile, request: Request, principal: User
) -> dict[str, Any]:
    """A buyer's company, which the buyer owns; pending until an admin approves it. Sent
    again after a failure, it finishes the same registration."""
    if not principal.has("buyer"):
        raise ApiError(403, "forbidden", "only wholesale buyers register a company")
    profile = await _users(request).call(Users.profile, user_id=principal.user_id)
    company_id = profile["company_id"]
    if company_id is not None:
        found = await _company(request, company_id).call(Company.view)
        if found["status"] != CompanyStatus.NEW:
            raise MemberOfAnotherCompany("you belong to a company", company_id=company_id)
    else:
        company_id = f"cmp-{uuid.uuid4().hex[:16]}"
        await _users(request).call(
            Users.join_company, user_id=principal.user_id, company_id=company_id
        )
    registered = await _company(request, company_id).call(
        Company.register,
        owner_id=principal.user_id,
        email=profile["email"],
        profile=body.model_dump(),
    )
    return {**registered, "role": CompanyRole.OWNER.value}


@router.get("/companies/mine", response_model=CompanyView, responses=MEMBER)
async def mine(request: Request, principal: User) -> Any:
    return await my_company(request, principal, Permission.VIEW)


@router.post(
    "/companies/mine/invitations",
    response_model=CompanyView,
    status_code=201,
    responses={**MEMBER, 409: {"description": "a member here or of another company"}},
)
async def invite(body: Invite, request: Request, principal: User) -> Any:
    """An owner invites a buyer by email, with a company role; the invitee joins after
    signing up or in (`POST /companies/{id}/join`)."""
    company = await my_company(request, principal, Permission.MANAGE)
    elsewhere = await _users(request).call(Users.company_of_email, email=body.email)
    if elsewhere is not None and elsewhere != company["company_id"]:
        raise MemberOfAnotherCompany("this email belongs to another company's member")
    invited = await _company(request, company["company_id"]).call(
        Company.invite, by=principal.user_id, email=body.email, role=body.role.value
    )
    return {**invited, "role": company["role"]}


@router.delete("/companies/mine/invitations/{email}", response_model=CompanyView, responses=MEMBER)
async def revoke_invitation(
    email: Annotated[str, Path(min_length=3, max_length=254)], request: Request, principal: User
) -> Any:
    company = await my_company(request, principal, Permission.MANAGE)
    changed = await _company(request, company["company_id"]).call(
        Company.revoke_invitation, by=principal.user_id, email=email
    )
    return {**changed, "role": company["role"]}


@router.post(
    "/companies/{company_id}/join",
    response_model=CompanyView,
    responses={
        401: {"description": "not signed in"},
        403: {"description": "buyers only"},
        404: {"description": "no invitation for your email"},
        409: {"description": "you belong to another company"},
    },
)
async def join(company_id: Annotated[str, COMPANY_ID], request: Request, principal: User) -> Any:
    """The invited buyer, signed in with the invited email, joins with the role given."""
    if not principal.has("buyer"):
        raise ApiError(403, "forbidden", "only wholesale buyers join a company")
    profile = await _users(request).call(Users.profile, user_id=principal.user_id)
    users = _users(request)
    await users.call(Users.join_company, user_id=principal.user_id, company_id=company_id)
    try:
        joined = await _company(request, company_id).call(
            Company.join, user_id=principal.user_id, email=profile["email"]
        )
    except DomainError:
        await users.call(Users.leave_company, user_id=principal.user_id, company_id=company_id)
        raise
    return {**joined, "role": joined["members"][principal.user_id]["role"]}


@router.put("/companies/mine/members/{user_id}", response_model=CompanyView, responses=MEMBER)
async def change_role(
    user_id: Annotated[str, USER_ID], body: RoleChange, request: Request, principal: User
) -> Any:
    company = await my_company(request, principal, Permission.MANAGE)
    changed = await _company(request, company["company_id"]).call(
        Company.change_role, by=principal.user_id, user_id=user_id, role=body.role.value
    )
    return {**changed, "role": changed["members"][principal.user_id]["role"]}


@router.delete("/companies/mine/members/{user_id}", status_code=204, responses=MEMBER)
async def remove_member(
    user_id: Annotated[str, USER_ID], request: Request, principal: User
) -> Response:
    """An owner removes a member, or a member leaves (never the last owner)."""
    company = await my_company(request, principal, Permission.VIEW)
    await _company(request, company["company_id"]).call(
        Company.remove_member, by=principal.user_id, user_id=user_id
    )
    await _users(request).call(
        Users.leave_company, user_id=user_id, company_id=company["company_id"]
    )
    return Response(status_code=204)


@router.get("/admin/companies", response_model=list[CompanyView], tags=["admin"])
async def list_companies(
    request: Request,
    admin: Admin,
    status: Annotated[CompanyStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[Any]:
    companies = services(request).shop(Company)
    rows = await companies.list(status=status.value if status else None, limit=limit)
    return list(
        await asyncio.gather(*(companies.get(row.stream).call(Company.view) for row in rows))
    )


ADMIN_DECISION: Responses = {
    404: {"description": "no such company"},
    409: {"description": "not from the company's status"},
}


@router.post(
    "/admin/companies/{company_id}/approve",
    response_model=CompanyView,
    tags=["admin"],
    responses=ADMIN_DECISION,
)
async def approve(company_id: Annotated[str, COMPANY_ID], request: Request, admin: Admin) -> Any:
    """Approves a pending company, or reinstates a suspended one: its members trade at
    wholesale prices (from their next token)."""
    return await _company(request, company_id).call(Company.approve, by=admin.user_id)


@router.post(
    "/admin/companies/{company_id}/reject",
    response_model=CompanyView,
    tags=["admin"],
    responses=ADMIN_DECISION,
)
async def reject(
    company_id: Annotated[str, COMPANY_ID], body: Review, request: Request, admin: Admin
) -> Any:
    company = _company(request, company_id)
    return await company.call(Company.reject, by=admin.user_id, reason=body.reason)


@router.post(
    "/admin/companies/{company_id}/suspend",
    response_model=CompanyView,
    tags=["admin"],
    responses=ADMIN_DECISION,
)
async def suspend(
    company_id: Annotated[str, COMPANY_ID], body: Review, request: Request, admin: Admin
) -> Any:
    """Suspends an approved company: no wholesale trade, and its open quotes stop."""
    company = _company(request, company_id)
    return await company.call(Company.suspend, by=admin.user_id, reason=body.reason)
