"""JWT access and refresh tokens (HS256 only: a token naming another algorithm, or none, is
refused). The secret comes from `RAYSHOP_JWT_SECRET`, else one made on first start and kept
in the state directory."""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import jwt

ALGORITHM = "HS256"
ACCESS_TTL_S = 15 * 60
REFRESH_TTL_S = 7 * 24 * 3600


class InvalidToken(Exception):
    """Missing, expired, forged or of the wrong kind."""


@dataclass(frozen=True)
class Principal:
    user_id: str
    roles: tuple[str, ...]
    market: str = "retail"
    """Prices the caller sees: "wholesale" for buyers of an approved company, as of the
    token's issue (an approval shows in the next token: refresh or sign in again)."""

    def has(self, role: str) -> bool:
        return role in self.roles


class TokenIssuer:
    def __init__(
        self, secret: bytes, clock: Callable[[], float] = time.time, remembered: int = 10_000
    ) -> None:
        self._secret = secret
        self._clock = clock
        self._remembered = remembered
        self._verified: dict[tuple[str, str], tuple[Principal, float]] = {}

    def issue(self, principal: Principal, kind: str = "access") -> str:
        now = int(self._clock())
        ttl = ACCESS_TTL_S if kind == "access" else REFRESH_TTL_S
        claims = {
            "sub": principal.user_id,
            "roles": list(principal.roles),
            "mkt": principal.market,
            "typ": kind,
            "iat": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def verify(self, token: str, kind: str = "access") -> Principal:
        """The caller a valid, unexpired token of `kind` names.

        A token verified before is not checked again until it expires: the same bytes carry
        the same valid signature (a shopper sends the same token with every request).

        Raises:
            InvalidToken: missing, expired, forged or of the wrong kind.
        """
        known = self._verified.get((token, kind))
        if known is None:
            known = self._checked(token, kind)
            if len(self._verified) >= self._remembered:
                self._verified.clear()
            self._verified[(token, kind)] = known
        principal, expires_at = known
        if self._clock() >= expires_at:
            raise InvalidToken("the token has expired")
        return principal

    def _checked(self, token: str, kind: str) -> tuple[Principal, float]:
        """The token's caller and expiry, once its signature and claims are checked."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": ["exp", "iat", "sub", "typ"], "verify_exp": False},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        if claims["typ"] != kind:
            raise InvalidToken(f"a {claims['typ']} token where a {kind} token is needed")
        if not isinstance(claims["exp"], int | float):
            raise InvalidToken("the token's expiry is not a time")
        market = "wholesale" if claims.get("mkt") == "wholesale" else "retail"
        principal = Principal(claims["sub"], tuple(claims.get("roles", ())), market)
        return principal, float(claims["exp"])
