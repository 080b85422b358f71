"""Heavy rows are prepared ahead, never while they hold their chat.

A row whose kind registered a warmer (the digest's images: a second or more of
matplotlib) is not rendered when it reaches the head of its chat's queue: the holder of
the chat queues a ``warm`` job for it and lets the chat go. The warm job renders outside
the chat's lock and keeps the result in the row's payload (``WARMED``), then queues the
chat again; the row's preparer finds it there, a cache hit. Meanwhile the chat is free:
a card arriving goes at once, ahead of the digest (storage.outbox, "Priority").

Correctness first: a warm job that raises, or dies with its worker, is counted in the
row (``TRIES``, committed before the work starts); after ``limits.max_error_attempts``
tries the row is rendered at the head as before, where a failure is counted as an
attempt of the row and the row is failed in the end (sending.py). A row in doubt (its
send was started) is never warmed again: it is sent again as it was.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sosbot import metrics
from sosbot.delivery.context import JobContext
from sosbot.delivery.outcomes import WarmOutcome
from sosbot.delivery.queueing import DELIVER, WARM
from sosbot.storage.db import transaction
from sosbot.storage.outbox import OutboxStatus, PendingRow
from sosbot.storage.tables import Outbox

log = logging.getLogger(__name__)

WARMED = "warmed"  # in a row's payload: what its warmer returned
TRIES = "warm_tries"  # in a row's payload: warm jobs started for it
# One warm job at a time per row. If its worker dies the mark lapses after this, and the
# sweeper's next look at the row asks again.
WARMING_MARK_S = 60


def needs_warming(ctx: JobContext, row: Outbox | PendingRow) -> bool:
    """Whether ``row`` should wait for its warm job rather than be prepared now."""
    return (ctx.extensions.warmer(row.method) is not None
            and WARMED not in row.payload
            and row.attempt_started_at is None
            and int(row.payload.get(TRIES, 0)) < ctx.limits.max_error_attempts)


def ask(ctx: JobContext, row: PendingRow) -> None:
    """Queue the warm job of ``row`` unless one is queued or running already."""
    if ctx.redis.set(_mark(row.id), "1", nx=True, ex=WARMING_MARK_S):
        ctx.dispatcher.now(WARM, [(row.id, int(row.payload.get(TRIES, 0)))])


def warm(ctx: JobContext, outbox_id: int) -> WarmOutcome | OutboxStatus:
    """The warm job: render row ``outbox_id``'s heavy part, keep it in the row, queue its
    chat again. Returns an outcome for rq's log."""
    try:
        return _warm(ctx, outbox_id)
    finally:
        ctx.redis.delete(_mark(outbox_id))
        # Warmed or not, the chat goes on: its holder let it go for this row.
        ctx.dispatcher.now(DELIVER, [(outbox_id, _tag(ctx.clock()))])


def _warm(ctx: JobContext, outbox_id: int) -> WarmOutcome | OutboxStatus:
    with transaction(ctx.engine) as session:
        row = session.get(Outbox, outbox_id, with_for_update=True)
        if row is None or row.status != OutboxStatus.PENDING:
            return WarmOutcome.MISSING if row is None else OutboxStatus(row.status)
        if not needs_warming(ctx, row):
            return WarmOutcome.NOT_NEEDED
        # Counted before the work: a render that kills its worker is still a try.
        row.payload = {**row.payload, TRIES: int(row.payload.get(TRIES, 0)) + 1}
    warmer = ctx.extensions.warmer(row.method)
    assert warmer is not None
    try:
        with transaction(ctx.engine) as session:
            fresh = session.get(Outbox, outbox_id)
            assert fresh is not None
            warmed = warmer(ctx, session, fresh)
    except Exception:  # the job's edge: the row is rendered at the head after its last try
        log.exception("outbox %s: preparing it ahead failed", outbox_id)
        return WarmOutcome.FAILED
    with transaction(ctx.engine) as session:
        row = session.get(Outbox, outbox_id, with_for_update=True)
        if row is None or row.status != OutboxStatus.PENDING or row.attempt_started_at is not None:
            return WarmOutcome.TOO_LATE
        row.payload = {**row.payload, WARMED: warmed}
        row.enqueued_at = ctx.clock()  # its job is queued right after this commit
    metrics.PREPARED_AHEAD.labels("ahead").inc()
    log.info("outbox %s (%s) prepared ahead of its chat's queue", outbox_id, row.method)
    return WarmOutcome.WARMED


def _mark(outbox_id: int) -> str:
    return f"sosbot:warming:{outbox_id}"


def _tag(now: datetime) -> int:
    return int(now.timestamp() * 1000)
