"""Ids that no other call or event has, made without a system call each: a uuid4 per call
(`os.urandom`) showed in profiles of the gateway and the hosts."""

import itertools
import uuid

_PROCESS_PREFIX = uuid.uuid4().hex
_sequence = itertools.count()


def unique_id() -> str:
    """Random per process, counted within it."""
    return f"{_PROCESS_PREFIX}-{next(_sequence):x}"
