"""The web process's listening sockets, with a cap on the connections open at once.

A slow client (a slowloris: headers or a body trickled a byte at a time) costs a connection
and a little memory for as long as it lasts. The body of a request has a time limit (in
the handlers, ``web.body_timeout_s``); the number of connections has a cap here
(``web.max_connections``): one over it is answered ``503`` with ``Retry-After`` and closed
at once, before any of its bytes are read, so the platforms retry and the process stays
answerable.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from sosbot import metrics

log = logging.getLogger(__name__)

BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n"
        b"Content-Type: text/plain\r\nContent-Length: 22\r\n\r\ntoo many connections\r\n")


@dataclass
class ConnectionGate:
    """Connections open on one listener, and its cap."""

    limit: int
    listener: str = "public"
    open: int = 0
    refused: int = 0


class _Counted(asyncio.Protocol):
    """aiohttp's protocol for one connection, counted; refused when the gate is full."""

    def __init__(self, inner: asyncio.Protocol, gate: ConnectionGate) -> None:
        self._inner: asyncio.Protocol | None = inner
        self._gate = gate

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        gate = self._gate
        if gate.open >= gate.limit:
            self._inner = None
            gate.refused += 1
            metrics.HTTP_CONNECTIONS_REFUSED.labels(gate.listener).inc()
            if gate.refused == 1 or gate.refused % 100 == 0:
                log.warning("%s listener: %d connections open (web.max_connections); "
                            "refused %d so far", gate.listener, gate.open, gate.refused)
            assert isinstance(transport, asyncio.WriteTransport)
            transport.write(BUSY)
            transport.close()
            return
        gate.open += 1
        metrics.HTTP_CONNECTIONS.labels(gate.listener).set(gate.open)
        self._inner.connection_made(transport)  # type: ignore[union-attr]

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received() if self._inner is not None else None

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._inner is None:
            return
        self._gate.open -= 1
        metrics.HTTP_CONNECTIONS.labels(self._gate.listener).set(self._gate.open)
        self._inner.connection_lost(exc)


class CappedSite(web.TCPSite):
    """A TCP site whose connections beyond ``gate.limit`` are refused with a 503."""

    def __init__(self, runner: web.BaseRunner, host: str, port: int, gate: ConnectionGate,
                 **kwargs: Any) -> None:
        super().__init__(runner, host, port, **kwargs)
        self.gate = gate

    async def start(self) -> None:
        await web.BaseSite.start(self)  # registers the site; TCPSite.start would listen too
        server = self._runner.server
        assert server is not None
        factory: Callable[[], asyncio.Protocol] = server
        gate = self.gate
        self._server = await asyncio.get_running_loop().create_server(
            lambda: _Counted(factory(), gate), self._host, self._port,
            backlog=self._backlog, reuse_address=self._reuse_address,
            reuse_port=self._reuse_port)
        self._bound_port = self._server.sockets[0].getsockname()[1]


async def start_listener(app: web.Application, host: str, port: int, gate: ConnectionGate,
                         *, shutdown_timeout: float = 10.0) -> tuple[web.AppRunner, CappedSite]:
    """Serve ``app`` on ``host:port`` behind ``gate``; stop it with ``runner.cleanup()``."""
    runner = web.AppRunner(app, access_log=None, handle_signals=False,
                           shutdown_timeout=shutdown_timeout)
    await runner.setup()
    site = CappedSite(runner, host, port, gate)
    await site.start()
    return runner, site
