"""A wholesale company (ARCHITECTURE §7): its members and their company roles, the invitations
its owners sent, and where an admin's review left it.

A buyer registers a company and owns it; owners invite other buyers by email and give each a
role; an admin approves, rejects or suspends it. Only members of an approved company buy at
wholesale prices, request quotes or order at quoted prices, each as far as their role allows.
Like the order, the company is a fold of its events and every change is a decision that
either returns events or refuses.
"""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from domain.errors import DomainError

Events = list[tuple[str, dict[str, Any]]]
MAX_MEMBERS = 200
EMAIL = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class CompanyStatus(StrEnum):
    NEW = "new"  # no event yet: the object exists only as a key
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUSPENDED = "suspended"


class CompanyRole(StrEnum):
    OWNER = "owner"
    PURCHASER = "purchaser"
    VIEWER = "viewer"


class Permission(StrEnum):
    VIEW = "view"
    """See the company, its orders and its quotes."""
    PURCHASE = "purchase"
    """Request, counter, accept and withdraw quotes; order at quoted prices."""
    MANAGE = "manage"
    """Invite members, change their roles, remove them."""


GRANTS: dict[CompanyRole, frozenset[Permission]] = {
    CompanyRole.OWNER: frozenset(Permission),
    CompanyRole.PURCHASER: frozenset({Permission.VIEW, Permission.PURCHASE}),
    CompanyRole.VIEWER: frozenset({Permission.VIEW}),
}
TRADING = frozenset({Permission.PURCHASE})
"""What only an approved company's members may do."""


class NotAMember(DomainError):
    code = "not_found"
    """Said the same way as a company that does not exist: outsiders learn nothing."""


class NotAllowed(DomainError):
    code = "forbidden"


class CompanyNotApproved(DomainError):
    code = "company_not_approved"


class IllegalCompanyChange(DomainError):
    code = "illegal_transition"


class AlreadyMember(DomainError):
    code = "already_member"


class NoInvitation(DomainError):
    code = "no_invitation"


class LastOwner(DomainError):
    code = "last_owner"


class CompanyFull(DomainError):
    code = "company_full"


