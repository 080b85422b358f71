"""Payloads other projects captured from Meta (fixtures/captured/, sources in SOURCES.md),
replayed through the real webhook: every one is a 2xx with the outcome named here. And the
dashboard "Test" envelope's ``time`` in seconds is read as seconds by the replay window."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.engine import Engine

from sosbot.bots.messenger import inbound
from sosbot.bots.messenger import security as messenger_security
from tests.test_webhooks_zalo_messenger import APP_SECRET, client, stored

__all__ = ["client"]  # the fixture this module uses

CAPTURED = Path(inbound.__file__).parent / "fixtures" / "captured"
# file → how many events it stores (each must answer 2xx).
OUTCOMES = {
    "dashboard_test_bottender_138": 0,
    "dashboard_test_launch_vehicle_73": 0,
    "dashboard_test_node_red_165": 0,
}


async def _post(client: TestClient, body: bytes) -> int:
    response = await client.post("/webhooks/messenger", data=body, headers={
        messenger_security.SIGNATURE_HEADER: messenger_security.sign(body, APP_SECRET),
        "Content-Type": "application/json"})
    return response.status


def test_every_captured_payload_has_a_source_and_an_outcome() -> None:
    on_disk = {path.stem for path in CAPTURED.glob("*.json")}
    assert on_disk == set(OUTCOMES)
    sources = (CAPTURED / "SOURCES.md").read_text(encoding="utf-8")
    assert all(f"`{name}.json`" in sources for name in on_disk)


@pytest.mark.parametrize("name", sorted(OUTCOMES))
async def test_a_captured_payload_replayed_is_2xx_with_its_outcome(
        client: TestClient, engine: Engine, name: str) -> None:
    body = (CAPTURED / f"{name}.json").read_bytes()  # the bytes as published, not re-encoded
    status = await _post(client, body)
    assert 200 <= status < 300, status
    assert stored(engine) == OUTCOMES[name]


def _test_envelope(entry_time: int, value: dict[str, Any] | None = None) -> bytes:
    """The dashboard's "Test" envelope carrying, this time, a readable event."""
    now_ms = int(time.time() * 1000)
    value = value or {"sender": {"id": "6234567890123456"},
                      "recipient": {"id": "1067280970047460"}, "timestamp": now_ms,
                      "message": {"mid": "m_test_envelope_1", "text": "Có cháy ở hẻm 12"}}
    return json.dumps({"object": "page", "entry": [{
        "id": "0", "time": entry_time,
        "changes": [{"field": "messages", "value": value}]}]}).encode()


async def test_a_readable_event_in_the_test_envelope_with_time_in_seconds_is_taken(
        client: TestClient, engine: Engine) -> None:
    assert await _post(client, _test_envelope(int(time.time()))) == 200
    assert stored(engine) == 1


async def test_seconds_are_seconds_to_the_replay_window(client: TestClient,
                                                        engine: Engine) -> None:
    """Two hours old in seconds, against the client's one-hour window: a replay."""
    assert await _post(client, _test_envelope(int(time.time()) - 7200)) == 401
    assert stored(engine) == 0


def test_batch_time_reads_seconds_and_milliseconds() -> None:
    assert inbound.batch_time_ms(_test_envelope(1514862760)) == 1514862760000
    assert inbound.batch_time_ms(_test_envelope(1763820000523)) == 1763820000523
