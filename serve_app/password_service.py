"""The auth service's expensive half as its own Serve deployment: scrypt hashing and checking
take ~50 ms of CPU each, so they run in replicas of their own, scaled apart from the gateway
and never on its event loop. Stateless; the gateway reaches it through a deployment handle."""

import asyncio

from ray import serve

from serve_app.passwords import hash_password, verify_password


@serve.deployment(max_ongoing_requests=32, ray_actor_options={"num_cpus": 0})
class PasswordService:
    def __init__(self) -> None:
        # checked against when an email is unknown, so a login takes as long either way
        self._unknown_email_hash = hash_password("a password nobody has")

    async def ready(self) -> bool:
        """For the gateway's readiness probe."""
        return True

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(hash_password, password)

    async def verify(self, password: str, stored: str | None) -> bool:
        """False for a wrong password, and for no account (`stored` None) after equal work."""
        matches = await asyncio.to_thread(
            verify_password, password, stored or self._unknown_email_hash
        )
        return matches and stored is not None
