"""The saga object (ARCHITECTURE §5.2): one saga instance, hosted by the orchestrator hosts.

Its events are the saga's journal. Starting it spawns the driver in the host process; a host
that restarts resumes every saga still running or compensating (`resume_statuses`).
"""

import time
from typing import Any

from durable.context import CallContext
from durable.errors import TerminalError
from durable.host.notifier import notifier, woken
from durable.kind import DurableObject, Event, command, query, waiter
from durable.placement.policy import Partitioned
from durable.saga.context import wake
from durable.saga.journal import FINISHED, SagaJournal, SagaStatus

JOURNAL_EVENTS = frozenset(
    {
        "StepStarted",
        "StepAttemptFailed",
        "StepCompleted",
        "StepFailed",
        "WaitStarted",
        "EventReceived",
        "WaitTimedOut",
        "CompensationStarted",
        "CompensationAttemptFailed",
        "CompensationCompleted",
        "SagaStuck",
        "SagaCompleted",
        "SagaCompensated",
    }
)

PROGRESSED = "saga-progressed"
"""Told when a saga ends or starts waiting for an external event: what `outcome` waits for."""


class UnknownSagaType(TerminalError):
    code = "unknown_saga_type"


class NoAdmissionCheck(TerminalError):
    code = "no_admission_check"


class SagaNotStuck(TerminalError):
    code = "saga_not_stuck"


ENDINGS = {"SagaCompleted": "completed", "SagaCompensated": "compensated", "SagaStuck": "stuck"}


class Saga(DurableObject):
    """One saga instance. An application hosts this kind as it is, or a subclass that only
    places it (in the host group of the objects its sagas call most, say)."""

    kind = "saga"
    collection = "sagas"
    placement = Partitioned(partitions=4, hosts=2)
    state_model = SagaJournal
    resume_statuses = (SagaStatus.RUNNING.value, SagaStatus.COMPENSATING.value)
    state: SagaJournal

    def apply(self, event: Event) -> None:
        self.state.apply(event.type, event.data)

    def index(self) -> tuple[str | None, str | None]:
        return self.state.saga_type, self.state.status.value

    @command
    async def start(
        self,
        ctx: CallContext,
        saga_type: str,
        input: dict[str, Any],
        admission: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Starts the saga once; starting it again returns where it stands. With `admission`,
        the saga type's admission check runs first, and only for a saga not yet started: what
        it raises reaches the caller, and the saga stays unstarted."""
        if self.state.status is SagaStatus.NEW:
            app = ctx.objects.app
            if saga_type not in app.sagas:
                raise UnknownSagaType(f"no saga called {saga_type!r}", saga_type=saga_type)
            if admission is not None:
                check = app.admissions.get(saga_type)
                if check is None:
                    raise NoAdmissionCheck(f"saga type {saga_type!r} has no admission check")
                await check(ctx.objects, input, admission)
            ctx.emit("SagaStarted", {"saga_type": saga_type, "input": input})
            self._drive(ctx)
        return self.summary()

    @command
    async def resume(self, ctx: CallContext) -> dict[str, Any]:
        if self.state.status in (SagaStatus.RUNNING, SagaStatus.COMPENSATING):
            self._drive(ctx)
        return self.summary()

    @command
    async def retry(self, ctx: CallContext) -> dict[str, Any]:
        """An admin's retry of a stuck saga: compensation starts again where it stopped."""
        if self.state.status is not SagaStatus.STUCK:
            raise SagaNotStuck(
                f"saga is {self.state.status.value}, not stuck", status=self.state.status.value
            )
        ctx.emit("SagaRetried", {})
        self._drive(ctx)
        return self.summary()

    @command
    async def record(self, ctx: CallContext, entries: list[tuple[str, dict[str, Any]]]) -> None:
        """The driver's journal entries, in order (only the driver of this host calls it)."""
        for event_type, _ in entries:
            if event_type not in JOURNAL_EVENTS:
                raise ValueError(f"{event_type} is not a journal event")
        ctx.emit_all(list(entries))
        if any(event_type == "WaitStarted" for event_type, _ in entries):
            notifier.notify(PROGRESSED, self.key)
        outcome = ENDINGS.get(entries[-1][0]) if entries else None
        if outcome is not None:
            notifier.notify(PROGRESSED, self.key)  # waiters answer once this write is durable
            failure = self.state.failure
            ctx.publish(
                "SagaEnded",
                {
                    "saga_id": self.key,
                    "saga_type": self.state.saga_type or "",
                    "outcome": outcome,
                    "failed_step": failure.step if failure else None,
                },
            )

    @command
    async def signal(self, ctx: CallContext, name: str, payload: dict[str, Any]) -> None:
        """Delivers an external event (a payment webhook) the saga waits or will wait for."""
        wait = self.state.waits.get(name)
        if wait is None or wait.payload is None:
            ctx.emit("EventReceived", {"name": name, "payload": payload})
        wake(self.key, name)

    @query
    async def journal(self, ctx: CallContext) -> dict[str, Any]:
        return self.state.model_dump(mode="json")

    @query
    async def received(self, ctx: CallContext, name: str) -> dict[str, Any] | None:
        """The payload of the external event `name`, once it has been delivered."""
        wait = self.state.waits.get(name)
        return wait.payload if wait is not None else None

    @query
    async def view(self, ctx: CallContext) -> dict[str, Any]:
        return self.summary()

    @query
    async def timeline(self, ctx: CallContext) -> list[dict[str, Any]]:
        """Every journal entry with its time: steps, attempts, errors, compensations."""
        return [{"seq": e.seq, "at": e.at, "type": e.type, **e.data} for e in await ctx.history()]

    @waiter
    async def outcome(
        self, ctx: CallContext, timeout_s: float = 60.0, until_waiting: bool = False
    ) -> dict[str, Any]:
        """Waits until the saga completed, compensated or got stuck, or (`until_waiting`)
        waits for an external event someone has to cause, such as a payment its shopper
        has to make; at most `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        with notifier.listening(PROGRESSED, self.key) as progressed:
            while not self._answerable(until_waiting):
                if not await woken(progressed, deadline - time.monotonic()):
                    break
                progressed.clear()
        view: dict[str, Any] = await ctx.self_ref.call(Saga.view)
        return view

    @waiter
    async def run(
        self,
        ctx: CallContext,
        saga_type: str,
        input: dict[str, Any],
        timeout_s: float = 60.0,
        until_waiting: bool = False,
        admission: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Starts the saga (once, after its admission check as `start` says) and waits for
        its outcome, in one call."""
        await ctx.self_ref.call(Saga.start, saga_type, input, admission)
        return await self.outcome(ctx, timeout_s, until_waiting)

    def _answerable(self, until_waiting: bool) -> bool:
        state = self.state
        ended = state.status in (*FINISHED, SagaStatus.STUCK)
        return ended or (until_waiting and bool(state.waiting_for))

    def summary(self) -> dict[str, Any]:
        state = self.state
        return {
            "saga_id": self.key,
            "saga_type": state.saga_type,
            "status": state.status.value,
            "failure": state.failure.model_dump() if state.failure else None,
            "stuck_on": state.stuck_on,
            "result": state.result,
            "steps": {name: step.status for name, step in state.steps.items()},
            "waiting_for": state.waiting_for,
        }

    def _drive(self, ctx: CallContext) -> None:
        from durable.saga.runner import drive  # the runner's context imports this kind's module

        objects = ctx.objects
        ctx.spawn(lambda ref: drive(ref, objects))
