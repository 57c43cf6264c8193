"""The sagas that act on one placed order (cancel, fulfil, deliver): what they are asked and
the id each run has, derived here so that a repeated request finds the same run."""

from pydantic import BaseModel

ORDER_SAGAS = ("cancel_order", "fulfil_order", "deliver_order")


class OrderSagaInput(BaseModel):
    order_id: str
    reason: str = "cancelled by request"
    """Why an order is cancelled (only `cancel_order` reads it)."""

    def saga_id(self, saga_type: str) -> str:
        """The one run of `saga_type` for this order."""
        if saga_type not in ORDER_SAGAS:
            raise ValueError(f"{saga_type!r} is not a saga of one order")
        return f"{saga_type}-{self.order_id}"
