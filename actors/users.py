"""The identity database object (dedicated, ARCHITECTURE §6): users, their password hashes,
roles, address books and the company each belongs to. Hashing and tokens belong to the
stateless auth service; this object only keeps what must be durable and unique (one account
per email, one company per user)."""

import json
import uuid
from typing import Any

from pydantic import BaseModel

from domain.cart import Address
from domain.errors import DomainError, parse
from domain.geography import region
from domain.identity import MAX_ADDRESSES, NewUser, Role
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
CREATE TABLE IF NOT EXISTS memberships (
    user_id TEXT PRIMARY KEY, company_id TEXT NOT NULL, at REAL NOT NULL
) WITHOUT ROWID;
-- companies from before they were objects of their own; `rayshop up` moves them out
CREATE TABLE IF NOT EXISTS companies (
    company_id TEXT PRIMARY KEY, owner_id TEXT NOT NULL UNIQUE, name TEXT NOT NULL,
    tax_id TEXT NOT NULL, status TEXT NOT NULL, created_at REAL NOT NULL,
    approved_at REAL
) WITHOUT ROWID;
"""


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


class MemberOfAnotherCompany(DomainError):
    code = "member_of_another_company"


class LastAdmin(DomainError):
    code = "last_admin"


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
        """What login checks a password against, and the company whose standing decides
        the market the tokens carry; None for an unknown email."""
        rows = await ctx.read(
            "SELECT u.user_id, u.password_hash, u.roles, m.company_id FROM users u"
            " LEFT JOIN memberships m ON m.user_id = u.user_id WHERE u.email = ?",
            (email.lower(),),
        )
        if not rows:
            return None
        user_id, password_hash, roles, company_id = rows[0]
        return {
            "user_id": user_id,
            "password_hash": password_hash,
            "roles": json.loads(roles),
            "company_id": company_id,
        }

    @query
    async def profile(self, ctx: CallContext, user_id: str) -> dict[str, Any]:
        """The account with its address book and company id (never the hash)."""
        rows = await ctx.read(
            "SELECT user_id, email, name, roles, created_at FROM users WHERE user_id = ?",
            (user_id,),
        )
        if not rows:
            raise UnknownUser("no such user", user_id=user_id)
        user_id, email, name, roles, created_at = rows[0]
        return {
            "user_id": user_id,
            "email": email,
            "name": name,
            "roles": json.loads(roles),
            "created_at": created_at,
            "addresses": await self._addresses(ctx, user_id),
            "company_id": await self._company_id(ctx, user_id),
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

    # companies: which one a user belongs to (the company object keeps the rest)

    @command
    async def join_company(self, ctx: CallContext, user_id: str, company_id: str) -> None:
        """Records the user as a member of `company_id`; one company per user.

        Raises:
            MemberOfAnotherCompany: the user belongs to another company.
        """
        current = await self._company_id(ctx, user_id)
        if current == company_id:
            return
        if current is not None:
            raise MemberOfAnotherCompany(
                "this account belongs to another company", company_id=current
            )
        if not await ctx.read("SELECT 1 FROM users WHERE user_id = ?", (user_id,)):
            raise UnknownUser("no such user", user_id=user_id)
        ctx.emit("CompanyJoined", {"user_id": user_id, "company_id": company_id})
        ctx.put_row(
            "memberships", {"user_id": user_id}, {"company_id": company_id, "at": ctx.now()}
        )

    @command
    async def leave_company(self, ctx: CallContext, user_id: str, company_id: str) -> None:
        if await self._company_id(ctx, user_id) == company_id:
            ctx.emit("CompanyLeft", {"user_id": user_id, "company_id": company_id})
            ctx.delete_row("memberships", {"user_id": user_id})

    @query
    async def company_of_email(self, ctx: CallContext, email: str) -> str | None:
        """The company of the account with this email, if it belongs to one."""
        rows = await ctx.read(
            "SELECT m.company_id FROM users u JOIN memberships m ON m.user_id = u.user_id"
            " WHERE u.email = ?",
            (email.lower(),),
        )
        return str(rows[0][0]) if rows else None

    @query
    async def legacy_companies(self, ctx: CallContext) -> list[dict[str, Any]]:
        """Companies registered before companies were objects of their own, with their
        owners' emails: `rayshop up` moves them (`serve_app.companies_migration`)."""
        rows = await ctx.read(
            "SELECT c.company_id, c.owner_id, u.email, c.name, c.tax_id, c.status"
            " FROM companies c JOIN users u ON u.user_id = c.owner_id"
        )
        names = ("company_id", "owner_id", "email", "name", "tax_id", "status")
        return [dict(zip(names, row, strict=True)) for row in rows]

    @command
    async def forget_legacy_company(self, ctx: CallContext, company_id: str) -> None:
        ctx.emit("LegacyCompanyMoved", {"company_id": company_id})
        ctx.delete_row("companies", {"company_id": company_id})

    async def _company_id(self, ctx: CallContext, user_id: str) -> str | None:
        rows = await ctx.read("SELECT company_id FROM memberships WHERE user_id = ?", (user_id,))
        return str(rows[0][0]) if rows else None

    # roles

    @command
    async def grant(self, ctx: CallContext, user_id: str, role: str) -> dict[str, Any]:
        """Adds a role (an admin promoting a user)."""
        granted = parse(RoleGrant, {"role": role}).role
        account = await self._account(ctx, user_id)
        if granted.value not in account["roles"]:
            account["roles"].append(granted.value)
            ctx.emit("RoleGranted", {"user_id": user_id, "role": granted.value})
            self._write(ctx, account)
        return {k: v for k, v in account.items() if k != "password_hash"}

    @command
    async def revoke(self, ctx: CallContext, user_id: str, role: str) -> dict[str, Any]:
        """Takes a role away; never the last admin's admin role.

        Raises:
            LastAdmin: no other user is an admin.
        """
        revoked = parse(RoleGrant, {"role": role}).role
        account = await self._account(ctx, user_id)
        if revoked.value in account["roles"]:
            if revoked is Role.ADMIN and await self._emails_with_role(ctx, Role.ADMIN) == [
                account["email"]
            ]:
                raise LastAdmin("the shop keeps at least one admin")
            account["roles"].remove(revoked.value)
            ctx.emit("RoleRevoked", {"user_id": user_id, "role": revoked.value})
            self._write(ctx, account)
        return {k: v for k, v in account.items() if k != "password_hash"}

    @query
    async def search(
        self, ctx: CallContext, text: str = "", role: str | None = None, limit: int = 50
    ) -> list[dict[str, Any]]:
        """Accounts whose email or name holds `text`, with `role` if given; oldest first."""
        needle = text.lower()
        rows = await ctx.read(
            "SELECT user_id, email, name, roles, created_at FROM users"
            " WHERE (instr(lower(email), ?) > 0 OR instr(lower(name), ?) > 0)"
            " AND (? IS NULL OR EXISTS (SELECT 1 FROM json_each(roles) WHERE value = ?))"
            " ORDER BY created_at LIMIT ?",
            (needle, needle, role, role, max(1, min(limit, 500))),
        )
        names = ("user_id", "email", "name", "roles", "created_at")
        found = [dict(zip(names, row, strict=True)) for row in rows]
        return [{**account, "roles": json.loads(account["roles"])} for account in found]

    @query
    async def emails_with_role(self, ctx: CallContext, role: str) -> list[str]:
        """Where mail to everyone with `role` goes (the admins' mail)."""
        return await self._emails_with_role(ctx, Role(role))

    async def _emails_with_role(self, ctx: CallContext, role: Role) -> list[str]:
        rows = await ctx.read(
            "SELECT email FROM users WHERE EXISTS"
            " (SELECT 1 FROM json_each(roles) WHERE value = ?) ORDER BY email",
            (role.value,),
        )
        return [str(row[0]) for row in rows]

    async def _account(self, ctx: CallContext, user_id: str) -> dict[str, Any]:
        rows = await ctx.read(
            f"SELECT {', '.join(COLUMNS)} FROM users WHERE user_id = ?", (user_id,)
        )
        if not rows:
            raise UnknownUser("no such user", user_id=user_id)
        account = dict(zip(COLUMNS, rows[0], strict=True))
        account["roles"] = json.loads(account["roles"])
        return account

    @staticmethod
    def _write(ctx: CallContext, account: dict[str, Any]) -> None:
        row = {k: account[k] for k in COLUMNS if k != "user_id"}
        ctx.put_row(
            "users", {"user_id": account["user_id"]}, {**row, "roles": json.dumps(account["roles"])}
        )
