"""Sending outbox rows: in order per chat, once each, retried within bounds.

A job for row N takes the chat's lock (in Redis, shared by all workers) and sends the
chat's pending rows, urgent ones first and each priority oldest first (storage.outbox), so
two workers never reorder a resident's messages; it goes on with rows queued meanwhile, up
to MAX_SENDS_PER_JOB, then hands the chat to a fresh job at the back of the queue. A heavy
row (the digest's images) is prepared ahead by a job of its own while the chat goes on
(``warming``). A job that finds the lock taken does not wait for it (that
would idle a worker while other chats wait): it leaves a mark in Redis and ends. The holder
clears the mark before each look for the next row and reads it after letting go of the lock,
so a row queued in between is handed to a fresh job, never stranded. Each result is
committed before the next send.

A row whose preparation or send raises (a render that fails, a scrub, an upload, a timeout,
RecursionError, MemoryError …) never holds its chat for good: the exception is counted as
an attempt of that row, committed before it can go further; the row is tried again after
the usual backoff, and after ``limits.max_error_attempts`` it is failed, the command
centre is told (send_outcomes), and the job goes on with the rows behind it.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection
from sqlmodel import Session

from sosbot import metrics
from sosbot.core import idempotency
from sosbot.core.errors import (
    ChatMoved,
    PermanentSendError,
    RateLimited,
    RecipientGone,
    SendCrashed,
    SendError,
    TemporarySendError,
)
from sosbot.core.pseudonyms import chat_label
from sosbot.delivery import (
    card_batches,
    card_posts,
    chat_holds,
    outgoing,
    platform_sends,
    send_outcomes,
    send_rows,
    warming,
)
from sosbot.delivery.context import JobContext
from sosbot.delivery.lock_keeper import LockKeeper
from sosbot.delivery.outcomes import JobOutcome, SendResult
from sosbot.delivery.queueing import DELIVER
from sosbot.delivery.send_rows import SendRow, mark_started, one_update, row_of
from sosbot.storage import outbox
from sosbot.storage.db import single_statement, transaction
from sosbot.storage.outbox import OutboxStatus
from sosbot.storage.tables import Outbox

log = logging.getLogger(__name__)

MAX_SENDS_PER_JOB = 50  # then the chat goes back to the queue: other chats get a turn
MAX_BACKOFF_S = 300.0
# Waits this short are slept in the job (holding the chat lock keeps the order); longer
# ones give the worker back and come again through the scheduler.
INLINE_WAIT_S = 2.0
INLINE_RETRIES = 3


def backoff_s(attempt: int) -> float:
    """Exponential backoff with jitter: about 2, 4, 8 … seconds, at most five minutes."""
    return min(MAX_BACKOFF_S, 2.0 ** max(attempt, 1)) * random.uniform(0.5, 1.5)


@dataclass
class _Next:
    """A chat's next row as its holder found it. When the row was due and within the job's
    share it is rendered; and when the rate limit let it go at once, its attempt is
    started (``key``) in the same transaction: the common send takes two transactions, the
    look and the record of its outcome (which looks at the next row)."""

    row: SendRow
    due: bool
    prepared: card_posts.Prepared | None = None  # None: not rendered
    error: PermanentSendError | None = None
    wait: float = 0.0  # the rate limit's answer when the attempt was not started
    key: str | None = None
    warming: bool = False  # a heavy row, prepared ahead first: the chat is let go meanwhile


@dataclass
class _Chat:
    """One job's hold on a chat: the connection its transactions use, and its mark."""

    ctx: JobContext
    db: Connection
    channel: str
    chat_id: str
    more: str  # the Redis mark a job leaves when it finds the chat busy
    render: bool = True  # the next look renders (and starts) the row: within the share
    head: int | None = None  # the row being prepared or sent: an exception is its failure
    marked: bool = False  # a look was made since the chat was taken: clear the mark first
    # The last look found nothing else pending in the chat: once its row is recorded, no
    # look is needed (a row added since has its job, which finds the chat busy and leaves
    # the mark, read when the chat is let go; or takes the chat after that).
    alone: bool = False

    def look(self, session: Session) -> _Next | None:
        """The chat's next row, locked; rendered and started when it may go now."""
        ctx = self.ctx
        self.head = None
        db = session.connection()
        stored = outbox.next_for_chat(db, self.channel, self.chat_id)
        if stored is None:
            return None
        row = row_of(stored)
        self.head = row.id
        self.alone = stored.rows_behind is False
        found = _Next(row, due=row.not_before <= ctx.clock())
        adapter = ctx.outbound.get(row.channel)
        if not found.due or not self.render:
            return found
        if adapter is None:
            found.error = PermanentSendError(f"no adapter for channel {row.channel}")
            return found
        if warming.needs_warming(ctx, stored):
            warming.ask(ctx, stored)
            found.warming = True
            return found
        try:
            found.prepared = outgoing.prepare(ctx, session, stored)
        except PermanentSendError as exc:
            found.error = exc
            return found
        if found.prepared.send is None:
            return found
        found.wait = ctx.limiter.try_acquire(
            adapter.rate_rules(row.chat_id, found.prepared.send), cost=found.prepared.cost)
        if found.wait == 0:
            found.key = mark_started(ctx, db, stored, members=found.prepared.members)
            if found.key is None:  # decided since it was read (a look alone holds no lock)
                return self.look(session)
        return found

    def look_alone(self) -> _Next | None:
        """The look on its own: on PostgreSQL its statements each in autocommit (the read,
        a card's read, the start), two or three round trips where a transaction around
        them was four or five (bench/FINDINGS.md, session 15). The chat is this job's (its
        Redis lock), so no other sender looks at its rows meanwhile; anything else that
        decides a row between the read and the start (a purge, say) makes the start change
        nothing, and the look is made again."""
        if self.marked:  # what is queued from now on, this look or the next sees
            self.ctx.redis.delete(self.more)
        self.marked = True  # (taking the chat cleared the mark for the first look)
        with single_statement(self.db), transaction(self.db) as session:
            return self.look(session)


