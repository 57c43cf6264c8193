"""JWT access and refresh tokens (HS256 only: a token naming another algorithm, or none, is
refused). The secret comes from `RAYSHOP_JWT_SECRET`, else one made on first start and kept
in the state directory."""

import time
import uuid
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
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def issue(self, principal: Principal, kind: str = "access") -> str:
        now = int(time.time())
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
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                options={"require": ["exp", "iat", "sub", "typ"]},
            )
        except jwt.PyJWTError as exc:
            raise InvalidToken(str(exc)) from None
        if claims["typ"] != kind:
            raise InvalidToken(f"a {claims['typ']} token where a {kind} token is needed")
        market = "wholesale" if claims.get("mkt") == "wholesale" else "retail"
        return Principal(claims["sub"], tuple(claims.get("roles", ())), market)
