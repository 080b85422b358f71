"""Group commit into the journal: the storing itself, for the intake writer.

``GroupCommit.record`` records the events of several deliveries in one transaction (one
multi-row ``INSERT`` into ``inbound_event``, the journal, and its commit): what a webhook's
200 waits for. ``GroupCommit.process`` processes recorded deliveries in another
(``take.process_recorded``: conversation steps, group events, routing, outbox rows, the
journal rows marked processed), then queues what they produced on rq. If a batch fails,
each of its deliveries is tried again in a transaction of its own; one that fails
processing alone is marked processed with the error logged. ``GroupCommit.replay``
processes what a writer killed between the two left. ``intake.pipeline`` runs the two one
after the other, ``intake.writer`` and ``intake.writer_process`` feed them.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from redis.exceptions import RedisError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from sosbot.delivery.queueing import ESCALATE, Dispatcher
from sosbot.intake.journal import read_back
from sosbot.intake.take import (
    Delivery,
    IntakePolicy,
    IntakeResult,
    Recorded,
    mark_lost,
    process_recorded,
    record_batch,
)
from sosbot.storage import inbound
from sosbot.storage.db import transaction

log = logging.getLogger(__name__)

# The database is away (or its pool exhausted): retrying item by item would not help.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)


# What became of one delivery: what it changed, or why it could not be stored.
Outcome = IntakeResult | Exception
# A delivery recorded: its outcome, and what its processing needs (None when it failed).
RecordOutcome = tuple[Outcome, Recorded | None]

# Deliveries processed in one transaction at most (on SQLite a recording may wait for one).
# A processing transaction costs about nine statements whatever its size (residents'
# rows, states, answers, the claim), so 16 cost PostgreSQL ×1.4 the time per update of 32
# (bench.intake_cpu --journal, bench/FINDINGS.md session 9).
PROCESS_BATCH = 32
# How long the processing waits before trying again when the database was away.
PROCESS_RETRY_S = 1.0
# Journal rows read back at once when replaying.
REPLAY_CHUNK = 500


class StoreUnavailable(Exception):
    """The database was away for a delivery stored in another process (its message)."""


class StoreFailed(RuntimeError):
    """A delivery stored in another process failed for a reason of its own (its message)."""


# What a webhook answers 503 to: the platform retries, nothing was half-written.
RETRY_LATER = (*UNAVAILABLE, StoreUnavailable)


class GroupCommit:
    """Records deliveries several to a transaction; processes them; queues what they
    produced."""

    def __init__(self, engine: Engine, policy: IntakePolicy, dispatcher: Dispatcher,
                 clock: Callable[[], datetime]) -> None:
        self.engine, self.policy, self.dispatcher, self.clock = engine, policy, dispatcher, clock
        self.batches = 0
        self.stored = 0  # deliveries recorded
        self.processed = 0  # deliveries processed (or given up on)
        # SQLite has one write lock: the recording and the processing threads take turns
        # here, the one waiting woken as soon as the other commits, rather than in
        # SQLite's busy handler, which sleeps up to 100 ms between tries.
        self._turns = threading.Lock() if engine.dialect.name == "sqlite" else None

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        if self._turns is None:
            with transaction(self.engine) as session:
                yield session
            return
        with self._turns, transaction(self.engine) as session:
            yield session

    def record(self, batch: list[Delivery], *, again: bool = False) -> list[RecordOutcome]:
        """One transaction records the whole batch's events; each delivery's outcome (how
        many events were new) and what its processing needs, in order."""
        now = self.clock()
        try:
            with self._transaction() as session:
                results, recorded = record_batch(session, batch, now, self.policy)
        except UNAVAILABLE as exc:
            if _stale(exc) and not again:
                return self.record(batch, again=True)
            if not (len(batch) > 1 and _conflict(exc)):
                return [(exc, None) for _ in batch]
            # Another web process's batch locked the same rows in another order: PostgreSQL
            # chose this one to roll back. Alone, each delivery waits for its rows instead.
            log.warning("intake: a batch of %d met a lock conflict (%s); recording them one "
                        "by one", len(batch), getattr(exc, "orig", exc))
            return [self.record([delivery])[0] for delivery in batch]
        except Exception as exc:
            if len(batch) == 1:
                events = batch[0][0]
                log.exception("intake: delivery %s could not be recorded",
                              events[0].event_id if events else "?")
                return [(exc, None)]
            log.warning("intake: a batch of %d failed (%s: %s); recording them one by one",
                        len(batch), type(exc).__name__, exc)
            return [self.record([delivery])[0] for delivery in batch]
        self.batches += 1
        self.stored += len(batch)
        return list(zip(results, recorded, strict=True))

    def process(self, recorded: list[Recorded], *, again: bool = False) -> list[Outcome]:
        """One transaction processes recorded deliveries and marks their journal rows;
        each one's outcome, in order. One that fails alone is given up on: its rows are
        marked processed, the error logged. The database away: each outcome is that error,
        and the rows stay unprocessed."""
        if not any(r.fresh for r in recorded):
            return [IntakeResult() for _ in recorded]
        now = self.clock()
        try:
            results = self._process_once(recorded, now)
        except UNAVAILABLE as exc:
            if _stale(exc) and not again:
                return self.process(recorded, again=True)
            if not (len(recorded) > 1 and _conflict(exc)):
                return [exc for _ in recorded]
            log.warning("intake: processing %d deliveries met a lock conflict (%s); "
                        "processing them one by one", len(recorded), getattr(exc, "orig", exc))
            return [self.process([delivery])[0] for delivery in recorded]
        except Exception as exc:
            if len(recorded) == 1:
                self._give_up(recorded[0], exc, now)
                return [exc]
            log.warning("intake: processing %d deliveries failed (%s: %s); processing them "
                        "one by one", len(recorded), type(exc).__name__, exc)
            return [self.process([delivery])[0] for delivery in recorded]
        self.processed += len(recorded)
        self._enqueue(results)
        return list(results)

    def _process_once(self, recorded: list[Recorded], now: datetime) -> list[IntakeResult]:
        # The messages per minute are counted as the deliveries are processed: as they
        # were if the transaction rolls back, for the deliveries to be tried again.
        counted = [(r.counts, Counter(r.counts.taken)) for r in recorded]
        try:
            with self._transaction() as session:
                return process_recorded(session, recorded, now, self.policy)
        except Exception:
            for counts, taken in counted:
                counts.taken = taken
            raise

    def _give_up(self, delivery: Recorded, exc: Exception, now: datetime) -> None:
        """A delivery whose processing failed alone: answered 200 already, so not sent
        again by the platform, and retrying it for ever would stop nobody. Its rows are
        marked processed and the error logged (with the rows, to look into)."""
        rows = sorted(delivery.fresh.values())
        log.error("intake: delivery %s (journal rows %s) could not be processed (%s: %s); "
                  "marked processed, nothing of it is stepped", delivery.events[0].event_id
                  if delivery.events else "?", rows, type(exc).__name__, exc,
                  exc_info=exc)
        try:
            with self._transaction() as session:
                inbound.claim(session, rows, now)
        except Exception:
            # Left unprocessed: the next writer to start tries it again, once.
            log.exception("intake: could not mark journal rows %s processed", rows)
        self.processed += 1

    def replay_at_start(self) -> None:
        """``replay``, as a writer starts: with the database away, left for later (a chat's
        rows are processed before its next update, ``take.process_recorded``; the others
        at the next start)."""
        try:
            self.replay()
        except UNAVAILABLE as exc:
            log.error("intake: the journal could not be replayed, the database is away "
                      "(%s); a chat's unprocessed events are processed before its next one, "
                      "the others when the next writer starts", exc)

    def replay(self) -> int:
        """Process every journal row left unprocessed (a writer killed between recording
        and processing), in the order they were recorded; how many deliveries. Raises when
        the database is away."""
        replayed, after = 0, 0
        limit = self.policy.conversation.messages_per_minute
        while True:
            with self._transaction() as session:
                rows = inbound.unprocessed(session, after_id=after, limit=REPLAY_CHUNK)
                if not rows:
                    break
                recorded, lost = read_back(session, rows, limit)
                mark_lost(session, lost, self.clock())
            after = rows[-1].id
            for start in range(0, len(recorded), PROCESS_BATCH):
                for outcome in self.process(recorded[start:start + PROCESS_BATCH]):
                    if isinstance(outcome, UNAVAILABLE):
                        raise outcome
            replayed += len(recorded)
        if replayed:
            log.warning("intake: %d deliveries recorded but not processed (a writer stopped "
                        "between the two) processed from the journal", replayed)
        return replayed

    def _enqueue(self, results: list[IntakeResult]) -> None:
        outbox_ids = [i for r in results for i in r.outbox_ids]
        media_ids = [i for r in results for i in r.media_ids]
        timers = [t for r in results for t in r.timers]
        lookups = [i for r in results for i in r.place_lookup_ids]
        try:
            self.dispatcher.outbox(outbox_ids)
            self.dispatcher.media(media_ids)
            if lookups:
                self.dispatcher.place_lookups(lookups)
            self.dispatcher.later_many([(ESCALATE, t.item_id, t.delay_s, t.tag)
                                         for t in timers])
        except RedisError as exc:
            # The rows are committed: the sweeper queues them (and catches up on
            # escalations) once Redis is back.
            log.warning("could not queue %d outbox rows / %d media (%s); the sweeper will",
                        len(outbox_ids), len(media_ids), exc)
        except Exception:
            # Committed all the same: failing the deliveries would only make the platforms
            # send them again.
            log.exception("queueing failed; the sweeper will queue the rows")


def _stale(exc: Exception) -> bool:
    """The connection was found dead (the server restarted, or closed it while it was
    pooled): SQLAlchemy has discarded it and the pool's older ones, so trying once more at
    once runs on a fresh connection."""
    stale = bool(getattr(exc, "connection_invalidated", False))
    if stale:
        log.info("intake: a database connection was dead (%s); trying once more on a new one",
                 getattr(exc, "orig", exc))
    return stale


def _conflict(exc: Exception) -> bool:
    """A deadlock or serialisation failure (SQLSTATE 40P01, 40001): worth trying again."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in ("40P01", "40001")
