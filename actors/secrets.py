"""Secrets come from the environment; without one, a random secret is made once and kept in
the state directory (readable by its owner only), never in code or logs."""

import os
import secrets
from pathlib import Path


def secret(state_dir: str, name: str, env_var: str) -> bytes:
    value = os.environ.get(env_var)
    if value:
        return value.encode()
    path = Path(state_dir) / "secrets" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
    return path.read_text().strip().encode()
