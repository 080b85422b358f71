"""Group commit: one thread stores every webhook's events, several deliveries per transaction.

A webhook handler hands its events to the writer and waits for their commit before it
answers 200, so what was answered 2xx is durable, exactly as with a transaction per
delivery. But while one transaction runs, the deliveries that arrive queue up, and the next
transaction takes all of them (up to ``max_batch``): one BEGIN and one COMMIT (one fsync)
for many updates, and no threads fighting over SQLite's single write lock.

If a batch fails, each of its deliveries is tried again in a transaction of its own, so one
bad update never costs the others; a database that is away fails them all (the handlers
answer 503 and the platforms retry). Deliveries are stored in the order they were handed
over (``submit``), so the updates of one chat keep their order even when they share a batch.

After the commit the writer queues the batch's outbox rows, downloads and timers on rq in
one go; if Redis is away the rows are committed all the same and the sweeper queues them.

``GroupCommit`` is the storing itself; ``IntakeWriter`` runs it on a thread of the web
process, ``sosbot.intake.writer_process`` in a process of its own (its own interpreter lock).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from sosbot.core.events import PlatformEvent
from sosbot.delivery.queueing import ESCALATE, Dispatcher
from sosbot.intake.take import Delivery, IntakePolicy, IntakeResult, take_batch
from sosbot.storage.db import transaction

log = logging.getLogger(__name__)

# The database is away (or its pool exhausted): retrying item by item would not help.
UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)


# What became of one delivery: what it changed, or why it could not be stored.
Outcome = IntakeResult | Exception


class StoreUnavailable(Exception):
    """The database was away for a delivery stored in another process (its message)."""


class StoreFailed(RuntimeError):
    """A delivery stored in another process failed for a reason of its own (its message)."""


# What a webhook answers 503 to: the platform retries, nothing was half-written.
RETRY_LATER = (*UNAVAILABLE, StoreUnavailable)


class GroupCommit:
    """Stores deliveries several to a transaction, then queues what they produced."""

    def __init__(self, engine: Engine, policy: IntakePolicy, dispatcher: Dispatcher,
                 clock: Callable[[], datetime]) -> None:
        self.engine, self.policy, self.dispatcher, self.clock = engine, policy, dispatcher, clock
        self.batches = 0
        self.stored = 0

    def store(self, batch: list[Delivery]) -> list[Outcome]:
        """One transaction for the whole batch; each delivery's outcome, in order."""
        now = self.clock()
        try:
            with transaction(self.engine) as session:
                results = take_batch(session, batch, now, self.policy)
        except UNAVAILABLE as exc:
            if not (len(batch) > 1 and _conflict(exc)):
                return [exc for _ in batch]
            # Another web process's batch locked the same rows in another order: PostgreSQL
            # chose this one to roll back. Alone, each delivery waits for its rows instead.
            log.warning("intake: a batch of %d met a lock conflict (%s); storing them one by "
                        "one", len(batch), getattr(exc, "orig", exc))
            return [self.store([delivery])[0] for delivery in batch]
        except Exception as exc:
            if len(batch) == 1:
                events = batch[0][0]
                log.exception("intake: delivery %s could not be stored",
                              events[0].event_id if events else "?")
                return [exc]
            log.warning("intake: a batch of %d failed (%s: %s); storing them one by one",
                        len(batch), type(exc).__name__, exc)
            return [self.store([delivery])[0] for delivery in batch]
        self.batches += 1
        self.stored += len(batch)
        self._enqueue(results)
        return list(results)

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


@dataclass
class _Waiting:
    delivery: Delivery
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[IntakeResult]


class IntakeWriter:
    """Stores deliveries in batches on a thread of its own; ``store`` awaits the commit."""

    def __init__(self, engine: Engine, policy: IntakePolicy, dispatcher: Dispatcher,
                 clock: Callable[[], datetime], max_batch: int = 64) -> None:
        self.commit = GroupCommit(engine, policy, dispatcher, clock)
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

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
        self._thread = threading.Thread(target=self._run, name="intake-writer", daemon=True)
        self._thread.start()

    async def stop(self, timeout_s: float = 30.0) -> None:
        """Finish what is queued, then end the thread."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            await asyncio.get_running_loop().run_in_executor(None, thread.join, timeout_s)

    async def store(self, events: list[PlatformEvent], payload: dict[str, Any]
                    ) -> IntakeResult:
        """Store one delivery's events; returns once they are committed (or raises)."""
        return await asyncio.shield(self.submit(events, payload))

    def submit(self, events: list[PlatformEvent], payload: dict[str, Any]
               ) -> asyncio.Future[IntakeResult]:
        """Hand one delivery to the writer, which stores deliveries in the order they were
        handed over; the future settles once it is committed (or failed)."""
        if self._thread is None:
            raise RuntimeError("the intake writer is not running")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[IntakeResult] = loop.create_future()
        self._queue.put(_Waiting((events, payload), loop, future))
        return future

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
            try:
                outcomes = self.commit.store([waiting.delivery for waiting in batch])
            except Exception as exc:  # noqa: BLE001 - the thread must outlive any one batch
                log.exception("intake writer: batch of %d failed", len(batch))
                outcomes = [exc for _ in batch]
            for waiting, outcome in zip(batch, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    _fail(waiting, outcome)
                else:
                    _resolve(waiting, outcome)
            if stopping:
                return


def _conflict(exc: Exception) -> bool:
    """A deadlock or serialisation failure (SQLSTATE 40P01, 40001): worth trying again."""
    return getattr(getattr(exc, "orig", None), "sqlstate", None) in ("40P01", "40001")


def _resolve(delivery: _Waiting, result: IntakeResult) -> None:
    def settle() -> None:
        if not delivery.future.done():
            delivery.future.set_result(result)
    _call_soon(delivery, settle)


def _fail(delivery: _Waiting, exc: BaseException) -> None:
    def settle() -> None:
        if not delivery.future.done():
            delivery.future.set_exception(exc)
    _call_soon(delivery, settle)


def _call_soon(delivery: _Waiting, callback: Callable[[], None]) -> None:
    try:
        delivery.loop.call_soon_threadsafe(callback)
    except RuntimeError:
        # The loop is closed (the server stopped while this was stored): nobody waits.
        log.info("intake writer: the web loop closed before a delivery's answer")
