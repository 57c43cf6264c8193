"""Drives one saga to its end: forward through its steps, or backward through its
compensations in reverse order (ARCHITECTURE §5.3). Each compensation is retried; after
COMPENSATION_ATTEMPTS failures the saga is `stuck` until an admin retries it."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from durable.host.local_ref import LocalRef
from durable.observe import faults
from durable.retry import COMPENSATION_ATTEMPTS, DEFAULT_POLICY
from durable.saga import metrics
from durable.saga.context import SagaContext
from durable.saga.errors import ReplayEnded, StepFailed
from durable.saga.journal import SagaJournal, SagaStatus
from durable.saga.saga_object import Saga

if TYPE_CHECKING:
    from durable.client.objects import Objects

log = logging.getLogger(__name__)


async def drive(ref: LocalRef, objects: "Objects") -> None:
    journal = SagaJournal.model_validate(await ref.call(Saga.journal))
    function = objects.app.sagas[journal.saga_type or ""]
    if journal.status is SagaStatus.RUNNING:
        ctx = SagaContext(ref, journal, objects)
        try:
            result = await function(ctx, journal.input)
        except StepFailed as failure:
            reason = {"step": failure.step, "code": failure.code, "message": failure.message}
            await ctx.record("CompensationStarted", reason)
        else:
            await ctx.record("SagaCompleted", {"result": result})
            metrics.saga_ended(journal.saga_type or "", "completed")
            return
        await _compensate(ctx)
    elif journal.status is SagaStatus.COMPENSATING:
        ctx = SagaContext(ref, journal, objects, replay_only=True)
        with contextlib.suppress(StepFailed, ReplayEnded):
            await function(ctx, journal.input)
        await _compensate(ctx)


async def _compensate(ctx: SagaContext) -> None:
    journal = ctx.journal
    for name, compensation in reversed(ctx.compensations):
        record = journal.compensations.get(name)
        if record is not None and record.done:
            continue
        step = journal.steps.get(name)
        result = step.result if step is not None and step.status == "completed" else None
        attempts = record.attempts if record else 0
        if not await _compensate_one(ctx, name, compensation, result, attempts):
            metrics.saga_ended(journal.saga_type or "", "stuck")
            return
    await ctx.record("SagaCompensated", {})
    metrics.saga_ended(journal.saga_type or "", "compensated")


async def _compensate_one(
    ctx: SagaContext,
    name: str,
    compensation: Callable[[Any], Awaitable[None]],
    result: Any,
    attempt: int,
) -> bool:
    while True:
        attempt += 1
        try:
            await faults.strike(f"before:compensate:{name}")
            await asyncio.wait_for(compensation(result), DEFAULT_POLICY.timeout_s)
        except Exception as error:
            message = f"{type(error).__name__}: {error}"
            log.warning("compensation %s of saga %s failed: %s", name, ctx.saga_id, message)
            failed = {"name": name, "attempt": attempt, "message": message}
            await ctx.record("CompensationAttemptFailed", failed)
            if attempt >= COMPENSATION_ATTEMPTS:
                await ctx.record("SagaStuck", {"name": name, "message": message})
                return False
            await asyncio.sleep(DEFAULT_POLICY.backoff(attempt))
            continue
        await ctx.record("CompensationCompleted", {"name": name})
        await faults.strike(f"after:compensate:{name}")
        return True