def deliver(ctx: JobContext, outbox_id: int, *, up_to: int | None = None,
            found: outbox.Whereabouts | None = None,
            db: Connection | None = None) -> JobOutcome | OutboxStatus:
    """Send row ``outbox_id`` and any older pending row of its chat. Returns what the job
    did, or the status of the row when it was no longer pending. ``up_to``: the job's last
    row of this chat (rows up to it may wait a moment for the rate limit in this job);
    ``found``: the row's ``where_to``, when the job has read it already; ``db``: the job's
    connection, when it has one (none is taken from the pool then), left without a
    transaction."""
    if found is None:
        with _connected(ctx, db) as conn, single_statement(conn):
            found = outbox.where_to(conn, outbox_id)
    if found is None:
        return JobOutcome.MISSING
    status, channel, chat_id = found
    if status != OutboxStatus.PENDING:
        return status
    # The lock lives ``chat_lock_s`` unless its holder renews it (every third of it,
    # while it works): a worker killed while sending frees its chat within that time,
    # and chat_holds queues the chat again.
    lock_s = ctx.limits.chat_lock_s
    hold = chat_holds.take(ctx.redis, channel, chat_id, outbox_id, lock_s)
    if hold is None:
        return JobOutcome.CHAT_BUSY  # the holder sends this row, or hands it on when it lets go
    keeper = LockKeeper(hold.renew, lock_s, chat_label(channel, chat_id)).start()
    try:
        with _connected(ctx, db) as conn:
            outcome, next_id = _send_chat_counting_errors(
                _Chat(ctx, conn, channel, chat_id, hold.more), max(outbox_id, up_to or 0))
    finally:
        keeper.stop()
        # A row queued after the last look found the lock still taken and left it to us.
        released, left = hold.let_go()
        if not released:
            log.warning("chat lock for %s expired while sending",
                        chat_label(channel, chat_id))
    if outcome in (JobOutcome.SENT, JobOutcome.WARMING) and left is not None:
        ctx.dispatcher.now(DELIVER, [(int(left), _fresh_tag(ctx.clock()))])
    elif outcome is JobOutcome.CONTINUED:
        ctx.dispatcher.now(DELIVER, [(next_id, _fresh_tag(ctx.clock()))])
    return outcome


