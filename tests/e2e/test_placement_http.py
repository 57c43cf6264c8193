"""Admin placement over real HTTP (ARCHITECTURE §13): admins read who serves what and scale a
group live; customers may not; requests that make no sense are refused and move nothing."""

from typing import Any

import httpx

from tests.e2e.http_helpers import admin, assert_error, bearer, log_in, sign_up

PLACEMENT = "/api/admin/placement"


async def test_an_admin_scales_the_shop_group_live_and_sees_where_it_went(
    client: httpx.AsyncClient, shop: Any
) -> None:
    boss = await admin(client, shop)
    before = (await client.get(f"{PLACEMENT}/partitions", headers=boss)).json()
    assert [p["host"] for p in before["collections"]["shop"]] == [
        "shop-0@v0",
        "shop-1@v0",
        "shop-0@v0",
        "shop-1@v0",
    ]

    planned = await client.post(
        f"{PLACEMENT}/scale", json={"group": "shop", "hosts": 4, "dry_run": True}, headers=boss
    )
    assert planned.status_code == 200, planned.text
    assert len(planned.json()["moves"]) == 2
    unchanged = (await client.get(f"{PLACEMENT}/partitions", headers=boss)).json()
    assert unchanged["collections"] == before["collections"]

    scaled = await client.post(
        f"{PLACEMENT}/scale", json={"group": "shop", "hosts": 4}, headers=boss
    )
    assert scaled.status_code == 200, scaled.text
    after = (await client.get(f"{PLACEMENT}/partitions", headers=boss)).json()
    hosts = sorted({p["host"] for p in after["collections"]["shop"]})
    assert hosts == ["shop-0@v0", "shop-1@v0", "shop-2@v0", "shop-3@v0"]
    assert all(p["bytes"] > 0 for p in after["collections"]["shop"])  # files moved, not made
    volumes = (await client.get(f"{PLACEMENT}/volumes", headers=boss)).json()["volumes"]
    assert volumes["v0"]["partitions"]["shop"] == 4


async def test_placement_is_for_admins_only(client: httpx.AsyncClient) -> None:
    account = await sign_up(client)
    headers = bearer((await log_in(client, account["email"]))["access_token"])
    assert_error(await client.get(f"{PLACEMENT}/partitions", headers=headers), 403, "forbidden")
    response = await client.post(f"{PLACEMENT}/drain", json={"volume": "v0"}, headers=headers)
    assert_error(response, 403, "forbidden")
    assert_error(await client.get(f"{PLACEMENT}/volumes"), 401, "unauthorized")


async def test_placement_requests_that_make_no_sense_are_refused_and_move_nothing(
    client: httpx.AsyncClient, shop: Any
) -> None:
    boss = await admin(client, shop)
    before = (await client.get(f"{PLACEMENT}/partitions", headers=boss)).json()
    refusals = [
        ("scale", {"group": "shop", "hosts": 0}, 422, "invalid_input"),
        ("scale", {"group": "shop", "hosts": "many"}, 422, "invalid_input"),
        ("scale", {"group": "basket", "hosts": 2}, 422, "placement_refused"),
        ("rebalance", {"volumes": ["v7"]}, 422, "placement_refused"),
        ("rebalance", {"volumes": ["../v0"]}, 422, "invalid_input"),
        ("drain", {"volume": "v0"}, 422, "placement_refused"),  # the home volume
        ("drain", {"volume": "v9"}, 422, "placement_refused"),
    ]
    for route, body, status, code in refusals:
        response = await client.post(f"{PLACEMENT}/{route}", json=body, headers=boss)
        assert_error(response, status, code)
    after = (await client.get(f"{PLACEMENT}/partitions", headers=boss)).json()
    assert after == before
