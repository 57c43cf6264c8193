"""The identity database object (dedicated, ARCHITECTURE §6): users, their password hashes
and roles. Hashing and tokens belong to the stateless auth service; this object only keeps
what must be durable and unique (one account per email)."""

import json
import uuid
from typing import Any

from pydantic import BaseModel

from actors.context import CallContext
from actors.kind import DurableObject, Event, command, query
from actors.placement import Dedicated
from domain.errors import DomainError, parse
from domain.identity import NewUser, Role

COLUMNS = ("user_id", "email", "password_hash", "name", "roles", "created_at")

USERS_KEY = "users"

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
    name TEXT NOT NULL, roles TEXT NOT NULL, created_at REAL NOT NULL
) WITHOUT ROWID;
"""


class RoleGrant(BaseModel):
    role: Role


class EmailTaken(DomainError):
    code = "email_taken"


class UnknownUser(DomainError):
    code = "unknown_user"


class Users(DurableObject):
    kind = "users"
    collection = "users"
    placement = Dedicated()
    owner_schema = SCHEMA

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
        """What login checks a password against; None for an unknown email."""
        rows = await ctx.read(
            "SELECT user_id, password_hash, roles FROM users WHERE email = ?", (email.lower(),)
        )
        if not rows:
            return None
        user_id, password_hash, roles = rows[0]
        return {"user_id": user_id, "password_hash": password_hash, "roles": json.loads(roles)}

    @query
    async def profile(self, ctx: CallContext, user_id: str) -> dict[str, Any]:
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
        }

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
