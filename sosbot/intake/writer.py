"""Group commit into the journal: one thread records every webhook's events, several
deliveries per transaction; another processes them right after, in the same order.

A webhook handler hands its events to the writer and waits until they are recorded
(``take.record_batch``: one multi-row ``INSERT`` into ``inbound_event``, the journal, and
its commit) before it answers 200, so what was answered 2xx is durable, exactly as with a
transaction per delivery. While one transaction runs, the deliveries that arrive queue up,
and the next one takes all of them (up to ``max_batch``): one BEGIN and one COMMIT (one
fsync) for many updates, and no threads fighting over SQLite's single write lock.

As soon as a batch is recorded, ``Pipeline``'s thread processes it (``take.process_recorded``:
the conversation steps, group events, routing, outbox rows, and the journal rows marked
processed, in transactions of up to ``process_batch`` deliveries), then queues the outbox
rows, downloads and timers on rq in one go; if Redis is away the rows are committed all
the same and the sweeper queues them. The recording never waits for a processing on
PostgreSQL, and for one processing transaction at most on SQLite (its one write lock).

The order guarantee: deliveries are recorded in the order they were handed over
(``submit``, one recording thread) and processed in the order they were recorded (one
processing thread, taking the oldest first); a chat's updates are handed over in the order
they came (the web process's chat lock), so they are processed in that order, whatever the
recording of later batches does meanwhile. Across web processes, ``process_recorded``
processes an earlier unprocessed row of the same chat first, whoever recorded it.

If a batch fails, each of its deliveries is tried again in a transaction of its own, so one
bad update never costs the others. One that fails recording is answered 500 (nothing of it
is kept; the platform sends it again); one that fails processing alone has been answered
200 already: its rows are marked processed and the error logged (never retried for ever).
A database that is away fails the recording (the handlers answer 503 and the platforms
retry) and pauses the processing, which tries again a second later. A writer killed between
the two leaves rows unprocessed: ``GroupCommit.replay`` processes them, in order, when the
next writer starts, before it takes anything new.

``GroupCommit`` is the storing itself, ``Pipeline`` the processing after it;
``IntakeWriter`` runs them on threads of the web process, ``sosbot.intake.writer_process``
in a process of its own (its own interpreter lock).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from redis.exceptions import RedisError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

from sosbot.core.events import PlatformEvent
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

    def record(self, batch: list[Delivery]) -> list[RecordOutcome]:
        """One transaction records the whole batch's events; each delivery's outcome (how
        many events were new) and what its processing needs, in order."""
        now = self.clock()
        try:
            with self._transaction() as session:
                results, recorded = record_batch(session, batch, now, self.policy)
        except UNAVAILABLE as exc:
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

    def process(self, recorded: list[Recorded]) -> list[Outcome]:
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


Tag = TypeVar("Tag")


class Pipeline(Generic[Tag]):
    """Record, then process: the recorded deliveries waiting for their processing (each
    with its caller's tag), in the order they were recorded. ``record`` runs on the
    writer's thread; ``process`` on a thread of its own (``start``), which takes them one
    batch at a time, in order, as soon as they are recorded: so a delivery's recording
    never waits for another's processing (on PostgreSQL; SQLite has one write lock, so
    there it waits for one processing transaction at most)."""

    def __init__(self, commit: GroupCommit,
                 on_processed: Callable[[list[tuple[Tag, Outcome]]], None],
                 process_batch: int = PROCESS_BATCH,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.commit, self.on_processed = commit, on_processed
        self.process_batch, self.clock = process_batch, clock
        self.backlog: deque[tuple[Tag, Recorded]] = deque()
        self._paused_until = 0.0
        self._changed = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="intake-processing",
                                        daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float | None = None) -> None:
        """Process what was recorded (unless the database is away: the next writer will),
        then end the thread."""
        with self._changed:
            self._stopping = True
            self._changed.notify()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def record(self, batch: list[tuple[Tag, Delivery]],
               on_recorded: Callable[[list[tuple[Tag, Outcome]]], None]) -> None:
        """Record a batch (one transaction) and tell ``on_recorded`` each delivery's
        outcome; then (never before: a delivery's processing is told after its recording)
        the recorded ones are processed, in order."""
        try:
            outcomes = self.commit.record([delivery for _, delivery in batch])
        except Exception as exc:  # noqa: BLE001 - the writer must outlive any one batch
            log.exception("intake writer: batch of %d failed", len(batch))
            outcomes = [(exc, None) for _ in batch]
        on_recorded([(tag, outcome) for (tag, _), (outcome, _)
                     in zip(batch, outcomes, strict=True)])
        with self._changed:
            for (tag, _), (_, recorded) in zip(batch, outcomes, strict=True):
                if recorded is not None:
                    self.backlog.append((tag, recorded))
            self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self.backlog and not self._stopping:
                    self._changed.wait()
                pause = self._paused_until - self.clock()
                if not self.backlog or (self._stopping and pause > 0):
                    return
                chunk = [self.backlog[i]
                         for i in range(min(self.process_batch, len(self.backlog)))]
            if pause > 0:
                with self._changed:
                    self._changed.wait(pause)  # the database was away; woken to stop
                continue
            self.on_processed(self.process(chunk))

    def process(self, chunk: list[tuple[Tag, Recorded]]) -> list[tuple[Tag, Outcome]]:
        """Process the oldest recorded deliveries, ``chunk`` (one transaction); each
        one's outcome. With the database away, none: they wait at the head, and are
        tried again a little later."""
        try:
            outcomes = self.commit.process([recorded for _, recorded in chunk])
        except Exception as exc:  # noqa: BLE001 - the writer must outlive any one batch
            log.exception("intake writer: processing %d deliveries failed", len(chunk))
            outcomes = [exc for _ in chunk]
        done, away = [], []
        for item, outcome in zip(chunk, outcomes, strict=True):
            if isinstance(outcome, UNAVAILABLE):
                away.append(item)
            else:
                done.append((item[0], outcome))
        with self._changed:
            for _ in chunk:
                self.backlog.popleft()
            if away:  # still recorded, not processed: tried again first, a little later
                log.warning("intake: the database is away; processing %d recorded "
                            "deliveries again in %.0f s", len(self.backlog) + len(away),
                            PROCESS_RETRY_S)
                self.backlog.extendleft(reversed(away))
                self._paused_until = self.clock() + PROCESS_RETRY_S
        return done


@dataclass
class _Waiting:
    delivery: Delivery
    loop: asyncio.AbstractEventLoop
    recorded: asyncio.Future[IntakeResult]
    processed: asyncio.Future[IntakeResult]


@dataclass(frozen=True)
class Handed:
    """A delivery handed to a writer: ``recorded`` settles once its events are committed
    (what a webhook's 200 waits for), ``processed`` once their processing is (its rows,
    timers and counts; a failure to process it for good is its exception)."""

    recorded: asyncio.Future[IntakeResult]
    processed: asyncio.Future[IntakeResult]


class IntakeWriter:
    """Records deliveries on a thread of its own and processes them on another;
    ``store`` awaits the recording."""

    def __init__(self, engine: Engine, policy: IntakePolicy, dispatcher: Dispatcher,
                 clock: Callable[[], datetime], max_batch: int = 64,
                 process_batch: int = PROCESS_BATCH) -> None:
        self.commit = GroupCommit(engine, policy, dispatcher, clock)
        self.pipeline: Pipeline[_Waiting] = Pipeline(self.commit, _processed, process_batch)
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._unprocessed: set[asyncio.Future[IntakeResult]] = set()

    @property
    def batches(self) -> int:
        return self.commit.batches

    @property
    def stored(self) -> int:
        return self.commit.stored

    @property
    def ready(self) -> bool:
        return self._thread is not None

    async def start(self) -> None:
        """Process what the journal holds unprocessed, then start the threads."""
        await asyncio.get_running_loop().run_in_executor(None, self.commit.replay_at_start)
        self.pipeline.start()
        self._thread = threading.Thread(target=self._run, name="intake-writer", daemon=True)
        self._thread.start()

    async def stop(self, timeout_s: float = 30.0) -> None:
        """Finish what is queued (recorded and processed), then end the threads."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            loop = asyncio.get_running_loop()
            await loop.run_in_executor(None, thread.join, timeout_s)
            await loop.run_in_executor(None, self.pipeline.stop, timeout_s)

    async def store(self, events: list[PlatformEvent], payload: dict[str, Any]
                    ) -> IntakeResult:
        """Store one delivery's events; returns once they are recorded (or raises)."""
        return await asyncio.shield(self.submit(events, payload).recorded)

    async def processed(self) -> None:
        """Returns once every delivery handed over so far is processed (or given up on)."""
        await _settled(self._unprocessed)

    def submit(self, events: list[PlatformEvent], payload: dict[str, Any]) -> Handed:
        """Hand one delivery to the writer, which records deliveries in the order they were
        handed over and processes them in that order."""
        if self._thread is None:
            raise RuntimeError("the intake writer is not running")
        loop = asyncio.get_running_loop()
        waiting = _Waiting((events, payload), loop, loop.create_future(), loop.create_future())
        _track(self._unprocessed, waiting.processed)
        self._queue.put(waiting)
        return Handed(waiting.recorded, waiting.processed)

    # -- the writer thread -------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stopping = False
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
            self.pipeline.record([(w, w.delivery) for w in batch], _recorded)
            if stopping:
                return


def _recorded(outcomes: list[tuple[_Waiting, Outcome]]) -> None:
    for waiting, outcome in outcomes:
        _settle(waiting, waiting.recorded, outcome)
        if isinstance(outcome, Exception):  # nothing recorded: nothing to process
            _settle(waiting, waiting.processed, outcome)


def _processed(outcomes: list[tuple[_Waiting, Outcome]]) -> None:
    for waiting, outcome in outcomes:
        _settle(waiting, waiting.processed, outcome)


def _track(futures: set[asyncio.Future[IntakeResult]],
           future: asyncio.Future[IntakeResult]) -> None:
    futures.add(future)
    future.add_done_callback(futures.discard)


async def _settled(futures: set[asyncio.Future[IntakeResult]]) -> None:
    if futures:
        await asyncio.gather(*list(futures), return_exceptions=True)


def _conflict(exc: Exception) -> bool:
    """A deadlock or serialisation failure (SQLSTATE 40P01, 40001): worth trying again."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in ("40P01", "40001")


def _settle(delivery: _Waiting, future: asyncio.Future[IntakeResult], outcome: Outcome) -> None:
    def settle() -> None:
        if future.done():
            return
        if isinstance(outcome, Exception):
            future.set_exception(outcome)
        else:
            future.set_result(outcome)
    try:
        delivery.loop.call_soon_threadsafe(settle)
    except RuntimeError:
        # The loop is closed (the server stopped while this was stored): nobody waits.
        log.info("intake writer: the web loop closed before a delivery's answer")
