"""Errors of the object runtime (not business refusals: those are domain errors)."""


class RuntimeFault(Exception):
    """Base of the runtime's own errors; all picklable so they cross Ray calls."""

    code = "runtime_fault"


class UnknownMethod(RuntimeFault):
    code = "unknown_method"

    def __init__(self, kind: str, method: str) -> None:
        super().__init__(f"{kind} has no callable method {method!r}")
        self.kind = kind
        self.method = method

    def __reduce__(self):
        return (UnknownMethod, (self.kind, self.method))


class WrongHost(RuntimeFault):
    """The key belongs to a partition this host does not hold (placement changed)."""

    code = "wrong_host"


class HostUnavailable(RuntimeFault):
    """The object's host did not come back within the stub's retry deadline."""

    code = "host_unavailable"
