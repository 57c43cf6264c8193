"""Tokens: signed, expiring, of one kind; a token verified once is remembered until it
expires, never beyond."""

import time

import jwt
import pytest

from serve_app.tokens import ACCESS_TTL_S, InvalidToken, Principal, TokenIssuer

SECRET = b"s" * 32
SHOPPER = Principal("u-1", ("customer",))


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    clock = Clock()
    issuer = TokenIssuer(SECRET, clock)
    token = issuer.issue(SHOPPER)
    assert issuer.verify(token) == issuer.verify(token) == SHOPPER
    clock.now += ACCESS_TTL_S - 1
    assert issuer.verify(token) == SHOPPER
    clock.now += 1
    with pytest.raises(InvalidToken, match="expired"):
        issuer.verify(token)
    with pytest.raises(InvalidToken, match="expired"):
        TokenIssuer(SECRET, clock).verify(token)  # never seen there: checked, then refused


def test_forged_and_wrong_kind_tokens_are_refused_every_time() -> None:
    issuer = TokenIssuer(SECRET, Clock(), remembered=2)
    forged = TokenIssuer(b"x" * 32, Clock()).issue(SHOPPER)
    refresh = issuer.issue(SHOPPER, kind="refresh")
    for _ in range(3):
        with pytest.raises(InvalidToken):
            issuer.verify(forged)
        with pytest.raises(InvalidToken, match="refresh token where a access"):
            issuer.verify(refresh)
    assert issuer.verify(refresh, kind="refresh") == SHOPPER
    for n in range(5):  # past what it remembers: still right
        assert issuer.verify(issuer.issue(Principal(f"u-{n}", ()))).user_id == f"u-{n}"


def test_a_token_whose_expiry_is_not_a_time_is_refused() -> None:
    token = jwt.encode(
        {"sub": "u-1", "typ": "access", "iat": 1, "exp": "never"}, SECRET, algorithm="HS256"
    )
    with pytest.raises(InvalidToken):
        TokenIssuer(SECRET, Clock()).verify(token)