@contextmanager
def _connected(ctx: JobContext, db: Connection | None) -> Iterator[Connection]:
    """``db`` when the job lends its connection (left to the job), else one from the pool
    (taken only once the chat is ours: a job finding it busy costs the pool nothing)."""
    if db is not None:
        yield db
        return
    with ctx.engine.connect() as conn:
        yield conn


def _send_chat_counting_errors(chat: _Chat, up_to: int) -> tuple[JobOutcome, int]:
    """``_send_chat``, with an exception while a row is prepared or sent counted as that
    row's attempt (committed) before it goes any further: the row waits for its next try,
    or, failed after its last, lets the job go on with the rows behind it.

    An exception that cannot be counted (the database is gone, or it happened outside any
    row) is raised: the job fails and the sweeper queues the chat again."""
    while True:
        chat.head = None
        try:
            return _send_chat(chat, up_to)
        except Exception as exc:  # the job's edge for this chat: counted, then decided
            row_id = chat.head
            if row_id is None:
                raise
            log.exception("outbox %s to %s:%s: preparing or sending it raised", row_id,
                          chat.channel, chat.chat_id)
            try:
                counted = _count_error(chat, row_id, max(up_to, row_id), exc)
            except Exception:
                log.exception("outbox %s: the failure could not be recorded", row_id)
                raise exc from None
            if counted is SendResult.NOT_PENDING:
                raise
            if counted is SendResult.DEFERRED:
                return JobOutcome.DEFERRED, max(up_to, row_id)
            # Failed for good: the rows behind it go on, in this job.


def _count_error(chat: _Chat, row_id: int, up_to: int, exc: Exception) -> SendResult:
    """Count ``exc`` as an attempt of row ``row_id``: FAILED when that was its last (the
    row is failed), DEFERRED when it waits for another try, NOT_PENDING when the row is no
    longer pending (not its failure to count)."""
    ctx = chat.ctx
    chat.db.rollback()  # whatever the transaction that raised left open
    error = SendCrashed(f"{type(exc).__name__}: {exc}"[:400])
    with transaction(chat.db) as session:
        stored = outbox.pending_locked(session.connection(), row_id)
        if stored is None:
            return SendResult.NOT_PENDING
        row = row_of(stored)
    attempts = row.attempts + 1
    if attempts < ctx.limits.max_error_attempts:
        _defer(chat, row, up_to, backoff_s(attempts), str(error), count_attempt=True)
        return SendResult.DEFERRED
    log.error("outbox %s to %s: failed after %d attempts, the last raised %s", row_id,
              chat_label(row.channel, row.chat_id), attempts, error)
    with transaction(chat.db) as session:
        send_outcomes.record(session, ctx.extensions, row_id, OutboxStatus.FAILED, ctx.clock(),
                             error=error, message_id=None, attempts=attempts)
        follow_up = outbox.take_added(session)
    ctx.dispatcher.outbox(follow_up)
    return SendResult.FAILED


def _send_chat(chat: _Chat, up_to: int) -> tuple[JobOutcome, int]:
    """(outcome, the chat's next row): sent (nothing left), waiting or deferred (a job is
    scheduled for the chat), continued (the job's share is done; rows are left).

    The job goes on past its own row while rows can go at once; for a later row that must
    wait for the platform's rate limit it does not sleep (other chats would wait behind
    it) but puts the chat back at the end of the queue."""
    ctx, own, sends = chat.ctx, up_to, 0
    found = chat.look_alone()
    while True:
        if found is None:
            return JobOutcome.SENT, up_to
        row = found.row
        up_to = max(up_to, row.id)
        if not found.due:
            delay = (row.not_before - ctx.clock()).total_seconds()
            # Reschedule the chain, not only the row in front: the rows behind it may have
            # no job of their own any more. The job names the row in front, pending for
            # sure (a job whose row was sent ends at once), and sends the chat from there;
            # with priorities the highest id seen may be a sent row.
            ctx.dispatcher.later(DELIVER, row.id, delay, attempt=_fresh_tag(ctx.clock()))
            return JobOutcome.WAITING, up_to
        if found.warming:
            return JobOutcome.WARMING, up_to  # its warm job queues the chat again when done
        if sends == MAX_SENDS_PER_JOB:
            return JobOutcome.CONTINUED, row.id
        chat.render = sends + 1 < MAX_SENDS_PER_JOB
        result, found = _send_one(chat, found, up_to, may_wait=row.id <= own)
        if result is SendResult.NOTHING:
            return JobOutcome.CONTINUED, row.id
        if result is SendResult.DEFERRED:
            return JobOutcome.DEFERRED, up_to
        sends += 1  # sent or failed for good: the rows behind it go on


