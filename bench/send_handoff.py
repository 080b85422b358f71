"""What a send's hand-over between threads costs (issue 22, session 15).

A worker sends each chat in flight from a thread of its own: the thread hands the
platform call to the process's event loop (``loop_thread.BackgroundLoop.run``) and sleeps
until the answer comes back. ``python -m bench.send_handoff`` sends the same texts to the
Telegram emulator (in a process of its own, so its CPU is not counted) through the same
``TelegramOutbound`` (python-telegram-bot on aiohttp), with the same number in flight, two
ways, and prints the CPU this process spent a send:

- ``threads``: ``--in-flight`` threads, each sending its share one after another through
  the loop thread, as the chat threads do;
- ``loop``: ``--in-flight`` coroutines on the loop itself, each sending its share, as a
  worker that is one event loop would.

The difference is what the hand-overs cost: what an event-loop worker would save on each
send, before anything else it would change (no database, no Redis here).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import threading
import time
from collections.abc import Callable
from typing import Any

import aiohttp

from bench.services import TOKEN, start_emulator
from sosbot.bots.telegram.outbound import TelegramOutbound
from sosbot.core.actions import OutgoingMessage
from sosbot.core.outbox_rows import Text
from sosbot.loop_thread import BackgroundLoop

OFFICER = 9_500_001


def _serve_emulator(ready: Any) -> None:
    """The emulator, in this (child) process until it is ended; its address sent back."""
    async def main() -> None:
        emulator = await start_emulator(limits=False)
        ready.send(emulator.url)
        await asyncio.Event().wait()

    asyncio.run(main())


async def _group(base: str) -> int:
    async with aiohttp.ClientSession() as http:
        async def post(path: str, body: dict[str, Any]) -> Any:
            async with http.post(f"{base}{path}", json=body) as response:
                return await response.json()
        await post("/_emu/users", {"id": OFFICER, "first_name": "Trung úy Hùng"})
        group = await post("/_emu/groups", {"title": "bench", "type": "supergroup",
                                            "members": [OFFICER]})
        await post(f"/_emu/groups/{group['id']}/add_bot", {"token": TOKEN, "by": OFFICER})
        return int(group["id"])


def _cpu_per_send(run: Callable[[], None], sends: int) -> float:
    """CPU ms this process spends a send while ``run`` sends ``sends`` texts."""
    started = time.process_time()
    run()
    return (time.process_time() - started) * 1000 / sends


def measure(sends: int, in_flight: int, rounds: int) -> dict[str, Any]:
    receive, send = multiprocessing.Pipe(duplex=False)
    emulator = multiprocessing.get_context("spawn").Process(
        target=_serve_emulator, args=(send,), daemon=True)
    emulator.start()
    try:
        base = receive.recv()
        loop = BackgroundLoop().start()
        telegram = TelegramOutbound(TOKEN, base, timeout_s=5, flood_limits=False)
        loop.run(telegram.start())
        chat = str(loop.run(_group(base)))
        text = Text(OutgoingMessage(text="🚨 SOS-260001 Cháy nhà kho — bench"))
        share = sends // in_flight

        def through_threads() -> None:
            def chat_thread() -> None:
                for _ in range(share):
                    loop.run(telegram.send_text(chat, text))
            threads = [threading.Thread(target=chat_thread) for _ in range(in_flight)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        def on_the_loop() -> None:
            async def chat_coroutine() -> None:
                for _ in range(share):
                    await telegram.send_text(chat, text)

            async def all_chats() -> None:
                await asyncio.gather(*(chat_coroutine() for _ in range(in_flight)))
            loop.run(all_chats(), timeout=600)

        ways = {"threads": through_threads, "loop": on_the_loop}
        on_the_loop()  # warm: connections open, code loaded
        figures: dict[str, list[float]] = {name: [] for name in ways}
        for _ in range(rounds):
            for name, way in ways.items():
                figures[name].append(round(_cpu_per_send(way, share * in_flight), 3))
        loop.run(telegram.close())
        loop.stop()
        return {"sends": share * in_flight, "in_flight": in_flight,
                "cpu_ms_per_send": figures}
    finally:
        emulator.terminate()
        emulator.join(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sends", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(measure(args.sends, args.in_flight, args.rounds), indent=1))


if __name__ == "__main__":
    main()
