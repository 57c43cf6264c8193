"""Demo data for a new shop (`rayshop seed`, and `rayshop up` on first start): ~50 products in
categories with retail and wholesale prices, three warehouses in Java with stock, two coupons,
and one account per role whose passwords are made here and printed once."""

import secrets
from typing import Any

from actors.catalog import CATALOG_KEY, Catalog
from actors.coupons import COUPONS_KEY, Coupons
from actors.users import USERS_KEY, Users
from actors.warehouse import Warehouse
from domain.identity import Role
from serve_app.passwords import hash_password

CATEGORIES = {
    "tea": ["Jasmine Tea", "Black Tea", "Green Tea", "Oolong Tea", "Ginger Tea"],
    "coffee": ["Gayo Arabica", "Toraja Beans", "Kintamani Roast", "Java Preanger", "Robusta"],
    "kitchen": ["Mug", "Teapot", "French Press", "Kettle", "Cup Set"],
    "snacks": ["Cassava Chips", "Peanut Brittle", "Banana Chips", "Shrimp Crackers", "Dodol"],
    "spices": ["Nutmeg", "Cloves", "Cinnamon", "Vanilla Pods", "Pepper"],
    "textiles": ["Batik Scarf", "Ikat Runner", "Sarong", "Tote Bag", "Songket Pouch"],
    "home": ["Rattan Basket", "Teak Tray", "Bamboo Mat", "Clay Vase", "Candle"],
    "care": ["Coconut Oil", "Lulur Scrub", "Jamu Tonic", "Sandalwood Soap", "Herbal Balm"],
    "stationery": ["Notebook", "Pen Set", "Postcards", "Washi Tape", "Planner"],
    "toys": ["Wooden Puzzle", "Kite", "Shadow Puppet", "Spinning Top", "Congklak"],
}
WAREHOUSES = {
    "jkt": ("Jakarta DC", "ID-JK", -6.2, 106.85),
    "bdg": ("Bandung DC", "ID-JB", -6.9, 107.6),
    "sby": ("Surabaya DC", "ID-JI", -7.25, 112.75),
}
SELLER_EMAIL = "seller@rayshop.local"
ACCOUNTS = {
    Role.ADMIN: "admin@rayshop.local",
    Role.SELLER: SELLER_EMAIL,
    Role.CUSTOMER: "customer@rayshop.local",
    Role.BUYER: "buyer@rayshop.local",
}


def products() -> list[dict[str, Any]]:
    made = []
    for c, (category, titles) in enumerate(CATEGORIES.items()):
        for t, title in enumerate(titles):
            retail = 15_000 + 5_000 * ((c * 5 + t) % 17)
            wholesale = retail * 8 // 10
            made.append(
                {
                    "sku": f"{category[:3].upper()}-{t + 1:02d}",
                    "title": title,
                    "category": category,
                    "weight_grams": 200 + 100 * t,
                    "pricing": {
                        "retail_price": idr(retail),
                        "wholesale_price": idr(wholesale),
                        "tiers": [
                            {"min_quantity": 50, "unit_price": idr(wholesale * 95 // 100)},
                            {"min_quantity": 200, "unit_price": idr(wholesale * 90 // 100)},
                        ],
                        "wholesale_min_quantity": 10,
                    },
                }
            )
    return made


COUPONS = [
    {"code": "WELCOME10", "kind": "percent", "percent_basis_points": 1_000},
    {
        "code": "HEMAT25K",
        "kind": "fixed",
        "amount_off": {"amount": 25_000, "currency": "IDR"},
        "minimum_subtotal": {"amount": 150_000, "currency": "IDR"},
        "max_redemptions": 100,
    },
]


def idr(amount: int) -> dict[str, Any]:
    return {"amount": amount, "currency": "IDR"}


async def seed(shop: Any, units: int = 500) -> dict[str, str] | None:
    """Fills an empty shop; returns the accounts' passwords, or None if it was seeded."""
    users = shop(Users).get(USERS_KEY)
    if await users.call(Users.credentials, email=ACCOUNTS[Role.ADMIN]) is not None:
        return None
    passwords = {role: secrets.token_urlsafe(12) for role in ACCOUNTS}
    created = {}
    for role, email in ACCOUNTS.items():
        user = {"email": email, "name": role.value.title(), "role": role.value}
        account = await users.call(
            Users.register, user=user, password_hash=hash_password(passwords[role])
        )
        created[role] = account["user_id"]
    catalog = shop(Catalog).get(CATALOG_KEY)
    for product in products():
        await catalog.call(
            Catalog.save_product, product={**product, "seller_id": created[Role.SELLER]}
        )
    for key, (name, region, latitude, longitude) in WAREHOUSES.items():
        warehouse = shop(Warehouse).get(key)
        await warehouse.call(
            Warehouse.configure,
            name=name,
            region_code=region,
            latitude=latitude,
            longitude=longitude,
        )
        for product in products():
            await warehouse.once(f"demo:{key}:{product['sku']}").call(
                Warehouse.restock, sku=product["sku"], quantity=units
            )
    coupons = shop(Coupons).get(COUPONS_KEY)
    for terms in COUPONS:
        await coupons.call(Coupons.save, terms=terms)
    return {ACCOUNTS[role]: password for role, password in passwords.items()}