def _fresh_tag(now: datetime) -> int:
    """A job id suffix no earlier job of this row used."""
    return int(now.timestamp() * 1000)


def _send_one(chat: _Chat, found: _Next, up_to: int, *,
              may_wait: bool) -> tuple[SendResult, _Next | None]:
    """Send one row and record the outcome (SENT or FAILED); then (with the record) the
    chat's next row. DEFERRED when the chat must wait before the next; NOTHING, with
    nothing done, when the platform's rate limit asks for a short wait and ``may_wait`` is
    false (the row is another job's: this worker does not sleep for it)."""
    ctx, row, prepared = chat.ctx, found.row, found.prepared
    if found.error is not None:
        return SendResult.FAILED, _finish(chat, row, OutboxStatus.FAILED, error=found.error)
    assert prepared is not None
    if prepared.send is None:
        return SendResult.SENT, _finish(chat, row, OutboxStatus.SENT)
    adapter = ctx.outbound[row.channel]
    rules = adapter.rate_rules(row.chat_id, prepared.send)
    key, wait = found.key, found.wait
    for inline_try in range(INLINE_RETRIES + 1):
        if key is None:
            if inline_try > 0:
                wait = ctx.limiter.try_acquire(rules, cost=prepared.cost)
            if wait > INLINE_WAIT_S:
                _defer(chat, row, up_to, wait, "waiting for the platform's rate limit",
                       count_attempt=False)
                return SendResult.DEFERRED, None
            if wait > 0:
                if not may_wait:
                    return SendResult.NOTHING, None
                ctx.sleep(wait)
                continue
            key = _start_attempt(chat, row, retrying_after_429=inline_try > 0,
                                 members=prepared.members)
        try:
            message_id = ctx.run(_keyed(key, platform_sends.carry_out(
                adapter, row.chat_id, row.destination, prepared.send)))
        except RateLimited as exc:
            log.warning("outbox %s: platform said 429 (retry after %.1fs)", row.id,
                        exc.retry_after)
            metrics.RATE_LIMITED.labels(row.channel).inc()
            if exc.retry_after <= INLINE_WAIT_S:
                ctx.sleep(exc.retry_after)
                key = None
                continue
            _defer(chat, row, up_to, exc.retry_after, str(exc), count_attempt=False)
            return SendResult.DEFERRED, None
        except TemporarySendError as exc:
            return _temporary_failure(chat, row, up_to, exc, prepared.members)
        except (RecipientGone, ChatMoved, PermanentSendError) as exc:
            log.warning("outbox %s to %s failed for good: %s", row.id,
                        chat_label(row.channel, row.chat_id), exc)
            return SendResult.FAILED, _finish(chat, row, OutboxStatus.FAILED, error=exc,
                                              attempts=row.attempts + 1,
                                              members=prepared.members)
        return SendResult.SENT, _finish(chat, row, OutboxStatus.SENT, message_id=message_id,
                                        attempts=row.attempts + 1, members=prepared.members,
                                        billing=prepared.billing)
    _defer(chat, row, up_to, INLINE_WAIT_S, "still rate limited", count_attempt=False)
    return SendResult.DEFERRED, None


async def _keyed(key: str, send: Awaitable[str | None]) -> str | None:
    """Run ``send`` with its idempotency key on every platform call it makes."""
    with idempotency.sending(key):
        return await send


def _start_attempt(chat: _Chat, row: SendRow, *, retrying_after_429: bool = False,
                   members: tuple[int, ...] = ()) -> str:
    """Record (and commit) that row ``row`` is about to be sent; its idempotency key."""
    with transaction(chat.db) as session:
        db = session.connection()
        stored = outbox.pending_locked(db, row.id)
        if stored is None:
            return f"outbox-{row.id}"
        return mark_started(chat.ctx, db, stored, members=members,
                            retrying_after_429=retrying_after_429) or f"outbox-{row.id}"


