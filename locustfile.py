"""Load-testing a running shop with Locust, weighted like a real shop's traffic: shoppers
browse far more than they fill carts, and fill carts more than they check out.

    pip install locust
    locust --host http://127.0.0.1:8000            # the web UI on http://127.0.0.1:8089
    locust --host http://127.0.0.1:8000 --headless -u 50 -r 10 -t 2m

Each simulated shopper signs up once (a customer account of its own, so carts never
collide), then browses the catalog, adds what it finds to its cart, and now and then checks
out (card `tok_success`, waiting for the saga's end) to an address in Jakarta. Checkouts of
sold-out products come back as 409 or a compensated saga; Locust counts those as failures.
"""

import random
import uuid
from typing import Any

from locust import HttpUser, between, task

ADDRESS = {
    "recipient": "Locust",
    "line1": "Jl. Sudirman 1",
    "city": "Jakarta",
    "region": "ID-JK",
    "postal_code": "10220",
}
PASSWORD = "locust password 1"


class Shopper(HttpUser):
    """One signed-in customer: browse (weight 10), add to cart (3), check out (1)."""

    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        email = f"locust-{uuid.uuid4().hex[:12]}@example.com"
        answer = self.client.post(
            "/api/auth/signup", json={"email": email, "password": PASSWORD, "name": "Locust"}
        )
        answer.raise_for_status()
        token = answer.json()["tokens"]["access_token"]
        self.client.headers["Authorization"] = f"Bearer {token}"
        self.seen: list[str] = []

    @task(10)
    def browse(self) -> None:
        page = self.client.get("/api/products", params={"limit": 20}, name="/api/products")
        if page.ok:
            self.seen = [item["sku"] for item in page.json()["items"]] or self.seen
        if self.seen:
            sku = random.choice(self.seen)
            self.client.get(f"/api/products/{sku}", name="/api/products/{sku}")

    @task(3)
    def add_to_cart(self) -> None:
        if self.seen:
            item = {"sku": random.choice(self.seen), "quantity": 1}
            key = {"Idempotency-Key": uuid.uuid4().hex}  # safe to resend, by HAProxy or us
            self.client.post("/api/cart/items", json=item, headers=key)

    @task(1)
    def check_out(self) -> None:
        cart: dict[str, Any] = self.client.get("/api/cart").json()
        if not cart.get("lines"):
            return
        self.client.post(
            "/api/checkout",
            params={"wait": "true"},
            json={"address": ADDRESS, "shipping_service": "REG"},
            headers={"Idempotency-Key": uuid.uuid4().hex},
        )
