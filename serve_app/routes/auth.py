"""Sign-up, sign-in, token refresh, the caller's profile; admins grant roles."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from actors.users import USERS_KEY, Users
from domain.identity import SELF_SERVICE_ROLES, Role
from serve_app.errors import ApiError
from serve_app.routes.access import GUEST_CART_PATTERN, company_of, join_guest_cart, market_in
from serve_app.routes.deps import current_user, require_admin, services
from serve_app.schemas import Company, SavedAddress
from serve_app.strict_json import StrictJsonRoute
from serve_app.tokens import InvalidToken, Principal

router = APIRouter(route_class=StrictJsonRoute, prefix="/api/auth", tags=["auth"])


class SignUpRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    password: str = Field(min_length=10, max_length=128)
    name: str = Field(min_length=1, max_length=120)
    role: Role = Role.CUSTOMER


class LoginRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=128)
    guest_cart_id: str | None = Field(default=None, pattern=GUEST_CART_PATTERN)
    """A guest cart whose lines join the user's cart."""


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=4096)


class RoleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Role


class Profile(BaseModel):
    user_id: str
    email: str
    name: str
    roles: list[str]


class Me(Profile):
    market: str
    addresses: list[SavedAddress]
    company: Company | None


class Tokens(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    guest_cart_joined: bool | None = None
    """At login with a guest cart: whether its lines joined the user's cart (False while
    the user's cart is being checked out; the guest cart is then kept)."""


class SignedUp(BaseModel):
    user: Profile
    tokens: Tokens


def _tokens(request: Request, principal: Principal) -> Tokens:
    issuer = services(request).issuer
    return Tokens(
        access_token=issuer.issue(principal), refresh_token=issuer.issue(principal, "refresh")
    )


@router.post("/signup", response_model=SignedUp, status_code=201)
async def signup(body: SignUpRequest, request: Request) -> SignedUp:
    if body.role not in SELF_SERVICE_ROLES:
        raise ApiError(403, "forbidden", f"{body.role.value} accounts are made by an admin")
    user = {"email": body.email, "name": body.name, "role": body.role.value}
    users = services(request).shop(Users).get(USERS_KEY)
    hashed = await services(request).passwords.hash.remote(body.password)
    created = await users.call(Users.register, user=user, password_hash=hashed)
    principal = Principal(created["user_id"], tuple(created["roles"]))
    return SignedUp(user=Profile(**created), tokens=_tokens(request, principal))


@router.post("/login", response_model=Tokens, responses={401: {"description": "bad credentials"}})
async def login(body: LoginRequest, request: Request) -> Tokens:
    users = services(request).shop(Users).get(USERS_KEY)
    found = await users.call(Users.credentials, email=body.email)
    stored = found["password_hash"] if found else None
    matches = await services(request).passwords.verify.remote(body.password, stored)
    if found is None or not matches:  # both cases cost one scrypt: no timing hint
        raise ApiError(401, "invalid_credentials", "wrong email or password")
    company = await company_of(request, found["user_id"], found["company_id"])
    principal = Principal(
        found["user_id"], tuple(found["roles"]), market_in(found["roles"], company)
    )
    tokens = _tokens(request, principal)
    if body.guest_cart_id is not None:
        shop = services(request).shop
        tokens.guest_cart_joined = await join_guest_cart(shop, body.guest_cart_id, principal)
    return tokens


@router.post("/refresh", response_model=Tokens, responses={401: {"description": "bad token"}})
async def refresh(body: RefreshRequest, request: Request) -> Tokens:
    try:
        principal = services(request).issuer.verify(body.refresh_token, kind="refresh")
    except InvalidToken as exc:
        raise ApiError(401, "unauthorized", f"invalid refresh token: {exc}") from None
    profile = (
        await services(request)
        .shop(Users)
        .get(USERS_KEY)
        .call(Users.profile, user_id=principal.user_id)
    )
    company = await company_of(request, principal.user_id, profile["company_id"])
    market = market_in(profile["roles"], company)
    return _tokens(request, Principal(principal.user_id, tuple(profile["roles"]), market))


@router.get("/me", response_model=Me, responses={401: {"description": "not signed in"}})
async def me(request: Request, principal: Annotated[Principal, Depends(current_user)]) -> Me:
    """The caller's account with address book, company and market."""
    profile = (
        await services(request)
        .shop(Users)
        .get(USERS_KEY)
        .call(Users.profile, user_id=principal.user_id)
    )
    company = await company_of(request, principal.user_id, profile["company_id"])
    return Me(**profile, company=company, market=market_in(profile["roles"], company))


@router.post(
    "/users/{user_id}/roles",
    response_model=Profile,
    responses={401: {"description": "not signed in"}, 403: {"description": "admins only"}},
)
async def grant_role(
    user_id: Annotated[str, Path(min_length=1, max_length=64)],
    body: RoleRequest,
    request: Request,
    admin: Annotated[Principal, Depends(require_admin)],
) -> Profile:
    users = services(request).shop(Users).get(USERS_KEY)
    granted = await users.call(Users.grant, user_id=user_id, role=body.role.value)
    return Profile(**{k: granted[k] for k in ("user_id", "email", "name", "roles")})


@router.delete(
    "/users/{user_id}/roles/{role}",
    response_model=Profile,
    responses={
        401: {"description": "not signed in"},
        403: {"description": "admins only"},
        404: {"description": "no such user"},
        409: {"description": "the last admin"},
    },
)
async def revoke_role(
    user_id: Annotated[str, Path(min_length=1, max_length=64)],
    role: Role,
    request: Request,
    admin: Annotated[Principal, Depends(require_admin)],
) -> Profile:
    """Takes a role away (from the next token on); never the shop's last admin."""
    users = services(request).shop(Users).get(USERS_KEY)
    revoked = await users.call(Users.revoke, user_id=user_id, role=role.value)
    return Profile(**{k: revoked[k] for k in ("user_id", "email", "name", "roles")})


class Account(Profile):
    created_at: float


@router.get(
    "/users",
    response_model=list[Account],
    responses={401: {"description": "not signed in"}, 403: {"description": "admins only"}},
)
async def search_users(
    request: Request,
    admin: Annotated[Principal, Depends(require_admin)],
    search: Annotated[str, Query(max_length=254, description="in email or name")] = "",
    role: Role | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[dict[str, Any]]:
    """Accounts, oldest first, for admins: by text in their email or name, and by role."""
    users = services(request).shop(Users).get(USERS_KEY)
    role_name = role.value if role else None
    found: list[dict[str, Any]] = await users.call(
        Users.search, text=search, role=role_name, limit=limit
    )
    return found
