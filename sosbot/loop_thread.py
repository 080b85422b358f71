"""An asyncio event loop on a background thread, for synchronous code (rq jobs) to use.

A worker keeps one loop and one HTTP client for its whole life instead of building them
for every job.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable
from typing import Any, TypeVar

T = TypeVar("T")


class BackgroundLoop:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._main, name="sosbot-loop", daemon=True)

    def _main(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def start(self) -> BackgroundLoop:
        self._thread.start()
        return self

    def run(self, awaitable: Awaitable[T], timeout: float | None = 120.0) -> T:
        """Run ``awaitable`` on the loop and wait for its result (or its exception)."""
        async def wrapper() -> T:
            return await awaitable
        return asyncio.run_coroutine_threadsafe(wrapper(), self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)

    def run_any(self, awaitable: Awaitable[Any]) -> Any:
        return self.run(awaitable)
