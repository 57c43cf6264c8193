"""`rayshop seed`: demo data goes into an empty shop once, with working accounts."""

from typing import Any

from actors.catalog import CATALOG_KEY, Catalog
from actors.coupons import COUPONS_KEY, Coupons
from actors.users import USERS_KEY, Users
from actors.warehouse import Warehouse
from serve_app.demo import ACCOUNTS, COUPONS, products, seed
from serve_app.passwords import verify_password


async def test_demo_data_is_seeded_once_with_accounts_that_sign_in(shop: Any) -> None:
    accounts = await seed(shop, units=20)
    assert accounts is not None and set(accounts) == set(ACCOUNTS.values())
    assert await seed(shop) is None, "a seeded shop is left alone"
    for role, email in ACCOUNTS.items():
        found = await shop(Users).get(USERS_KEY).call(Users.credentials, email=email)
        assert found["roles"] == [role.value]
        assert verify_password(accounts[email], found["password_hash"])
    skus = [p["sku"] for p in products()]
    assert len(skus) == len(set(skus)) == 50
    listed = await shop(Catalog).get(CATALOG_KEY).call(Catalog.products, skus=skus)
    assert {p["category"] for p in listed.values()} >= {"tea", "coffee", "toys"}
    levels = await shop(Warehouse).get("sby").call(Warehouse.levels, skus=skus[:3])
    assert all(level["available"] == 20 for level in levels.values())
    coupons = await shop(Coupons).get(COUPONS_KEY).call(Coupons.issued)
    assert {c["code"] for c in coupons} == {c["code"] for c in COUPONS}
