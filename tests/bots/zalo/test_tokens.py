"""TokenManager and the database token store against the emulator's OAuth endpoint, with a
real Redis lock shared by two "workers"."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy.engine import Engine

from sosbot.bots.zalo.outbound import ZaloOutbound
from sosbot.bots.zalo.tokens import LockFactory, TokenManager, TokenPair
from sosbot.core.errors import PermanentSendError, TemporarySendError
from sosbot.core.model import Destination
from sosbot.storage.tokens import DbTokenStore, seed

from .conftest import Emu, manager, process_lock, seed_from_emulator
from .test_outbound import text

RESIDENT = Destination.RESIDENT

EXPIRED = 25 * 3600 + 1


async def test_seeded_refresh_token_is_spent_once_and_the_new_pair_saved(
        emu: Emu, store: DbTokenStore, token_engine: Engine) -> None:
    seeded = await seed_from_emulator(emu, token_engine)
    tokens = manager(emu, store, process_lock())
    access = await tokens.access_token()
    assert await tokens.access_token() == access
    saved = await store.load()
    assert saved is not None and saved.version == 1 and saved.access_token == access
    assert saved.refresh_token != seeded
    assert saved.access_expires_at == pytest.approx(time.time() + 25 * 3600, abs=30)
    assert [(r["refresh_token"], r["ok"]) for r in await emu.refreshes()] == [(seeded, True)]
    await tokens.close()


async def test_refreshed_ahead_of_expiry(emu: Emu, store: DbTokenStore,
                                         token_engine: Engine) -> None:
    await seed_from_emulator(emu, token_engine)
    now = [time.time()]
    tokens = TokenManager(store, process_lock(), app_id=emu.state.config.app_id,
                          app_secret=emu.state.config.app_secret, oauth_base=emu.base,
                          refresh_ahead_s=3600, clock=lambda: now[0])
    first = await tokens.access_token()
    now[0] += 23.5 * 3600  # 1.5 h left: still used
    assert await tokens.access_token() == first
    now[0] += 1 * 3600  # 30 min left: refreshed before Zalo refuses it
    assert await tokens.access_token() != first
    assert tokens.refreshes == 2 and len(await emu.refreshes()) == 2
    await tokens.close()


async def test_token_expiring_during_50_concurrent_sends(
        emu: Emu, store: DbTokenStore, token_engine: Engine,
        redis_lock: Callable[[], LockFactory]) -> None:
    await seed_from_emulator(emu, token_engine)
    adapter = ZaloOutbound(manager(emu, store, redis_lock()), api_base=emu.base)
    users = [await emu.user(f"Người dân {n}") for n in range(50)]
    await adapter.send_text(users[0], text("Xin chào"))
    before = len(await emu.refreshes())
    await emu.post("/_emu/clock", {"advance_s": EXPIRED})
    for uid in users:  # keep them inside the messaging window
        await emu.post("/_emu/send", {"from": uid, "text": "Còn đó không?", "wait": False})

    ids = await asyncio.gather(*(adapter.send_text(uid, text("Chúng tôi đang xử lý."))
                                 for uid in users))
    assert all(ids) and len(set(ids)) == 50
    refreshes = (await emu.refreshes())[before:]
    assert [r["ok"] for r in refreshes] == [True]
    assert -220 in {c.get("error") for c in emu.state.calls}  # it did expire mid-flight
    await adapter.close()


async def test_two_workers_never_use_the_same_refresh_token(
        emu: Emu, store: DbTokenStore, token_engine: Engine,
        redis_lock: Callable[[], LockFactory]) -> None:
    await seed_from_emulator(emu, token_engine)
    # Two workers: separate managers, sessions and caches; one store, one Redis lock.
    workers = [ZaloOutbound(manager(emu, DbTokenStore(token_engine), redis_lock()),
                            api_base=emu.base) for _ in range(2)]
    uid = await emu.user()
    for worker in workers:
        await worker.send_text(uid, text("Khởi động"))

    for _round in range(3):
        await emu.post("/_emu/clock", {"advance_s": EXPIRED})
        await emu.post("/_emu/send", {"from": uid, "text": "alo", "wait": False})
        sends = [worker.send_text(uid, text(f"Tin {n}"))
                 for n in range(10) for worker in workers]
        assert all(await asyncio.gather(*sends))

    refreshes = await emu.refreshes()
    assert all(r["ok"] for r in refreshes), refreshes
    assert len(refreshes) == 4  # the seeded token, then once per expiry
    assert len({r["refresh_token"] for r in refreshes}) == 4
    assert sum(w.tokens.refreshes for w in workers) == 4
    saved = await store.load()
    assert saved is not None and saved.version == 4
    for worker in workers:
        await worker.close()


async def test_a_refused_refresh_token_asks_for_a_new_seed(
        emu: Emu, store: DbTokenStore, token_engine: Engine) -> None:
    seed(token_engine, "zalo", "not-a-token-zalo-issued", datetime.now(UTC))
    tokens = manager(emu, store, process_lock())
    with pytest.raises(PermanentSendError, match="sosbot zalo-token --set"):
        await tokens.access_token()
    assert (await emu.refreshes())[0]["error"] == -14014
    await tokens.close()


async def test_nothing_seeded(emu: Emu, store: DbTokenStore) -> None:
    tokens = manager(emu, store, process_lock())
    with pytest.raises(PermanentSendError, match="sosbot zalo-token --set"):
        await tokens.access_token()
    await tokens.close()


async def test_oauth_outage_is_temporary_and_keeps_the_refresh_token(
        emu: Emu, store: DbTokenStore, token_engine: Engine) -> None:
    seeded = await seed_from_emulator(emu, token_engine)
    await emu.post("/_emu/faults", {"path": "/v4/oa/access_token", "http_status": 502})
    tokens = manager(emu, store, process_lock())
    with pytest.raises(TemporarySendError):
        await tokens.access_token()
    saved = await store.load()
    assert saved is not None and saved.refresh_token == seeded and saved.version == 0
    assert await tokens.access_token()  # Zalo is back
    await tokens.close()


async def test_store_compare_and_swap(store: DbTokenStore, token_engine: Engine) -> None:
    assert await store.load() is None
    assert not await store.save(TokenPair("a", "r", 1.0, 1), expected_version=0)
    now = datetime.now(UTC)
    assert seed(token_engine, "zalo", "seeded", now) == 0
    current = await store.load()
    assert current == TokenPair("", "seeded", pytest.approx(now.timestamp(), abs=1), 0)
    assert await store.save(TokenPair("a1", "r1", 100.0, 1), expected_version=0)
    assert not await store.save(TokenPair("a2", "r2", 200.0, 1), expected_version=0)
    assert await store.load() == TokenPair("a1", "r1", 100.0, 1)
    assert seed(token_engine, "zalo", "again", now) == 2
    assert not await store.save(TokenPair("a3", "r3", 300.0, 2), expected_version=1)
    with pytest.raises(ValueError):
        seed(token_engine, "zalo", "  ", now)
