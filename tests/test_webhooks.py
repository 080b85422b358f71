"""The Telegram webhook through real HTTP (aiohttp's test client) on real databases and Redis."""

from __future__ import annotations

import asyncio
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from redis import Redis
from rq import Queue
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from sosbot.bots.telegram.security import HEADER
from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.delivery.queueing import Dispatcher
from sosbot.routing.rules import RoutingRules
from sosbot.storage import inbound
from sosbot.storage.db import make_engine, transaction
from sosbot.storage.tables import Conversation, InboundEvent, Outbox, Report
from sosbot.webhooks import WRITER, WebDeps, create_app
from tests.conftest import closed_port, routing_rules

SECRET = "test-secret-0123456789abcdef"
PATH = "/webhooks/telegram"
_update_ids = itertools.count(1000)


def update(text: str | None = None, *, chat: int = 5001, update_id: int | None = None,
           **content: Any) -> dict[str, Any]:
    uid = update_id if update_id is not None else next(_update_ids)
    message: dict[str, Any] = {
        "message_id": uid, "date": 1763820000,
        "chat": {"id": chat, "type": "private", "first_name": "Lan"},
        "from": {"id": chat, "is_bot": False, "first_name": "Lan"}, **content,
    }
    if text is not None:
        message["text"] = text
    return {"update_id": uid, "message": message}


@pytest.fixture
def make_client(aiohttp_client: Any, engine: Engine, redis: Redis, queue_name: str,
                conversation_settings: ConversationSettings) -> Any:
    async def make(**overrides: Any) -> TestClient:
        fields: dict[str, Any] = {
            "engine": engine, "redis": redis, "dispatcher": Dispatcher(redis, queue_name),
            "conversation": conversation_settings, "telegram_secret": SECRET,
            "rules": routing_rules(),
            "max_body_bytes": 64 * 1024,
            # A loaded test machine's writer may keep deliveries waiting past the default
            # 50 ms; the overload tests set their own limit.
            "max_queue_delay_ms": 60_000,
        }
        fields.update(overrides)
        return await aiohttp_client(create_app(WebDeps(**fields)))  # type: ignore[no-any-return]
    return make


