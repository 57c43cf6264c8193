"""The saga context (ARCHITECTURE §5.1, §5.2): named, journaled steps and durable waits.

A step that finished returns its journaled result without running; a step that was
interrupted runs again with the same idempotency key (`<saga id>:<step>`). Compensations are
registered before their step runs and replayed the same way, so a restarted orchestrator
rebuilds them by re-running the saga function against the journal.
"""

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

from pydantic import BaseModel

from durable.errors import is_terminal
from durable.host.local_ref import LocalRef
from durable.host.notifier import notifier, woken
from durable.observe import faults
from durable.observe.correlation import correlation_id as correlation_var
from durable.retry import DEFAULT_POLICY, RetryPolicy
from durable.saga import metrics
from durable.saga.errors import ReplayEnded, StepFailed, public_failure
from durable.saga.journal import SagaJournal

if TYPE_CHECKING:
    from durable.client.objects import Objects
    from durable.saga.saga_object import Saga

log = logging.getLogger(__name__)
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
Action = Callable[[str], Awaitable[T]]
Compensation = Callable[[Any], Awaitable[None]]

RECEIVED = "saga-event-received"


def saga_kind() -> type["Saga"]:
    """The saga kind, whose methods the context calls on its saga (its module imports this)."""
    from durable.saga.saga_object import Saga

    return Saga


def wake(saga_id: str, name: str) -> None:
    """An event a saga may be waiting for has been recorded."""
    notifier.notify(RECEIVED, saga_id, name)


