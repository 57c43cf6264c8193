"""A company's members, roles and review: who may do what, and what an admin may change."""

from typing import Any

import pytest

from domain.companies import (
    AlreadyMember,
    CompanyNotApproved,
    CompanyProfile,
    CompanyRole,
    CompanyState,
    CompanyStatus,
    IllegalCompanyChange,
    LastOwner,
    NoInvitation,
    NotAllowed,
    NotAMember,
    Permission,
)

PROFILE = CompanyProfile(name="PT Maju", tax_id="01.234.567.8-901.000")


def run(company: CompanyState, events: list[tuple[str, dict[str, Any]]]) -> CompanyState:
    for event_type, data in events:
        company.apply(event_type, data)
    return company


def registered() -> CompanyState:
    company = CompanyState()
    return run(company, company.decide_register("u-own", "Own@Example.com", PROFILE, 1.0))


def with_member(role: CompanyRole) -> CompanyState:
    company = registered()
    run(company, company.decide_invite("u-own", "Bo@Example.com", role, 2.0))
    return run(company, company.decide_join("u-bo", "bo@example.com", 3.0))


def test_the_registering_buyer_owns_the_pending_company() -> None:
    company = registered()
    assert company.status is CompanyStatus.PENDING and company.owners == ["u-own"]
    assert company.members["u-own"].email == "own@example.com"
    assert company.decide_register("u-own", "own@example.com", PROFILE, 5.0) == []
    with pytest.raises(IllegalCompanyChange):
        company.decide_register("u-other", "x@example.com", PROFILE, 5.0)


def test_an_invited_buyer_joins_with_the_role_given() -> None:
    company = with_member(CompanyRole.PURCHASER)
    assert company.role_of("u-bo") is CompanyRole.PURCHASER and not company.invitations
    with pytest.raises(AlreadyMember):
        company.decide_invite("u-own", "bo@example.com", CompanyRole.VIEWER, 4.0)
    with pytest.raises(NoInvitation):
        company.decide_join("u-cy", "cy@example.com", 4.0)


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (CompanyRole.OWNER, set(Permission)),
        (CompanyRole.PURCHASER, {Permission.VIEW, Permission.PURCHASE}),
        (CompanyRole.VIEWER, {Permission.VIEW}),
    ],
)
def test_each_role_may_do_what_it_grants_once_approved(
    role: CompanyRole, allowed: set[Permission]
) -> None:
    company = with_member(role)
    run(company, company.decide_approve("u-admin", 4.0))
    for permission in Permission:
        if permission in allowed:
            assert company.require("u-bo", permission) is role
        else:
            with pytest.raises(NotAllowed):
                company.require("u-bo", permission)


def test_only_an_approved_company_trades_and_outsiders_learn_nothing() -> None:
    company = with_member(CompanyRole.PURCHASER)
    with pytest.raises(CompanyNotApproved):
        company.require("u-bo", Permission.PURCHASE)
    assert company.require("u-bo", Permission.VIEW) is CompanyRole.PURCHASER
    with pytest.raises(NotAMember) as outsider:
        company.require("u-stranger", Permission.VIEW)
    assert outsider.value.code == "not_found"
    run(company, company.decide_approve("u-admin", 4.0))
    run(company, company.decide_suspend("u-admin", "unpaid invoices", 5.0))
    with pytest.raises(CompanyNotApproved):
        company.require("u-bo", Permission.PURCHASE)
    run(company, company.decide_approve("u-admin", 6.0))  # reinstated
    assert company.require("u-bo", Permission.PURCHASE) is CompanyRole.PURCHASER


def test_a_company_keeps_at_least_one_owner() -> None:
    company = with_member(CompanyRole.VIEWER)
    with pytest.raises(LastOwner):
        company.decide_remove("u-own", "u-own")
    with pytest.raises(LastOwner):
        company.decide_change_role("u-own", "u-own", CompanyRole.VIEWER)
    run(company, company.decide_change_role("u-own", "u-bo", CompanyRole.OWNER))
    run(company, company.decide_remove("u-bo", "u-own"))
    assert company.owners == ["u-bo"]
    with pytest.raises(NotAMember):
        company.decide_change_role("u-own", "u-bo", CompanyRole.VIEWER)


def test_a_member_leaves_and_only_owners_manage() -> None:
    company = with_member(CompanyRole.PURCHASER)
    with pytest.raises(NotAllowed):
        company.decide_invite("u-bo", "cy@example.com", CompanyRole.VIEWER, 4.0)
    run(company, company.decide_remove("u-bo", "u-bo"))
    assert "u-bo" not in company.members


@pytest.mark.parametrize(
    ("path", "decision", "legal"),
    [
        ([], "approve", True),
        ([], "reject", True),
        ([], "suspend", False),
        (["approve"], "suspend", True),
        (["approve"], "reject", False),
        (["reject"], "approve", False),
        (["reject"], "suspend", False),
        (["approve", "suspend"], "approve", True),
    ],
)
def test_what_an_admin_may_decide(path: list[str], decision: str, legal: bool) -> None:
    company = registered()

    def decide(name: str) -> list[tuple[str, dict[str, Any]]]:
        if name == "approve":
            return company.decide_approve("u-admin", 9.0)
        if name == "reject":
            return company.decide_reject("u-admin", "no tax id on file", 9.0)
        return company.decide_suspend("u-admin", "fraud review", 9.0)

    for step in path:
        run(company, decide(step))
    if legal:
        assert decide(decision)
    else:
        with pytest.raises(IllegalCompanyChange):
            decide(decision)