async def post(client: TestClient, body: Any, secret: str | None = SECRET,
               processed: bool = True) -> tuple[int, Any]:
    """POST an update; returns once it is answered and (``processed``) once everything the
    writer was handed so far is processed too: a 200 means recorded, not yet processed."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[HEADER] = secret
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = await client.post(PATH, data=data, headers=headers)
    answer = await response.json()
    if processed:
        await client.app[WRITER].processed()
    return response.status, answer


def stored_events(engine: Engine) -> int:
    with transaction(engine) as session:
        return inbound.count(session)


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x"])
async def test_forged_or_missing_secret_is_refused_and_nothing_stored(
        make_client: Any, engine: Engine, secret: str | None) -> None:
    client = await make_client()
    status, _ = await post(client, update("/start"), secret=secret)
    assert status == 403
    assert stored_events(engine) == 0


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"update_id": "x"}', b"\xff\xfe"])
async def test_unparseable_body_is_400(make_client: Any, engine: Engine, body: bytes) -> None:
    client = await make_client()
    status, answer = await post(client, body)
    assert status == 400 and "bad update" in answer["description"]
    assert stored_events(engine) == 0


async def test_oversized_body_is_413(make_client: Any, engine: Engine) -> None:
    client = await make_client()
    status, _ = await post(client, update("x" * 70_000))
    assert status == 413
    assert stored_events(engine) == 0


async def test_update_is_stored_stepped_and_queued(make_client: Any, engine: Engine,
                                                    redis: Redis, queue_name: str) -> None:
    client = await make_client()
    status, answer = await post(client, update("/start"))
    assert (status, answer["description"]) == (200, "ok")
    with transaction(engine) as session:
        rows = session.exec(select(Outbox)).all()
        conversation = session.exec(select(Conversation)).one()
    assert [row.method for row in rows] == ["message"]
    assert "Xin chào" in rows[0].payload["text"]
    assert conversation.state["stage"] == "category"
    assert Queue(queue_name, connection=redis).job_ids == [f"outbox-{rows[0].id}-0"]


async def test_a_retried_update_changes_nothing(make_client: Any, engine: Engine) -> None:
    client = await make_client()
    body = update("/start")
    assert (await post(client, body))[1]["description"] == "ok"
    assert (await post(client, body))[1]["description"] == "duplicate"
    results = await asyncio.gather(*[post(client, body) for _ in range(5)])
    assert all(status == 200 for status, _ in results)
    with transaction(engine) as session:
        assert inbound.count(session) == 1
        assert len(session.exec(select(Outbox)).all()) == 1


async def test_duplicate_delivery_of_a_submission_makes_one_report(make_client: Any,
                                                                   engine: Engine) -> None:
    client = await make_client()
    for body in (update("/start"), update("3"),
                 update(location={"latitude": 10.7769, "longitude": 106.7009}),
                 update("Cháy quán ăn"), update("xong")):
        assert (await post(client, body))[0] == 200
    submit = update("gửi")
    results = await asyncio.gather(*[post(client, submit) for _ in range(4)])
    assert sorted(answer["description"] for _, answer in results) == \
        ["duplicate", "duplicate", "duplicate", "ok"]
    with transaction(engine) as session:
        assert len(session.exec(select(Report)).all()) == 1


async def test_concurrent_updates_of_one_chat_are_processed_in_arrival_order(
        make_client: Any, engine: Engine) -> None:
    client = await make_client()
    for body in (update("/start"), update("1"),
                 update(location={"latitude": 10.7769, "longitude": 106.7009})):
        await post(client, body)
    bodies = [update(f"chi tiết {i}") for i in range(12)]
    results = await asyncio.gather(*[post(client, body) for body in bodies])
    assert all(status == 200 for status, _ in results)
    with transaction(engine) as session:
        arrival = [row.event_id for row in session.exec(
            select(InboundEvent).where(col(InboundEvent.id) > 3).order_by(col(InboundEvent.id)))]
        draft = session.exec(select(Conversation)).one().state["draft"]
    by_id = {str(body["update_id"]): body["message"]["text"] for body in bodies}
    assert draft["description"].split("\n") == [by_id[event_id] for event_id in arrival]


async def test_unhandled_update_kind_is_answered_200(make_client: Any, engine: Engine) -> None:
    client = await make_client()
    body = {"update_id": 77, "inline_query": {"id": "1", "query": "", "offset": "",
                                              "from": {"id": 1, "is_bot": False,
                                                       "first_name": "A"}}}
    status, answer = await post(client, body)
    assert (status, answer["description"]) == (200, "ignored")


async def test_database_down_answers_503_so_the_platform_retries(make_client: Any) -> None:
    dead = make_engine(f"postgresql://postgres@127.0.0.1:{closed_port()}/none")
    client = await make_client(engine=dead)
    status, _ = await post(client, update("/start"))
    assert status == 503


async def test_redis_down_still_answers_200_and_keeps_the_rows(make_client: Any,
                                                                engine: Engine) -> None:
    dead = Redis.from_url(f"redis://127.0.0.1:{closed_port()}/0", socket_connect_timeout=0.2)
    client = await make_client(redis=dead, dispatcher=Dispatcher(dead, "nowhere"))
    status, _ = await post(client, update("/start"))
    assert status == 200
    with transaction(engine) as session:
        rows = session.exec(select(Outbox)).all()
    assert len(rows) == 1 and rows[0].status == "pending"


CLOSED_PORT = f"redis://127.0.0.1:{closed_port()}/0"


async def test_healthz_says_only_that_the_process_is_alive(make_client: Any) -> None:
    dead = Redis.from_url(CLOSED_PORT, socket_connect_timeout=0.2)
    client = await make_client(redis=dead, dispatcher=Dispatcher(dead, "nowhere"))
    response = await client.get("/healthz")
    assert response.status == 200 and await response.json() == {"ok": True}


async def test_redis_down_keeps_the_process_in_the_load_balancer_but_alerts_the_operator(
        make_client: Any, rules: RoutingRules) -> None:
    """Webhooks answer 200 while Redis is down (the outbox keeps the work), so the load
    balancer's check must not take every web process out; the operator's view says it."""
    dead = Redis.from_url(CLOSED_PORT, socket_connect_timeout=0.2)
    client = await make_client(redis=dead, dispatcher=Dispatcher(dead, "nowhere"),
                               rules=rules)
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert await ready.json() == {"ok": True, "database": "ok", "intake": "ok"}
    status = await client.get("/statusz")
    body = await status.json()
    assert status.status == 503 and body["ok"] is False
    assert body["redis"].startswith("error") and body["database"] == "ok"
    assert any(problem.startswith("redis: error") for problem in body["problems"])
    text = await (await client.get("/metrics")).text()
    assert 'sosbot_dependency_up{dependency="redis"} 0.0' in text
    assert 'sosbot_dependency_up{dependency="database"} 1.0' in text
    assert (await post(client, update("/start")))[0] == 200  # and webhooks are still taken


async def test_database_down_takes_the_process_out_of_the_load_balancer(
        make_client: Any, rules: RoutingRules) -> None:
    gone = make_engine(f"postgresql://postgres@127.0.0.1:{closed_port()}/none")
    client = await make_client(engine=gone, rules=rules)
    ready = await client.get("/readyz")
    assert ready.status == 503 and (await ready.json())["database"].startswith("error")
    assert (await client.get("/healthz")).status == 200  # alive, just not ready


async def test_operator_view_says_when_no_group_is_bound(make_client: Any,
                                                        rules: RoutingRules) -> None:
    client = await make_client(rules=rules)
    status = await client.get("/statusz")
    body = await status.json()
    assert status.status == 503 and body["redis"] == "ok"
    assert body["groups"] == {"ward": 0, "department": 0, "command": 0, "escalation": 0}
    assert any("no group is bound" in problem for problem in body["problems"])
    assert body["queue"] == {"queued": 0, "scheduled": 0} and body["workers"] == 0
    assert body["places_queue"] == {"queued": 0, "scheduled": 0, "workers": 0}
    text = await (await client.get("/metrics")).text()
    assert 'sosbot_bound_groups{kind="command"} 0.0' in text


async def test_the_places_queue_is_in_the_operators_view_and_the_metrics(
        make_client: Any, redis: Redis, queue_name: str) -> None:
    """Typed places' lookups wait on a queue of their own (``<queue>-places``): its
    backlog and the workers serving it are shown beside the main queue's, and lookups
    waiting with no worker to serve them are a problem spelled out."""
    from rq import Worker

    from sosbot.delivery.queueing import SERIALIZER, places_queue

    dispatcher = Dispatcher(redis, queue_name)
    client = await make_client(dispatcher=dispatcher)
    body = await (await client.get("/statusz")).json()
    assert body["places_queue"] == {"queued": 0, "scheduled": 0, "workers": 0}
    assert not any(p.startswith("places:") for p in body["problems"])
    dispatcher.place_lookups([41, 42])
    body = await (await client.get("/statusz")).json()
    assert body["places_queue"] == {"queued": 2, "scheduled": 0, "workers": 0}
    assert body["queue"] == {"queued": 0, "scheduled": 0}  # the main queue is apart
    assert "places: 2 typed places wait for their lookup and no worker serves the places " \
        "queue" in body["problems"]
    text = await (await client.get("/metrics")).text()
    assert 'sosbot_places_queue_depth{state="queued"} 2.0' in text
    assert "sosbot_places_workers 0.0" in text
    # A places-only worker registered: the lookups are served, no longer a problem.
    worker = Worker([Queue(places_queue(queue_name), connection=redis,
                           serializer=SERIALIZER)], connection=redis, serializer=SERIALIZER)
    worker.register_birth()
    try:
        body = await (await client.get("/statusz")).json()
        assert body["places_queue"] == {"queued": 2, "scheduled": 0, "workers": 1}
        assert body["workers"] == 0  # it does not serve the main queue
        assert not any(p.startswith("places:") for p in body["problems"])
        assert "sosbot_places_workers 1.0" in await (await client.get("/metrics")).text()
    finally:
        worker.register_death()


async def test_metrics_count_webhooks_and_reports(make_client: Any) -> None:
    from sosbot.metrics import REGISTRY

    def sample(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    forbidden = sample("sosbot_webhooks_total", channel="telegram", outcome="forbidden")
    fires = sample("sosbot_reports_created_total", category="fire")
    client = await make_client()
    await post(client, update("/start"), secret="wrong")
    for body in (update("/start"), update("3"),
                 update(location={"latitude": 10.7769, "longitude": 106.7009}),
                 update("Cháy quán ăn"), update("xong"), update("gửi")):
        await post(client, body)
    text = await (await client.get("/metrics")).text()
    assert sample("sosbot_webhooks_total", channel="telegram", outcome="forbidden") == \
        forbidden + 1
    assert sample("sosbot_reports_created_total", category="fire") == fires + 1
    assert 'sosbot_reports_created_total{category="fire"}' in text
    assert "sosbot_outbox_pending" in text and 'sosbot_queue_depth{state="queued"}' in text


async def test_the_json_api_is_served_with_its_token(make_client: Any) -> None:
    token, pii = "api-token-0123456789abcdefgh", "pii-token-0123456789abcdefgh"
    client = await make_client(api_token=token, api_pii_token=pii)
    await post(client, update("/start"))
    assert (await client.get("/api/v1/reports")).status == 401
    response = await client.get("/api/v1/reports",
                                headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200 and (await response.json())["items"] == []
    assert (await client.get("/api/v1/openapi.json")).status == 200


async def test_every_answer_carries_a_request_id(make_client: Any) -> None:
    """The id the JSON log lines of the request carry (SOSBOT_LOG_FORMAT=json); a caller's
    own id is kept only when it is a plain token (nothing to smuggle into a log line)."""
    client = await make_client()
    forged = await client.post(PATH, data=b"{}", headers={HEADER: "wrong"})
    assert forged.status == 403 and len(forged.headers["X-Request-Id"]) == 16
    kept = await client.get("/healthz", headers={"X-Request-Id": "lb-4f2a.9c_1"})
    assert kept.headers["X-Request-Id"] == "lb-4f2a.9c_1"
    replaced = await client.get("/healthz", headers={"X-Request-Id": "a\u2028b\"}"})
    assert replaced.headers["X-Request-Id"] not in ("a\u2028b\"}", "")


_FIXTURES = sorted((Path(__file__).parent.parent / "sosbot/bots/telegram/fixtures").glob("*.json"))


@pytest.mark.parametrize("fixture", _FIXTURES, ids=lambda path: path.stem)
async def test_every_fixture_is_answered_2xx(make_client: Any, fixture: Path) -> None:
    """Real and documented payloads, stickers and polls the client library cannot build
    included: none may become a 400 that Telegram would retry for a day."""
    client = await make_client()
    data = json.loads(fixture.read_text(encoding="utf-8"))
    for body in data if isinstance(data, list) else [data]:
        status, answer = await post(client, body)
        assert status == 200, (fixture.stem, answer)
