"""Companies registered before companies were objects of their own lived in a table of the
identity database. `rayshop up` moves each into a company object, keeping its owner and its
approval, and records the owner's membership; safe to run again after a crash midway."""

from typing import Any

from actors.company import Company
from actors.users import USERS_KEY, Users
from domain.companies import CompanyStatus

MIGRATED_BY = "migration"


async def move_legacy_companies(shop: Any) -> int:
    """How many companies were moved."""
    users = shop(Users).get(USERS_KEY)
    legacy = await users.call(Users.legacy_companies)
    for row in legacy:
        company = shop(Company).get(row["company_id"])
        profile = {"name": row["name"], "tax_id": row["tax_id"]}
        await company.call(
            Company.register, owner_id=row["owner_id"], email=row["email"], profile=profile
        )
        if row["status"] == CompanyStatus.APPROVED:
            await company.call(Company.approve, by=MIGRATED_BY)
        await users.call(Users.join_company, user_id=row["owner_id"], company_id=row["company_id"])
        await users.call(Users.forget_legacy_company, company_id=row["company_id"])
    return len(legacy)
