"""The fast-forward button: time jumps ahead for escalations and for the emulators.

Escalation looks at how long a report has waited (``escalation.escalate(…, now)``), as
``sosbot tick --at`` does. Each jump is remembered with the real moment it was made, so a
report waits, in simulated time, the real time since it came in plus every jump made after
that: a report made after three jumps does not count them. The Zalo and Messenger
emulators' clocks move by the same amount (their messaging windows depend on it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from sosbot.delivery.queueing import Dispatcher
from sosbot.routing import escalation
from sosbot.routing.rules import RoutingRules
from sosbot.storage import outbox
from sosbot.storage.db import transaction
from sosbot.storage.tables import Report

log = logging.getLogger(__name__)

MAX_JUMP_MINUTES = 24 * 60


@dataclass
class SimulatedClock:
    """Jumps made so far: (real time of the jump, seconds jumped)."""

    jumps: list[tuple[datetime, float]] = field(default_factory=list)

    @property
    def offset_s(self) -> float:
        return sum(seconds for _, seconds in self.jumps)

    def waited_extra(self, since: datetime) -> float:
        """Simulated seconds added after ``since``."""
        return sum(seconds for at, seconds in self.jumps if at >= since)

    def jump(self, seconds: float, now: datetime) -> None:
        self.jumps.append((now, seconds))


@dataclass(frozen=True)
class Escalated:
    code: str
    level: int
    messages: int


def escalate_due(engine: Engine, rules: RoutingRules, dispatcher: Dispatcher,
                 clock: SimulatedClock, now: datetime | None = None) -> list[Escalated]:
    """Run every escalation step due in simulated time; queue the messages at once."""
    now = now or datetime.now(UTC)
    horizon = now + timedelta(seconds=clock.offset_s)
    with Session(engine) as session:
        candidates = escalation.due_reports(session, horizon, rules)
    done = []
    for report_id in candidates:
        with transaction(engine) as session:
            report = session.get(Report, report_id)
            if report is None:
                continue
            at = now + timedelta(seconds=clock.waited_extra(report.created_at))
            before = report.escalation_level
            level = escalation.escalate(session, report_id, at, rules)
            queued = outbox.take_added(session)
            outbox.send_now(session, queued, now)
            code = report.code
        dispatcher.outbox(queued)
        if level != before:
            done.append(Escalated(code, level, len(queued)))
            log.info("sandbox fast-forward: %s escalated to level %d", code, level)
    return done
