"""A saga's journal: what each step did, what was compensated, where the saga stands.

The journal is the fold of the saga object's events, so a restarted orchestrator knows
exactly which steps finished (their results are replayed, never re-run) and which
compensations are done.
"""

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field


class SagaStatus(StrEnum):
    NEW = "new"
    RUNNING = "running"
    COMPENSATING = "compensating"
    COMPLETED = "completed"
    COMPENSATED = "compensated"
    STUCK = "stuck"


FINISHED = (SagaStatus.COMPLETED, SagaStatus.COMPENSATED)


class StepRecord(BaseModel):
    status: str = "started"  # started | completed | failed
    attempts: int = 0
    result: Any = None
    code: str | None = None
    message: str | None = None


class CompensationRecord(BaseModel):
    done: bool = False
    attempts: int = 0
    error: str | None = None


class WaitRecord(BaseModel):
    deadline: float
    payload: dict[str, Any] | None = None
    timed_out: bool = False


class Failure(BaseModel):
    step: str
    code: str
    message: str


class SagaJournal(BaseModel):
    saga_type: str | None = None
    input: dict[str, Any] = Field(default_factory=dict)
    status: SagaStatus = SagaStatus.NEW
    steps: dict[str, StepRecord] = Field(default_factory=dict)
    compensations: dict[str, CompensationRecord] = Field(default_factory=dict)
    waits: dict[str, WaitRecord] = Field(default_factory=dict)
    failure: Failure | None = None
    result: Any = None
    stuck_on: str | None = None

    @property
    def waiting_for(self) -> list[str]:
        """The external events the saga waits for now (a payment its shopper has to pay)."""
        if self.status is not SagaStatus.RUNNING:
            return []
        return [
            name for name, wait in self.waits.items() if wait.payload is None and not wait.timed_out
        ]

    def apply(self, event_type: str, data: dict[str, Any]) -> None:
        match event_type:
            case "SagaStarted":
                self.saga_type, self.input = data["saga_type"], data["input"]
                self.status = SagaStatus.RUNNING
            case "StepStarted":
                step = self.steps.setdefault(data["name"], StepRecord())
                step.status, step.attempts = "started", data["attempt"]
            case "StepAttemptFailed":
                self.steps[data["name"]].message = data["message"]
            case "StepCompleted":
                step = self.steps[data["name"]]
                step.status, step.result = "completed", data["result"]
            case "StepFailed":
                step = self.steps.setdefault(data["name"], StepRecord())
                step.status, step.code, step.message = "failed", data["code"], data["message"]
            case "WaitStarted":
                self.waits[data["name"]] = WaitRecord(deadline=data["deadline"])
            case "EventReceived":
                if data["name"] in self.waits:
                    self.waits[data["name"]].payload = data["payload"]
                else:  # the event came before the saga started waiting for it
                    self.waits[data["name"]] = WaitRecord(deadline=0.0, payload=data["payload"])
            case "WaitTimedOut":
                self.waits[data["name"]].timed_out = True
            case "CompensationStarted":
                self.status = SagaStatus.COMPENSATING
                self.failure = Failure.model_validate(data)
            case "CompensationAttemptFailed":
                record = self.compensations.setdefault(data["name"], CompensationRecord())
                record.attempts, record.error = data["attempt"], data["message"]
            case "CompensationCompleted":
                self.compensations.setdefault(data["name"], CompensationRecord()).done = True
            case "SagaStuck":
                self.status, self.stuck_on = SagaStatus.STUCK, data["name"]
            case "SagaRetried":
                self.status, self.stuck_on = SagaStatus.COMPENSATING, None
                for record in self.compensations.values():
                    record.attempts = 0
            case "SagaCompleted":
                self.status, self.result = SagaStatus.COMPLETED, data["result"]
            case "SagaCompensated":
                self.status = SagaStatus.COMPENSATED
