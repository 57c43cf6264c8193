"""Who uses the shop (ARCHITECTURE §7): roles and the facts a signup must give."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.companies import CompanyStatus


class Role(StrEnum):
    CUSTOMER = "customer"
    BUYER = "buyer"
    SELLER = "seller"
    ADMIN = "admin"


SELF_SERVICE_ROLES = (Role.CUSTOMER, Role.BUYER)
"""Roles anyone may sign up with; sellers and admins are promoted by an admin."""


class NewUser(BaseModel):
    """An account as the identity database keeps it (the password is already hashed)."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    name: str = Field(min_length=1, max_length=120)
    role: Role = Role.CUSTOMER


MAX_ADDRESSES = 20


def market_of(roles: list[str], company_status: str | None) -> str:
    """Wholesale prices for buyers whose company an admin approved; retail for everyone else."""
    if Role.BUYER.value in roles and company_status == CompanyStatus.APPROVED:
        return "wholesale"
    return "retail"