def _temporary_failure(chat: _Chat, row: SendRow, up_to: int, exc: TemporarySendError,
                       members: tuple[int, ...] = ()) -> tuple[SendResult, _Next | None]:
    if row.attempts + 1 >= chat.ctx.limits.max_send_attempts:
        log.error("outbox %s: giving up after %d attempts: %s", row.id, row.attempts + 1, exc)
        return SendResult.FAILED, _finish(chat, row, OutboxStatus.FAILED, error=exc,
                                          attempts=row.attempts + 1, members=members)
    log.warning("outbox %s: temporary failure (%s), retrying", row.id, exc)
    _defer(chat, row, up_to, backoff_s(row.attempts + 1), str(exc), count_attempt=True)
    return SendResult.DEFERRED, None


def _finish(chat: _Chat, row: SendRow, status: OutboxStatus, *, error: SendError | None = None,
            message_id: str | None = None, attempts: int | None = None,
            members: tuple[int, ...] = (), billing: Any = None) -> _Next | None:
    """Record the outcome, with what the delivery learns from it, in one transaction (a
    batch card's outcome is each of its rows' outcome); the chat's next row, looked at in
    the same transaction: the common send costs two transactions, this one and its
    start's (itself the previous row's record). When the row's look found nothing else
    pending in the chat (``_Chat.alone``), the record goes without a look.

    If the look fails, its transaction takes the outcome with it: the outcome is then
    recorded again alone and committed (a send recorded as in doubt would be sent again),
    and the failure is raised. (Rare, so no savepoint is paid for on every send.)"""
    ctx = chat.ctx

    def record(session: Session) -> list[int]:
        send_rows.record(ctx, session, row, status, error=error, message_id=message_id,
                         attempts=attempts, members=members, billing=billing)
        return outbox.take_added(session)

    if chat.alone and not members:  # nothing else was pending: no look (and the mark kept)
        # A plain text's outcome is one UPDATE: it goes on its own (no BEGIN, no COMMIT).
        alone = single_statement(chat.db) if one_update(ctx, row, status, attempts, billing) \
            else nullcontext()
        with alone, transaction(chat.db) as session:
            follow_up = record(session)
        ctx.dispatcher.outbox(follow_up)
        return None
    ctx.redis.delete(chat.more)  # what is queued from now on, this look or the next sees
    recorded = False
    try:
        with transaction(chat.db) as session:
            follow_up = record(session)
            recorded = True
            found = chat.look(session)
    except Exception:
        if not recorded:
            raise
        with transaction(chat.db) as session:  # (the failure stays the looked-at row's)
            follow_up = record(session)
        ctx.dispatcher.outbox(follow_up)
        raise
    ctx.dispatcher.outbox(follow_up)
    return found


def _defer(chat: _Chat, row: SendRow, up_to: int, delay_s: float, error: str, *,
           count_attempt: bool) -> None:
    ctx = chat.ctx
    now = ctx.clock()
    attempts = row.attempts + 1 if count_attempt else row.attempts
    log.info("outbox %s to %s waits %.1fs: %s", row.id, chat_label(row.channel, row.chat_id),
             delay_s, error)
    with transaction(chat.db) as session:
        stored = session.get(Outbox, row.id, with_for_update=True)
        if stored is None:
            return
        stored.not_before = now + timedelta(seconds=delay_s)
        stored.attempts = attempts
        stored.last_error = error[:512]
        stored.enqueued_at = now
        stored.attempt_started_at = None  # the platform answered: not in doubt
        if card_batches.BATCH_KEY in stored.payload:  # the next try batches afresh
            stored.payload = {k: v for k, v in stored.payload.items()
                              if k != card_batches.BATCH_KEY}
    # The job carries the whole chain from this row, pending (see _send_chat); a distinct
    # id per try, so tries never collide.
    ctx.dispatcher.later(DELIVER, row.id, delay_s, attempt=_fresh_tag(now))
