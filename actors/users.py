"""The identity database object (dedicated, ARCHITECTURE §6): users, their password hashes,
roles, address books and wholesale companies. Hashing and tokens belong to the stateless auth
service; this object only keeps what must be durable and unique (one account per email, one
company per buyer)."""

import json
import uuid
from typing import Any

from pydantic import BaseModel

from domain.cart import Address
from domain.errors import DomainError, parse
from domain.geography import region
from domain.identity import (
    MAX_ADDRESSES,
    CompanyApplication,
    CompanyStatus,
    NewUser,
    Role,
    market_of,
)
from durable import CallContext, Dedicated, DurableObject, Event, command, query

COLUMNS = ("user_id", "email", "password_hash", "name", "roles", "created_at")

USERS_KEY = "users"

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
    name TEXT NOT NULL, roles TEXT NOT NULL, created_at REAL NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS addresses (
    user_id TEXT NOT NULL, address_id TEXT NOT NULL, address TEXT NOT NULL,
    created_at REAL NOT NULL, PRIMARY KEY (user_id, address_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS companies (
    company_id TEXT PRIMARY KEY, owner_id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    tax_id TEXT NOT NULL, status TEXT NOT NULL, created_at REAL NOT NULL,
    approved_at REAL
) WITHOUT ROWID;
"""
COMPANY_COLUMNS = (
    "company_id",
    "owner_id",
    "name",
    "tax_id",
    "status",
    "created_at",
    "approved_at",
)


class RoleGrant(BaseModel):
    role: Role


class EmailTaken(DomainError):
    code = "email_taken"


class UnknownUser(DomainError):
    code = "unknown_user"


class UnknownAddress(DomainError):
    code = "unknown_address"


class AddressBookFull(DomainError):
    code = "address_book_full"


class UnknownCompany(DomainError):
    code = "unknown_company"


class CompanyExists(DomainError):
    code = "company_exists"


class NotABuyer(DomainError):
    code = "not_a_buyer"


class TablesOnly(BaseModel):
    """The owner tables are the whole state: a snapshot holds nothing, replay applies nothing."""


class Users(DurableObject):
    kind = "users"
    collection = "users"
    placement = Dedicated()
    owner_schema = SCHEMA
    state_model = TablesOnly

    def apply(self, event: Event) -> None:
        return None  # the users table is the state

    @command
    async def register(
        self, ctx: CallContext, user: dict[str, Any], password_hash: str
    ) -> dict[str, Any]:
        """A new account; refused if the email has one already."""
        parsed = parse(NewUser, user)
        email = parsed.email.lower()
        if await ctx.read("SELECT 1 FROM users WHERE email = ?", (email,)):
            raise EmailTaken("an account with this email exists", email=email)
        account = {
            "user_id": f"u-{uuid.uuid4().hex[:16]}",
            "email": email,
            "name": parsed.name,
            "roles": [parsed.role.value],
        }
        ctx.emit("UserRegistered", account)
        self._write(ctx, {**account, "password_hash": password_hash, "created_at": ctx.now()})
        return account

    @query
    async def credentials(self, ctx: CallContext, email: str) -> dict[str, Any] | None:
        """What login checks a password against, and the market the tokens carry; None for
        an unknown email."""
        rows = await ctx.read(
            "SELECT u.user_id, u.password_hash, u.roles, c.status FROM users u"
            " LEFT JOIN companies c ON c.owner_id = u.user_id WHERE u.email = ?",
            (email.lower(),),
        )
        if not rows:
            return None
        user_id, password_hash, roles, company_status = rows[0]
        roles = json.loads(roles)
        return {
            "user_id": user_id,
            "password_hash": password_hash,
            "roles": roles,
            "market": market_of(roles, company_status),
        }

    @query
    async def profile(self, ctx: CallContext, user_id: str) -> dict[str, Any]:
        """The account with its address book, company and market (never the hash)."""
        rows = await ctx.read(
            "SELECT user_id, email, name, roles, created_at FROM users WHERE user_id = ?",
            (user_id,),
        )
        if not rows:
            raise UnknownUser("no such user", user_id=user_id)
        user_id, email, name, roles, created_at = rows[0]
        company = await self._company_of(ctx, user_id)
        roles = json.loads(roles)
        return {
            "user_id": user_id,
            "email": email,
            "name": name,
            "roles": roles,
            "created_at": created_at,
            "addresses": await self._addresses(ctx, user_id),
            "company": company,
            "market": market_of(roles, company["status"] if company else None),
        }

    # address book

    @command
    async def save_address(
        self, ctx: CallContext, user_id: str, address: dict[str, Any], address_id: str | None = None
    ) -> dict[str, Any]:
        """Adds an address (no `address_id`) or replaces the one named."""
        parsed = parse(Address, address)
        region(parsed.region)
        known = await self._addresses(ctx, user_id)
        if address_id is None:
            if len(known) >= MAX_ADDRESSES:
                raise AddressBookFull(f"at most {MAX_ADDRESSES} addresses", limit=MAX_ADDRESSES)
            address_id = f"adr-{uuid.uuid4().hex[:12]}"
        elif address_id not in {a["address_id"] for a in known}:
            raise UnknownAddress("no such address", address_id=address_id)
        saved = {"address_id": address_id, **parsed.model_dump(mode="json")}
        ctx.emit("AddressSaved", {"user_id": user_id, **saved})
        ctx.put_row(
            "addresses",
            {"user_id": user_id, "address_id": address_id},
            {"address": json.dumps(parsed.model_dump(mode="json")), "created_at": ctx.now()},
        )
        return saved

    @command
    async def remove_address(self, ctx: CallContext, user_id: str, address_id: str) -> None:
        if address_id not in {a["address_id"] for a in await self._addresses(ctx, user_id)}:
            raise UnknownAddress("no such address", address_id=address_id)
        ctx.emit("AddressRemoved", {"user_id": user_id, "address_id": address_id})
        ctx.delete_row("addresses", {"user_id": user_id, "address_id": address_id})

    async def _addresses(self, ctx: CallContext, user_id: str) -> list[dict[str, Any]]:
        rows = await ctx.read(
            "SELECT address_id, address FROM addresses WHERE user_id = ? ORDER BY created_at",
            (user_id,),
        )
        return [{"address_id": a, **json.loads(address)} for a, address in rows]

    # companies

    @command
    async def register_company(
        self, ctx: CallContext, owner_id: str, company: dict[str, Any]
    ) -> dict[str, Any]:
        """A buyer's company, pending until an admin approves it (one per buyer)."""
        parsed = parse(CompanyApplication, company)
        rows = await ctx.read("SELECT roles FROM users WHERE user_id = ?", (owner_id,))
        if not rows:
            raise UnknownUser("no such user", user_id=owner_id)
        if Role.BUYER.value not in json.loads(rows[0][0]):
            raise NotABuyer("only wholesale buyers register a company")
        existing = await self._company_of(ctx, owner_id)
        if existing is not None:
            raise CompanyExists("you have registered a company", **existing)
        row = {
            "company_id": f"cmp-{uuid.uuid4().hex[:12]}",
            "owner_id": owner_id,
            **parsed.model_dump(),
            "status": CompanyStatus.PENDING.value,
            "created_at": ctx.now(),
            "approved_at": None,
        }
        self._write_company(ctx, "CompanyRegistered", row)
        return row

    @command
    async def approve_company(self, ctx: CallContext, company_id: str) -> dict[str, Any]:
        found = await self._companies(ctx, "company_id = ?", (company_id,))
        if not found:
            raise UnknownCompany("no such company", company_id=company_id)
        company = found[0]
        if company["status"] != CompanyStatus.APPROVED:
            company.update(status=CompanyStatus.APPROVED.value, approved_at=ctx.now())
            self._write_company(ctx, "CompanyApproved", company)
        return company

    @query
    async def companies(self, ctx: CallContext, status: str | None = None) -> list[dict[str, Any]]:
        return await self._companies(ctx, "? IS NULL OR status = ?", (status, status))

    async def _company_of(self, ctx: CallContext, user_id: str) -> dict[str, Any] | None:
        found = await self._companies(ctx, "owner_id = ?", (user_id,))
        return found[0] if found else None

    async def _companies(
        self, ctx: CallContext, where: str, params: tuple[Any, ...]
    ) -> list[dict[str, Any]]:
        rows = await ctx.read(
            f"SELECT {', '.join(COMPANY_COLUMNS)} FROM companies WHERE {where} ORDER BY created_at",
            params,
        )
        return [dict(zip(COMPANY_COLUMNS, row, strict=True)) for row in rows]

    @staticmethod
    def _write_company(ctx: CallContext, event_type: str, company: dict[str, Any]) -> None:
        ctx.emit(event_type, company)
        row = {k: company[k] for k in COMPANY_COLUMNS if k != "company_id"}
        ctx.put_row("companies", {"company_id": company["company_id"]}, row)

    # roles

    @command
    async def grant(self, ctx: CallContext, user_id: str, role: str) -> dict[str, Any]:
        """Adds a role (an admin promoting a user)."""
        granted = parse(RoleGrant, {"role": role}).role
        rows = await ctx.read(
            f"SELECT {', '.join(COLUMNS)} FROM users WHERE user_id = ?", (user_id,)
        )
        if not rows:
            raise UnknownUser("no such user", user_id=user_id)
        account = dict(zip(COLUMNS, rows[0], strict=True))
        account["roles"] = json.loads(account["roles"])
        if granted.value not in account["roles"]:
            account["roles"].append(granted.value)
            ctx.emit("RoleGranted", {"user_id": user_id, "role": granted.value})
            self._write(ctx, account)
        return {k: v for k, v in account.items() if k != "password_hash"}

    @staticmethod
    def _write(ctx: CallContext, account: dict[str, Any]) -> None:
        row = {k: account[k] for k in COLUMNS if k != "user_id"}
        ctx.put_row(
            "users", {"user_id": account["user_id"]}, {**row, "roles": json.dumps(account["roles"])}
        )
