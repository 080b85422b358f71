"""The intake writer in a process of its own: the group commit beside the web process.

The web process's event loop and a writer thread share one interpreter lock: under load the
two take turns on one core however many the machine has. Here the web process only
authenticates and parses; ``sosbot intake-writer``, a child it starts, stores the deliveries
(``GroupCommit``, exactly as the thread does) and answers for each one. The two speak over
the child's stdin and stdout: length-prefixed pickles, a request ``(seq, events, payload)``
and an answer ``(seq, kind, value)``.

What the platforms see does not change: a delivery is answered 200 only once it is
committed. If the child dies, every delivery waiting on it is answered 503 (whatever it had
committed is a duplicate when the platform sends it again) and a new child is started.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
import pickle
import select
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sosbot.core.events import PlatformEvent
from sosbot.intake.take import IntakeResult
from sosbot.intake.writer import (
    UNAVAILABLE,
    GroupCommit,
    Outcome,
    StoreFailed,
    StoreUnavailable,
)

log = logging.getLogger(__name__)

_LENGTH = struct.Struct(">I")
READY = "ready"


def encode(message: Any) -> bytes:
    body = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(body)) + body


class Frames:
    """Bytes in, whole messages out: what a stream delivered so far, split into frames."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self._buffer += data

    def take(self, limit: int | None = None) -> list[Any]:
        """The complete messages received (at most ``limit``); a partial one waits."""
        messages: list[Any] = []
        offset = 0
        buffer = self._buffer
        while limit is None or len(messages) < limit:
            if len(buffer) - offset < _LENGTH.size:
                break
            (size,) = _LENGTH.unpack_from(buffer, offset)
            end = offset + _LENGTH.size + size
            if len(buffer) < end:
                break
            messages.append(pickle.loads(buffer[offset + _LENGTH.size:end]))
            offset = end
        del buffer[:offset]
        return messages


def _answer(seq: int, outcome: Outcome) -> tuple[int, str, Any]:
    if isinstance(outcome, IntakeResult):
        return seq, "ok", outcome
    reason = f"{type(outcome).__name__}: {outcome}"
    return seq, "unavailable" if isinstance(outcome, UNAVAILABLE) else "failed", reason


# -- the child ---------------------------------------------------------------------------------


def serve_deliveries(commit: GroupCommit, source: int, sink: int, max_batch: int) -> None:
    """The child's loop: read requests from ``source``, store them several to a transaction,
    write the answers to ``sink``; returns when ``source`` ends (the web process stopped or
    died), after storing what it had received."""
    frames = Frames()
    _write_all(sink, encode((READY, os.getpid())))
    while True:
        requests = frames.take(max_batch)
        if not requests:
            data = os.read(source, 1 << 20)
            if not data:
                return
            frames.feed(data)
            continue
        while len(requests) < max_batch and select.select([source], [], [], 0)[0]:
            data = os.read(source, 1 << 20)
            if not data:
                break
            frames.feed(data)
            requests += frames.take(max_batch - len(requests))
        try:
            outcomes = commit.store([(events, payload) for _, events, payload in requests])
        except Exception as exc:  # noqa: BLE001 - answered for each delivery; the loop goes on
            log.exception("intake writer: batch of %d failed", len(requests))
            outcomes = [exc for _ in requests]
        _write_all(sink, b"".join(encode(_answer(seq, outcome)) for (seq, _, _), outcome
                                  in zip(requests, outcomes, strict=True)))


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


# -- the web process's side ----------------------------------------------------------------


@dataclass(frozen=True)
class WriterCommand:
    """How to start the child: its command line and environment."""

    argv: tuple[str, ...]
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))


