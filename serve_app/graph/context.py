"""What every GraphQL resolver of one request shares: who asks, the objects, per-request
loaders that batch and de-duplicate object calls, and the count of those calls (reported in
the answer's `extensions.object_calls`, so a client sees what a query cost)."""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from fastapi import Request
from graphql import GraphQLError
from strawberry.fastapi import BaseContext

from domain.errors import DomainError
from serve_app.errors import STATUS_BY_CODE, ApiError
from serve_app.routes.deps import current_user, services
from serve_app.tokens import Principal

T = TypeVar("T")


class GraphContext(BaseContext):
    def __init__(self, request: Request, principal: Principal | None) -> None:
        super().__init__()
        self.http = request
        self.principal = principal
        self.shop: Any = services(request).shop
        self.object_calls = 0
        self.loaders: dict[str, Any] = {}

    async def call(self, stub: Any, method: Any, **kwargs: Any) -> Any:
        """One object call, counted."""
        self.object_calls += 1
        return await stub.call(method, **kwargs)

    def signed_in(self) -> Principal:
        if self.principal is None:
            raise GraphQLError("sign in first", extensions={"code": "unauthorized"})
        return self.principal

    def admin(self) -> Principal:
        principal = self.signed_in()
        if not principal.has("admin"):
            raise GraphQLError("admins only", extensions={"code": "forbidden"})
        return principal

    def loader(self, name: str, make: Callable[[], T]) -> T:
        """This request's loader called `name` (made on first use)."""
        if name not in self.loaders:
            self.loaders[name] = make()
        loader: T = self.loaders[name]
        return loader


async def get_context(request: Request) -> GraphContext:
    """Anyone may ask (products are public); a token that is sent must be valid (401)."""
    signed = request.headers.get("authorization") or getattr(request.state, "principal", None)
    return GraphContext(request, await current_user(request) if signed else None)


async def answered(work: Awaitable[T]) -> T:
    """The result, or the shop's refusal as a GraphQL error with the REST API's code (and
    its HTTP status) in `extensions`."""
    try:
        return await work
    except DomainError as refused:
        status = STATUS_BY_CODE.get(refused.code, 400)
        raise _error(refused.code, status, refused.message, refused.details) from None
    except ApiError as refused:
        raise _error(refused.code, refused.status, refused.message, refused.details) from None


async def absent_if_hidden(work: Awaitable[T]) -> T | None:
    """The result; None where REST would answer 404, so a hidden thing looks like no thing."""
    try:
        return await answered(work)
    except GraphQLError as error:
        if (error.extensions or {}).get("code") in ("not_found", "unknown_product"):
            return None
        raise


def _error(code: str, status: int, message: str, details: dict[str, Any]) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code, "status": status, "details": details})
