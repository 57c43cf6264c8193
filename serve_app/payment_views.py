"""Payments as clients see them: a pending payment's instructions, with the QRIS code as a
picture a shopper scans (ARCHITECTURE §7)."""

import base64
import functools
import io
from typing import Any

import segno
from pydantic import BaseModel

from domain.payment_instructions import PaymentInstructions


class InstructionsView(PaymentInstructions):
    """How to pay: scan the QRIS code (`qris_payload`, its last four characters a
    CRC-16/CCITT), or transfer to the virtual account; before `expires_at` (seconds since
    the epoch)."""

    qr_png_base64: str | None = None
    """A PNG of the QRIS code, base64: show it as `data:image/png;base64,...`."""


class PaymentView(BaseModel):
    payment_id: str
    order_id: str | None
    status: str
    amount: int
    currency: str | None
    method: str | None
    reason: str
    instructions: InstructionsView | None = None
    """While the payment is pending: what the shopper pays with."""


def payment_view(payment: dict[str, Any]) -> PaymentView:
    """The payment object's view, with the picture of a QRIS code drawn for it."""
    instructions = payment.get("instructions")
    view = PaymentView.model_validate({**payment, "instructions": None})
    if instructions is not None:
        payload = instructions.get("qris_payload")
        picture = qr_png_base64(payload) if payload else None
        view.instructions = InstructionsView.model_validate(
            {**instructions, "qr_png_base64": picture}
        )
    return view


@functools.lru_cache(maxsize=256)
def qr_png_base64(payload: str) -> str:
    """The code drawn once per payload (a shopper's page polls its payment)."""
    image = io.BytesIO()
    segno.make_qr(payload, error="m").save(image, kind="png", scale=6, border=4)
    return base64.b64encode(image.getvalue()).decode("ascii")