class IntakeProcess:
    """``store`` as the writer thread offers it, carried out by a child process."""

    def __init__(self, command: WriterCommand, *, ready_timeout_s: float = 120.0,
                 restart_delay_s: float = 1.0) -> None:
        self.command = command
        self.ready_timeout_s, self.restart_delay_s = ready_timeout_s, restart_delay_s
        self.stored = 0
        self.restarts = 0
        self._child: asyncio.subprocess.Process | None = None
        self._pending: dict[int, asyncio.Future[IntakeResult]] = {}
        self._seq = itertools.count(1)
        self._stopping = False
        self._supervisor: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        return self._child is not None

    @property
    def pid(self) -> int | None:
        return self._child.pid if self._child is not None else None

    async def start(self) -> None:
        """Start the child and wait until it is ready (its ward data loaded); raises when it
        does not come up, so that a web process that cannot store never takes traffic."""
        child = self._child = await self._spawn()
        self._supervisor = asyncio.create_task(self._supervise(child), name="intake-process")

    async def stop(self, timeout_s: float = 30.0) -> None:
        """Let the child store what it was sent and end; killed after ``timeout_s``."""
        self._stopping = True
        child = self._child
        if child is not None and child.stdin is not None:
            child.stdin.close()
        if self._supervisor is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._supervisor), timeout_s)
            except TimeoutError:
                log.error("intake writer process did not end in %.0f s; killing it", timeout_s)
                if child is not None and child.returncode is None:
                    child.kill()
                await self._supervisor

    async def store(self, events: list[PlatformEvent], payload: dict[str, Any]
                    ) -> IntakeResult:
        """Store one delivery's events; returns once they are committed (or raises)."""
        return await asyncio.shield(self.submit(events, payload))

    def submit(self, events: list[PlatformEvent], payload: dict[str, Any]
               ) -> asyncio.Future[IntakeResult]:
        """Hand one delivery to the child, which stores deliveries in the order they were
        handed over (one pipe, read in order); the future settles once it is committed."""
        child = self._child
        if child is None or child.stdin is None or self._stopping:
            raise StoreUnavailable("the intake writer process is not running")
        seq = next(self._seq)
        future: asyncio.Future[IntakeResult] = asyncio.get_running_loop().create_future()
        self._pending[seq] = future
        child.stdin.write(encode((seq, events, payload)))
        return future

    # -- supervision -----------------------------------------------------------------------

    async def _spawn(self) -> asyncio.subprocess.Process:
        child = await asyncio.create_subprocess_exec(
            *self.command.argv, env=dict(self.command.env), stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE, limit=1 << 20)
        assert child.stdout is not None
        try:
            header = await asyncio.wait_for(child.stdout.readexactly(_LENGTH.size),
                                            self.ready_timeout_s)
            (size,) = _LENGTH.unpack(header)
            kind, pid = pickle.loads(await child.stdout.readexactly(size))
        except (TimeoutError, asyncio.IncompleteReadError) as exc:
            if child.returncode is None:
                child.kill()
            code = await child.wait()
            raise RuntimeError(f"the intake writer process did not start (exit code {code}; "
                               "its log says why)") from exc
        if kind != READY:
            child.kill()
            raise RuntimeError(f"the intake writer process said {kind!r} instead of ready")
        log.info("intake writer process %d ready", pid)
        return child

    async def _supervise(self, first: asyncio.subprocess.Process) -> None:
        child: asyncio.subprocess.Process | None = first
        while child is not None:
            await self._read_answers(child)
            self._child = None
            code = await child.wait()
            self._fail_pending(f"the intake writer process ended (exit code {code})")
            if self._stopping:
                log.info("intake writer process ended (exit code %s)", code)
                return
            log.error("intake writer process ended unexpectedly (exit code %s); deliveries "
                      "are answered 503 until a new one is ready", code)
            child = await self._restart()

    async def _restart(self) -> asyncio.subprocess.Process | None:
        while not self._stopping:
            await asyncio.sleep(self.restart_delay_s)
            try:
                child = await self._spawn()
            except (RuntimeError, OSError) as exc:
                log.error("intake writer process could not be restarted (%s); trying again",
                          exc)
                continue
            self.restarts += 1
            if self._stopping:
                assert child.stdin is not None
                child.stdin.close()
                await child.wait()
                return None
            self._child = child
            return child
        return None

    async def _read_answers(self, child: asyncio.subprocess.Process) -> None:
        assert child.stdout is not None
        frames = Frames()
        while True:
            data = await child.stdout.read(1 << 20)
            if not data:
                return
            frames.feed(data)
            for seq, kind, value in frames.take():
                self._settle(seq, kind, value)

    def _settle(self, seq: int, kind: str, value: Any) -> None:
        future = self._pending.pop(seq, None)
        if future is None or future.done():
            return
        if kind == "ok":
            self.stored += 1
            future.set_result(value)
        elif kind == "unavailable":
            future.set_exception(StoreUnavailable(value))
        else:
            future.set_exception(StoreFailed(value))

    def _fail_pending(self, reason: str) -> None:
        pending, self._pending = self._pending, {}
        for future in pending.values():
            if not future.done():
                future.set_exception(StoreUnavailable(reason))
        if pending:
            log.error("%d deliveries answered 503: %s", len(pending), reason)