class SagaContext:
    def __init__(
        self, ref: LocalRef, journal: SagaJournal, objects: "Objects", *, replay_only: bool = False
    ) -> None:
        self._ref = ref
        self.journal = journal
        self.objects = objects
        """Every kind's client: `await ctx.objects(Kind).get(key).once(ctx.key(step)).call(...)`."""
        self.saga_id = ref.key
        self.replay_only = replay_only
        self.compensations: list[tuple[str, Compensation]] = []
        self._deferred: list[tuple[str, dict[str, Any]]] = []

    def key(self, step: str) -> str:
        """The idempotency key of a step: the same on every attempt and every replay."""
        return f"{self.saga_id}:{step}"

    @overload
    async def step(
        self,
        name: str,
        action: Action[M],
        *,
        returns: type[M],
        compensate: Callable[[M | None], Awaitable[Any]] | None = None,
        retry: RetryPolicy = DEFAULT_POLICY,
    ) -> M: ...

    @overload
    async def step(
        self,
        name: str,
        action: Action[T],
        *,
        compensate: Compensation | None = None,
        retry: RetryPolicy = DEFAULT_POLICY,
    ) -> T: ...

    async def step(
        self,
        name: str,
        action: Action[Any],
        *,
        returns: type[BaseModel] | None = None,
        compensate: Compensation | None = None,
        retry: RetryPolicy = DEFAULT_POLICY,
    ) -> Any:
        """Runs `action(idempotency_key)` once, durably; `compensate(result)` undoes it
        (`result` is None when the step never finished: it may have half happened).

        A step whose action returns a pydantic model names it in `returns`: the journal keeps
        its JSON, and the step answers the model, whether it ran now or is replayed.

        Raises:
            StepFailed: a terminal error, or retries used up; the saga compensates.
        """
        if compensate is not None:
            undo = compensate
            if returns is not None:
                model = returns

                async def undo(result: Any) -> Any:  # None: the step never finished
                    return await compensate(
                        None if result is None else model.model_validate(result)
                    )

            self.compensations.append((name, undo))
        record = self.journal.steps.get(name)
        if record is not None and record.status == "completed":
            return record.result if returns is None else returns.model_validate(record.result)
        if record is not None and record.status == "failed":
            raise StepFailed(name, record.code or "failed", record.message or "")
        if self.replay_only:
            raise ReplayEnded(name)
        await faults.strike(f"before:{name}")
        started = time.perf_counter()
        result = await self._run(name, action, retry, record.attempts if record else 0)
        metrics.step_took(self.journal.saga_type or "", name, time.perf_counter() - started)
        await faults.strike(f"after:{name}")
        return result if returns is None else returns.model_validate(result)

    async def together(self, *steps: Awaitable[Any]) -> list[Any]:
        """Runs independent steps at once and waits for every one of them, so compensation
        never starts while a sibling step is still running; then raises the first failure."""
        results = await asyncio.gather(*steps, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return results

    async def _run(self, name: str, action: Action[Any], retry: RetryPolicy, attempt: int) -> Any:
        correlation_var.set(self._ref.correlation_id)
        while True:
            attempt += 1
            started = asyncio.ensure_future(
                self.record("StepStarted", {"name": name, "attempt": attempt})
            )
            try:
                result = await asyncio.wait_for(action(self.key(name)), retry.timeout_s)
            except Exception as error:
                await started
                if is_terminal(error) or attempt >= retry.attempts:
                    if not is_terminal(error):
                        log.error("step %s of %s gave up: %r", name, self.saga_id, error)
                    await self._fail(name, *public_failure(name, error))
                message = f"{type(error).__name__}: {error}"
                await self.record(
                    "StepAttemptFailed", {"name": name, "attempt": attempt, "message": message}
                )
                await asyncio.sleep(retry.backoff(attempt))
                continue
            await started
            journaled = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
            self.defer("StepCompleted", {"name": name, "result": journaled})
            return journaled

    async def wait_for_event(
        self,
        name: str,
        timeout_s: float,
        *,
        poll: Callable[[], Awaitable[dict[str, Any] | None]] | None = None,
        poll_every_s: float = 2.0,
    ) -> dict[str, Any]:
        """Waits durably for `signal(name, payload)` on this saga; the deadline survives
        restarts. `poll` checks the source directly now and then, in case a signal was lost.

        Raises:
            StepFailed: the deadline passed (a business failure: compensate).
        """
        wait = self.journal.waits.get(name)
        if wait is not None and wait.payload is not None:
            return wait.payload
        if wait is not None and wait.timed_out:
            raise StepFailed(name, "timeout", f"no {name} before the deadline")
        if self.replay_only:
            raise ReplayEnded(name)
        if wait is None:
            await self.record("WaitStarted", {"name": name, "deadline": time.time() + timeout_s})
        deadline = self.journal.waits[name].deadline
        with notifier.listening(RECEIVED, self.saga_id, name) as wakeup:
            while True:
                wakeup.clear()  # before looking: a signal from now on is not missed
                payload = await self._received(name, poll)
                if payload is not None:
                    return payload
                left = deadline - time.time()
                if left <= 0:
                    break
                await woken(wakeup, min(left, poll_every_s))
        await self.record("WaitTimedOut", {"name": name})
        raise StepFailed(name, "timeout", f"no {name} before the deadline")

    async def _received(
        self, name: str, poll: Callable[[], Awaitable[dict[str, Any] | None]] | None
    ) -> dict[str, Any] | None:
        payload: dict[str, Any] | None = await self._ref.call(saga_kind().received, name)
        if payload is not None:
            self.journal.apply("EventReceived", {"name": name, "payload": payload})
        elif poll is not None:
            payload = await poll()
            if payload is not None:
                await self.record("EventReceived", {"name": name, "payload": payload})
        return payload

    async def _fail(self, name: str, code: str, message: str) -> None:
        await self.record("StepFailed", {"name": name, "code": code, "message": message})
        raise StepFailed(name, code, message)

    def defer(self, event_type: str, data: dict[str, Any]) -> None:
        """Journals an entry with the next write. Safe for a step's result: if it is lost in a
        crash, the step runs again with the same key and gets the same answer."""
        self._deferred.append((event_type, data))
        self.journal.apply(event_type, data)

    async def record(self, event_type: str, data: dict[str, Any]) -> None:
        """Journals an entry (and any deferred ones before it) durably."""
        entries, self._deferred = [*self._deferred, (event_type, data)], []
        self.journal.apply(event_type, data)
        await self._ref.call(saga_kind().record, entries)
