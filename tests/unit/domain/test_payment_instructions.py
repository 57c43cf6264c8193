"""QRIS payloads a banking app accepts: EMVCo fields, and a CRC checked here with the
standard library's own CRC-CCITT, not ours."""

import binascii

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actors.payment_provider import TEST_MERCHANT
from domain.payment_instructions import (
    QRIS_MAX_AMOUNT,
    crc16_ccitt,
    field,
    qris_payload,
)

MERCHANT = TEST_MERCHANT.model_copy(
    update={"name": "TOKO ANI", "city": "BANDUNG", "acquirer_domain": "ID.CO.BANKANI.WWW"}
)


def fields(payload: str) -> dict[str, str]:
    """Top-level tag -> value; fails on a length that runs past the end."""
    found, at = {}, 0
    while at < len(payload):
        tag, length = payload[at : at + 2], int(payload[at + 2 : at + 4])
        value = payload[at + 4 : at + 4 + length]
        assert len(value) == length, f"field {tag} runs past the end"
        found[tag], at = value, at + 4 + length
    return found


def crc_holds(payload: str) -> bool:
    return binascii.crc_hqx(payload[:-4].encode(), 0xFFFF) == int(payload[-4:], 16)


def test_the_crc_is_ccitt_false() -> None:
    assert crc16_ccitt(b"123456789") == 0x29B1  # the catalogue's check value


def test_a_payload_names_merchant_amount_and_rupiah_and_ends_in_its_crc() -> None:
    payload = qris_payload(MERCHANT, 150_000, "REF42")
    top = fields(payload)
    tags = list(top)
    assert (tags[0], tags[-1]) == ("00", "63"), "format first, CRC last"
    assert top["00"] == "01" and top["01"] == "12", "format 01, dynamic (one payment)"
    assert (top["53"], top["54"], top["58"]) == ("360", "150000", "ID")
    assert (top["59"], top["60"], top["61"]) == ("TOKO ANI", "BANDUNG", "10110")
    assert fields(top["51"]) == {"00": "ID.CO.QRIS.WWW", "02": MERCHANT.nmid}
    assert fields(top["26"])["00"] == "ID.CO.BANKANI.WWW"
    assert fields(top["62"]) == {"05": "REF42"}
    assert crc_holds(payload)


def test_a_changed_character_breaks_the_crc() -> None:
    payload = qris_payload(MERCHANT, 150_000, "REF42")
    tampered = payload.replace("150000", "950000")
    assert not crc_holds(tampered)


@given(
    amount=st.integers(1, QRIS_MAX_AMOUNT),
    reference=st.text("ABCDEF0123456789", min_size=1, max_size=25),
)
def test_every_payload_parses_and_its_crc_holds(amount: int, reference: str) -> None:
    payload = qris_payload(MERCHANT, amount, reference)
    assert fields(payload)["54"] == str(amount)
    assert crc_holds(payload)


@pytest.mark.parametrize("amount", [0, -1, QRIS_MAX_AMOUNT + 1])
def test_an_amount_qris_cannot_carry_is_refused(amount: int) -> None:
    with pytest.raises(ValueError, match="rupiah"):
        qris_payload(MERCHANT, amount, "REF")


@pytest.mark.parametrize("value", ["", "x" * 100, "kopi☕"])
def test_a_field_holds_1_to_99_ascii_characters(value: str) -> None:
    with pytest.raises(ValueError, match="EMVCo field"):
        field("59", value)
