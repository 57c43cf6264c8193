"""The company object (partitioned, one per wholesale company, ARCHITECTURE §6, §7): its
members and their company roles, invitations, and an admin's review.

Which company a user belongs to is also kept by the identity database (one company per
user, unique there); this object is the truth about the company itself. A suspension stops
the company's open quotes, by an alarm that runs until every one of them has stopped.
"""

from typing import Any

from actors.groups import SHOP_GROUP
from actors.quote import stop_open_quotes
from domain.companies import (
    CompanyProfile,
    CompanyRole,
    CompanyState,
    CompanyStatus,
    Events,
    Permission,
)
from domain.errors import parse
from domain.events import COMPANY_EVENTS
from durable import CallContext, DurableObject, Event, Partitioned, command, query

STOP_QUOTES_ALARM = "stop-quotes"


class Company(DurableObject):
    kind = "company"
    collection = "companies"
    placement = Partitioned(partitions=4, hosts=2, group=SHOP_GROUP)
    state_model = CompanyState
    state: CompanyState

    def apply(self, event: Event) -> None:
        self.state.apply(event.type, event.data)

    def index(self) -> tuple[str | None, str | None]:
        return self.state.owner_id, self.state.status.value

    @command
    async def register(
        self, ctx: CallContext, owner_id: str, email: str, profile: dict[str, Any]
    ) -> dict[str, Any]:
        """The company a buyer registers (PENDING until an admin decides); the same
        registration again answers as the first."""
        parsed = parse(CompanyProfile, profile)
        self._record(ctx, self.state.decide_register(owner_id, email, parsed, ctx.now()))
        return self.view_state()

    @command
    async def invite(self, ctx: CallContext, by: str, email: str, role: str) -> dict[str, Any]:
        decided = self.state.decide_invite(by, email, CompanyRole(role), ctx.now())
        self._record(ctx, decided)
        return self.view_state()

    @command
    async def join(self, ctx: CallContext, user_id: str, email: str) -> dict[str, Any]:
        """The invitee, signed in with the invited email, becomes a member."""
        self._record(ctx, self.state.decide_join(user_id, email, ctx.now()))
        return self.view_state()

    @command
    async def revoke_invitation(self, ctx: CallContext, by: str, email: str) -> dict[str, Any]:
        self._record(ctx, self.state.decide_revoke_invitation(by, email))
        return self.view_state()

    @command
    async def change_role(
        self, ctx: CallContext, by: str, user_id: str, role: str
    ) -> dict[str, Any]:
        self._record(ctx, self.state.decide_change_role(by, user_id, CompanyRole(role)))
        return self.view_state()

    @command
    async def remove_member(self, ctx: CallContext, by: str, user_id: str) -> dict[str, Any]:
        self._record(ctx, self.state.decide_remove(by, user_id))
        return self.view_state()

    @command
    async def approve(self, ctx: CallContext, by: str) -> dict[str, Any]:
        self._record(ctx, self.state.decide_approve(by, ctx.now()))
        return self.view_state()

    @command
    async def reject(self, ctx: CallContext, by: str, reason: str) -> dict[str, Any]:
        self._record(ctx, self.state.decide_reject(by, reason, ctx.now()))
        return self.view_state()

    @command
    async def suspend(self, ctx: CallContext, by: str, reason: str) -> dict[str, Any]:
        """Suspended: no wholesale trade, and the open quotes stop (by alarm, until all have)."""
        decided = self.state.decide_suspend(by, reason, ctx.now())
        self._record(ctx, decided)
        if decided:
            ctx.set_alarm(STOP_QUOTES_ALARM, ctx.now())
        return self.view_state()

    async def on_alarm(self, ctx: CallContext, name: str) -> None:
        if name != STOP_QUOTES_ALARM or self.state.status is not CompanyStatus.SUSPENDED:
            return
        await stop_open_quotes(ctx.objects, self.key, f"company suspended: {self.state.reason}")

    @query
    async def view(self, ctx: CallContext) -> dict[str, Any]:
        return self.view_state()

    @query
    async def require(self, ctx: CallContext, user_id: str, permission: str) -> dict[str, Any]:
        """The company and the member's role, if the role allows `permission` now.

        Raises:
            NotAMember (as not found), NotAllowed, CompanyNotApproved.
        """
        role = self.state.require(user_id, Permission(permission))
        return {**self.view_state(), "role": role.value}

    def _record(self, ctx: CallContext, events: Events) -> None:
        ctx.emit_all(events)
        for event_type, data in events:
            if event_type in COMPANY_EVENTS:
                ctx.publish(event_type, self._as_published(data))

    def _as_published(self, data: dict[str, Any]) -> dict[str, Any]:
        state = self.state
        return {
            "company_id": self.key,
            "name": state.name,
            "status": state.status.value,
            "reason": state.reason,
            "user_id": data.get("user_id"),
            "email": data.get("email"),
            "role": data.get("role"),
            "by": data.get("by"),
        }

    def view_state(self) -> dict[str, Any]:
        state = self.state
        if state.status is CompanyStatus.NEW:
            return {"company_id": self.key, "status": state.status.value}
        return {"company_id": self.key, **state.model_dump(mode="json")}
