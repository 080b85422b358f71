"""A stopping worker closes each platform client on the loop it lives on, one failure
not keeping the others open (no "Unclosed client session" at exit)."""

from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any

import pytest

from sosbot.cli.worker import _close_adapters
from sosbot.loop_thread import BackgroundLoop


class Client:
    def __init__(self, fails: bool = False) -> None:
        self.fails, self.closed = fails, False

    async def close(self) -> None:
        if self.fails:
            raise OSError("connection reset")
        self.closed = True


def test_each_platform_client_is_closed_even_when_one_fails(
        caplog: pytest.LogCaptureFixture) -> None:
    clients = {"zalo": Client(fails=True), "telegram": Client(), "messenger": Client()}
    ctx: Any = SimpleNamespace(outbound=clients)
    loop = BackgroundLoop().start()
    try:
        with caplog.at_level(logging.WARNING, logger="sosbot.cli.worker"):
            _close_adapters(ctx, loop)
    finally:
        loop.stop()
    assert clients["telegram"].closed and clients["messenger"].closed
    assert "closing the zalo client failed: connection reset" in caplog.text
