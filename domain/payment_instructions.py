"""Payment instructions (ARCHITECTURE §7): what a shopper needs to pay a pending payment.

QRIS is Indonesia's QR standard on EMVCo's merchant-presented mode: the payload is a string
of tag-length-value fields, the last one a CRC-16/CCITT of everything before it, so a
banking app refuses a code that was read wrong. A virtual account is a bank and an account
number the shopper transfers to. Both name the amount and the time they expire. The payment
provider issues them; this module gives them their form.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

QRIS_CURRENCY = "IDR"
QRIS_CURRENCY_NUMERIC = "360"
"""ISO 4217's number for the rupiah, the only currency QRIS carries."""
QRIS_MAX_AMOUNT = 10_000_000
"""Rupiah: the most one QRIS payment may carry (Bank Indonesia's limit per transaction)."""
Bank = Literal["BCA", "BNI", "BRI", "MANDIRI", "PERMATA"]
"""Banks a virtual account can be opened at."""

_MAX_FIELD = 99
"""An EMVCo field's length is two decimal digits."""


class QrisMerchant(BaseModel):
    """The merchant as its acquirer registered it for QRIS."""

    model_config = ConfigDict(frozen=True)

    name: str = Field(min_length=1, max_length=25)
    city: str = Field(min_length=1, max_length=15)
    postal_code: str = Field(pattern=r"^\d{5}$")
    nmid: str = Field(pattern=r"^ID\d{13}$")
    """The national merchant id QRIS's registry gave the merchant."""
    acquirer_domain: str = Field(pattern=r"^ID\.CO\.[A-Z]+\.WWW$")
    merchant_pan: str = Field(pattern=r"^\d{16,19}$")
    category_code: str = Field(default="5399", pattern=r"^\d{4}$")
    """ISO 18245 merchant category: 5399, general merchandise."""
    criteria: Literal["UMI", "UKE", "UME", "UBE"] = "UBE"
    """Bank Indonesia's business size class (UBE: large business)."""


class PaymentInstructions(BaseModel):
    """How to pay a pending payment: a QRIS payload, or a bank and a virtual account."""

    method: Literal["qris", "virtual_account"]
    amount: int
    currency: str
    expires_at: float
    qris_payload: str | None = None
    bank: Bank | None = None
    account_number: str | None = None


def qris_payload(merchant: QrisMerchant, amount: int, reference: str) -> str:
    """The dynamic QRIS payload for one payment of `amount` rupiah, labelled `reference`
    (at most 25 characters)."""
    if not 0 < amount <= QRIS_MAX_AMOUNT:
        raise ValueError(f"a QRIS payment carries 1 to {QRIS_MAX_AMOUNT} rupiah")
    fields = [
        field("00", "01"),  # payload format indicator
        field("01", "12"),  # point of initiation: dynamic, for one payment
        field(
            "26",
            field("00", merchant.acquirer_domain)
            + field("01", merchant.merchant_pan)
            + field("02", merchant.nmid)
            + field("03", merchant.criteria),
        ),
        field("51", field("00", "ID.CO.QRIS.WWW") + field("02", merchant.nmid)),
        field("52", merchant.category_code),
        field("53", QRIS_CURRENCY_NUMERIC),
        field("54", str(amount)),
        field("58", "ID"),
        field("59", merchant.name),
        field("60", merchant.city),
        field("61", merchant.postal_code),
        field("62", field("05", reference)),  # reference label: which payment
    ]
    unsigned = "".join(fields) + "6304"
    return unsigned + f"{crc16_ccitt(unsigned.encode('ascii')):04X}"


def field(tag: str, value: str) -> str:
    if not value or len(value) > _MAX_FIELD or not value.isascii():
        raise ValueError(f"EMVCo field {tag} holds 1 to {_MAX_FIELD} ASCII characters")
    return f"{tag}{len(value):02d}{value}"


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (polynomial 0x1021, start 0xFFFF), as EMVCo's field 63 wants."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc
