"""What keeps one GraphQL request from costing the shop much (ARCHITECTURE §8): limits on
depth, aliases, tokens and cost, checked while the query is validated, before any object is
called; one operation per request (no batches); and the answer's `extensions.object_calls`.

Cost: every field selected counts once for each time it can appear; a field with a `limit`
argument multiplies what is selected under it by that limit (or its default). Depth counts
introspection too (strawberry's depth limit leaves `__schema` and `__type` out)."""

from collections.abc import Callable
from typing import Any

from graphql import FieldNode, GraphQLError, IntValueNode, ValidationContext, ValidationRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)

MAX_DEPTH = 8
MAX_ALIASES = 20
MAX_TOKENS = 2_000
MAX_COST = 5_000


class CostLimit(ValidationRule):
    def __init__(self, context: ValidationContext) -> None:
        super().__init__(context)
        self._multipliers = [1]
        self._cost = 0
        self._too_deep = False

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        outer = self._multipliers[-1]
        self._cost += outer
        self._multipliers.append(outer * self._limit_of(node))
        if len(self._multipliers) - 1 > MAX_DEPTH and not self._too_deep:
            self._too_deep = True
            self.report_error(
                GraphQLError(
                    f"the query exceeds the maximum depth of {MAX_DEPTH}",
                    extensions={"code": "query_too_deep"},
                )
            )

    def leave_field(self, *_: Any) -> None:
        self._multipliers.pop()

    def leave_document(self, *_: Any) -> None:
        if self._cost > MAX_COST:
            self.report_error(
                GraphQLError(
                    f"the query costs {self._cost}, more than {MAX_COST}: ask for fewer"
                    " fields or smaller pages",
                    extensions={"code": "query_too_costly", "cost": self._cost},
                )
            )

    def _limit_of(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value == "limit" and isinstance(argument.value, IntValueNode):
                return max(1, int(argument.value.value))
        field = self.context.get_field_def()
        default = field.args["limit"].default_value if field and "limit" in field.args else None
        return default if isinstance(default, int) else 1


class ObjectCalls(SchemaExtension):
    """Reports the object calls the request made (0 for a query refused by a limit)."""

    def get_results(self) -> dict[str, Any]:
        context = self.execution_context.context
        return {"object_calls": getattr(context, "object_calls", 0)}


def unexpected(error: GraphQLError) -> bool:
    """A failure of ours, not a refusal: masked, so no internals leak (refusals with a code
    and GraphQL's own errors are shown)."""
    return error.original_error is not None and not isinstance(error.original_error, GraphQLError)


EXTENSIONS: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
    lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
    lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
    lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
    lambda: AddValidationRules([CostLimit]),
    lambda: MaskErrors(should_mask_error=unexpected),
    ObjectCalls,
]
"""Made afresh for each request."""
