"""The Zalo and Messenger webhooks over real HTTP: signatures, replays, retries, batches."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from redis import Redis
from sqlalchemy.engine import Engine
from sqlmodel import select

from sosbot.bots.messenger import security as messenger_security
from sosbot.bots.zalo import security as zalo_security
from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.delivery.queueing import Dispatcher
from sosbot.storage import inbound
from sosbot.storage.db import transaction
from sosbot.storage.tables import Conversation
from sosbot.webhooks import WRITER, WebDeps, create_app
from tests.conftest import routing_rules

OA_SECRET, APP_SECRET, VERIFY = "oa-secret-key", "meta-app-secret", "verify-me"
ZALO_FIXTURES = Path(zalo_security.__file__).parent / "fixtures"
MESSENGER_FIXTURES = Path(messenger_security.__file__).parent / "fixtures"


@pytest.fixture
async def client(aiohttp_client: Any, engine: Engine, redis: Redis, queue_name: str,
                 conversation_settings: ConversationSettings) -> TestClient:
    deps = WebDeps(engine=engine, redis=redis, dispatcher=Dispatcher(redis, queue_name),
                   conversation=conversation_settings, telegram_secret="t" * 20,
                   rules=routing_rules(),
                   zalo_oa_secret=OA_SECRET, messenger_app_secret=APP_SECRET,
                   messenger_verify_token=VERIFY, zalo_replay_window_s=3600,
                   messenger_replay_window_s=3600)
    return await aiohttp_client(create_app(deps))  # type: ignore[no-any-return]


def stored(engine: Engine) -> int:
    with transaction(engine) as session:
        return inbound.count(session)


def zalo_body(text: str = "Có cháy", msg_id: str = "a1b2c3", age_s: float = 0) -> bytes:
    data = json.loads((ZALO_FIXTURES / "user_send_text.json").read_text())
    data["message"]["text"] = text
    data["message"]["msg_id"] = msg_id
    data["timestamp"] = str(int((time.time() - age_s) * 1000))
    return json.dumps(data, ensure_ascii=False).encode()


def zalo_headers(body: bytes, secret: str = OA_SECRET) -> dict[str, str]:
    data = json.loads(body)
    mac = zalo_security.expected_mac(str(data["app_id"]), body, str(data["timestamp"]), secret)
    return {zalo_security.HEADER: f"mac={mac}", "Content-Type": "application/json"}


async def test_zalo_signed_event_is_taken_and_a_retry_changes_nothing(
        client: TestClient, engine: Engine) -> None:
    body = zalo_body()
    first = await client.post("/webhooks/zalo", data=body, headers=zalo_headers(body))
    retry = await client.post("/webhooks/zalo", data=body,
                              headers={**zalo_headers(body), "num_retry": "1"})
    assert (first.status, retry.status) == (200, 200)
    assert (await retry.json())["description"] == "duplicate"
    assert stored(engine) == 1
    await client.app[WRITER].processed()  # a 200 means recorded; processed right after
    with transaction(engine) as session:
        # "Có cháy" names the category (issue 20): one step took it and asks for the place.
        state = session.exec(select(Conversation)).one().state
        assert state["stage"] == "location" and state["draft"]["category"] == "fire"


@pytest.mark.parametrize("headers", [
    {}, {zalo_security.HEADER: "mac=" + "0" * 64},
    {zalo_security.HEADER: "deadbeef"}])
async def test_zalo_forged_signature_is_401_and_nothing_stored(
        client: TestClient, engine: Engine, headers: dict[str, str]) -> None:
    response = await client.post("/webhooks/zalo", data=zalo_body(), headers=headers)
    assert response.status == 401
    assert stored(engine) == 0


async def test_zalo_signature_with_another_key_or_an_old_delivery_is_refused(
        client: TestClient, engine: Engine) -> None:
    body = zalo_body()
    response = await client.post("/webhooks/zalo", data=body,
                                 headers=zalo_headers(body, secret="other"))
    assert response.status == 401
    old = zalo_body(age_s=7200)
    response = await client.post("/webhooks/zalo", data=old, headers=zalo_headers(old))
    assert response.status == 401
    assert stored(engine) == 0


async def test_zalo_unparseable_event_is_400(client: TestClient, engine: Engine) -> None:
    body = b'{"app_id": "1", "timestamp": "1", "event_name": "user_send_location"}'
    response = await client.post("/webhooks/zalo", data=body, headers=zalo_headers(body))
    assert response.status == 400
    assert stored(engine) == 0


async def test_messenger_verification_handshake(client: TestClient) -> None:
    good = await client.get("/webhooks/messenger", params={
        "hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"})
    assert (good.status, await good.text()) == (200, "1158201444")
    for token, mode in (("wrong", "subscribe"), (VERIFY, "unsubscribe")):
        bad = await client.get("/webhooks/messenger", params={
            "hub.mode": mode, "hub.verify_token": token, "hub.challenge": "x"})
        assert bad.status == 403


def messenger_batch() -> bytes:
    data = json.loads((MESSENGER_FIXTURES / "batch_two_senders.json").read_text())
    now_ms = int(time.time() * 1000)
    for entry in data["entry"]:
        entry["time"] = now_ms
        for item in entry["messaging"]:
            item["timestamp"] = now_ms
    return json.dumps(data, ensure_ascii=True).encode()


async def test_messenger_batch_of_three_events_from_two_senders(client: TestClient,
                                                                engine: Engine) -> None:
    body = messenger_batch()
    signature = messenger_security.sign(body, APP_SECRET)
    response = await client.post("/webhooks/messenger", data=body, headers={
        messenger_security.SIGNATURE_HEADER: signature, "Content-Type": "application/json"})
    assert response.status == 200
    assert stored(engine) == 3
    await client.app[WRITER].processed()
    with transaction(engine) as session:
        chats = {c.chat_id for c in session.exec(select(Conversation))}
    assert len(chats) == 2


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "sha1=abc"])
async def test_messenger_forged_signature_is_401_and_nothing_stored(
        client: TestClient, engine: Engine, signature: str | None) -> None:
    headers = {"Content-Type": "application/json"}
    if signature:
        headers[messenger_security.SIGNATURE_HEADER] = signature
    response = await client.post("/webhooks/messenger", data=messenger_batch(),
                                 headers=headers)
    assert response.status == 401
    assert stored(engine) == 0
