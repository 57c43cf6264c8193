"""The card gateway port, and a fake adapter that behaves like a real gateway: a charge is
taken once per idempotency key; test tokens succeed (`tok_ok`), decline (`tok_declined`) or
fail once before succeeding (`tok_flaky`)."""

from abc import ABC, abstractmethod

from durable import TerminalError


class PaymentDeclined(TerminalError):
    code = "payment_declined"


class GatewayUnavailable(Exception):
    """Transient: the step is tried again."""


class CardGateway(ABC):
    @abstractmethod
    async def charge(self, key: str, amount: int, token: str) -> str:
        """Charges `amount` once per `key`; returns the receipt."""

    @abstractmethod
    async def refund(self, receipt: str) -> None:
        """Refunds a receipt; refunding it again does nothing."""


class FakeCardGateway(CardGateway):
    def __init__(self) -> None:
        self.receipts: dict[str, str] = {}
        self.refunded: set[str] = set()
        self._flaked: set[str] = set()

    async def charge(self, key: str, amount: int, token: str) -> str:
        if key in self.receipts:
            return self.receipts[key]
        if token == "tok_declined":
            raise PaymentDeclined("the card was declined", token=token)
        if token == "tok_flaky" and key not in self._flaked:
            self._flaked.add(key)
            raise GatewayUnavailable("the gateway timed out")
        receipt = self.receipts[key] = f"rcpt-{len(self.receipts) + 1}-{amount}"
        return receipt

    async def refund(self, receipt: str) -> None:
        self.refunded.add(receipt)