class CompanyProfile(BaseModel):
    """What a buyer registers: the company's legal name and tax number."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=2, max_length=160)
    tax_id: str = Field(min_length=5, max_length=32, pattern=r"^[A-Za-z0-9./-]+$")


class Member(BaseModel):
    user_id: str
    email: str
    role: CompanyRole
    joined_at: float


class Invitation(BaseModel):
    email: str
    role: CompanyRole
    invited_by: str
    at: float


class CompanyState(BaseModel):
    status: CompanyStatus = CompanyStatus.NEW
    name: str = ""
    tax_id: str = ""
    owner_id: str | None = None
    """Who registered it (owners may be more by now)."""
    members: dict[str, Member] = Field(default_factory=dict)
    invitations: dict[str, Invitation] = Field(default_factory=dict)
    """By email, lower-cased."""
    reason: str | None = None
    """Why an admin rejected or suspended it."""
    created_at: float = 0.0
    reviewed_at: float | None = None

    # questions

    def role_of(self, user_id: str) -> CompanyRole:
        """The member's role; NotAMember for anyone else (and for a company not registered)."""
        member = self.members.get(user_id)
        if member is None:
            raise NotAMember("no such company")
        return member.role

    def require(self, user_id: str, permission: Permission) -> CompanyRole:
        """The member's role, if it allows `permission` now: trading needs an approved company."""
        role = self.role_of(user_id)
        if permission not in GRANTS[role]:
            raise NotAllowed(f"a company {role.value} may not {permission.value}", role=role.value)
        if permission in TRADING and self.status is not CompanyStatus.APPROVED:
            raise CompanyNotApproved(
                f"the company is {self.status.value}; only an approved company trades",
                status=self.status.value,
            )
        return role

    @property
    def owners(self) -> list[str]:
        return [m.user_id for m in self.members.values() if m.role is CompanyRole.OWNER]

    # decisions

    def decide_register(
        self, owner_id: str, email: str, profile: CompanyProfile, at: float
    ) -> Events:
        if self.status is not CompanyStatus.NEW:
            if self.owner_id == owner_id:
                return []  # the same registration again
            raise IllegalCompanyChange("the company is registered already")
        data = {"owner_id": owner_id, "email": email.lower(), "at": at, **profile.model_dump()}
        return [("CompanyRegistered", data)]

    def decide_invite(self, by: str, email: str, role: CompanyRole, at: float) -> Events:
        self.require(by, Permission.MANAGE)
        self._require_status(CompanyStatus.PENDING, CompanyStatus.APPROVED, action="invite")
        email = email.lower()
        if any(m.email == email for m in self.members.values()):
            raise AlreadyMember("this email is a member already", email=email)
        if len(self.members) + len(self.invitations) >= MAX_MEMBERS:
            raise CompanyFull(f"a company has at most {MAX_MEMBERS} members", limit=MAX_MEMBERS)
        return [("MemberInvited", {"email": email, "role": role.value, "by": by, "at": at})]

    def decide_join(self, user_id: str, email: str, at: float) -> Events:
        """The invitee, signed in with the invited email, takes the invitation."""
        email = email.lower()
        if user_id in self.members:
            return []
        invitation = self.invitations.get(email)
        if invitation is None:
            raise NoInvitation("no invitation for this email", email=email)
        self._require_status(CompanyStatus.PENDING, CompanyStatus.APPROVED, action="join")
        data = {"user_id": user_id, "email": email, "role": invitation.role.value, "at": at}
        return [("MemberJoined", data)]

    def decide_revoke_invitation(self, by: str, email: str) -> Events:
        self.require(by, Permission.MANAGE)
        if email.lower() not in self.invitations:
            return []
        return [("InvitationRevoked", {"email": email.lower(), "by": by})]

    def decide_change_role(self, by: str, user_id: str, role: CompanyRole) -> Events:
        self.require(by, Permission.MANAGE)
        current = self.role_of(user_id)
        if current is role:
            return []
        if current is CompanyRole.OWNER and self.owners == [user_id]:
            raise LastOwner("a company keeps at least one owner")
        return [("MemberRoleChanged", {"user_id": user_id, "role": role.value, "by": by})]

    def decide_remove(self, by: str, user_id: str) -> Events:
        """An owner removes a member, or a member leaves; never the last owner."""
        if by != user_id:
            self.require(by, Permission.MANAGE)
        if user_id not in self.members:
            return []
        if self.owners == [user_id]:
            raise LastOwner("a company keeps at least one owner")
        return [("MemberRemoved", {"user_id": user_id, "by": by})]

    def decide_approve(self, by: str, at: float) -> Events:
        if self.status is CompanyStatus.APPROVED:
            return []
        self._require_status(CompanyStatus.PENDING, CompanyStatus.SUSPENDED, action="approve")
        return [("CompanyApproved", {"by": by, "at": at})]

    def decide_reject(self, by: str, reason: str, at: float) -> Events:
        if self.status is CompanyStatus.REJECTED:
            return []
        self._require_status(CompanyStatus.PENDING, action="reject")
        return [("CompanyRejected", {"by": by, "reason": reason, "at": at})]

    def decide_suspend(self, by: str, reason: str, at: float) -> Events:
        if self.status is CompanyStatus.SUSPENDED:
            return []
        self._require_status(CompanyStatus.APPROVED, action="suspend")
        return [("CompanySuspended", {"by": by, "reason": reason, "at": at})]

    def _require_status(self, *allowed: CompanyStatus, action: str) -> None:
        if self.status is CompanyStatus.NEW:
            raise NotAMember("no such company")
        if self.status not in allowed:
            raise IllegalCompanyChange(
                f"cannot {action}: the company is {self.status.value}",
                status=self.status.value,
                action=action,
            )

    # folding

    def apply(self, event_type: str, data: dict[str, Any]) -> None:
        match event_type:
            case "CompanyRegistered":
                self.status = CompanyStatus.PENDING
                self.name, self.tax_id = data["name"], data["tax_id"]
                self.owner_id, self.created_at = data["owner_id"], data["at"]
                self.members[data["owner_id"]] = Member(
                    user_id=data["owner_id"],
                    email=data["email"],
                    role=CompanyRole.OWNER,
                    joined_at=data["at"],
                )
            case "MemberInvited":
                self.invitations[data["email"]] = Invitation(
                    email=data["email"], role=data["role"], invited_by=data["by"], at=data["at"]
                )
            case "InvitationRevoked":
                self.invitations.pop(data["email"], None)
            case "MemberJoined":
                self.invitations.pop(data["email"], None)
                self.members[data["user_id"]] = Member(
                    user_id=data["user_id"],
                    email=data["email"],
                    role=data["role"],
                    joined_at=data["at"],
                )
            case "MemberRoleChanged":
                self.members[data["user_id"]].role = CompanyRole(data["role"])
            case "MemberRemoved":
                self.members.pop(data["user_id"], None)
            case "CompanyApproved":
                self.status, self.reason = CompanyStatus.APPROVED, None
                self.reviewed_at = data["at"]
            case "CompanyRejected" | "CompanySuspended":
                rejected = event_type == "CompanyRejected"
                self.status = CompanyStatus.REJECTED if rejected else CompanyStatus.SUSPENDED
                self.reason, self.reviewed_at = data["reason"], data["at"]
