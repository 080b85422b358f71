"""Forged webhook deliveries, per platform, over real HTTP: each is refused with the
platform's status (Telegram 403, Zalo and Messenger 401), logged, and stores nothing — no
inbound event, conversation, reporter, report or outbox row.

Forgeries: no or an empty secret/signature, a wrong one, one made with another key, one
over a different body, a body changed after signing, a replayed delivery older than the
window, and length tricks (a prefix, a suffix, a truncated digest, non-ASCII bytes). The
verifiers themselves compare in constant time (checked on their source below).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from redis import Redis
from sqlalchemy.engine import Engine

from sosbot.bots.messenger import security as messenger_security
from sosbot.bots.telegram import security as telegram_security
from sosbot.bots.zalo import security as zalo_security
from sosbot.core import callbacks
from sosbot.core.conversation import Settings as ConversationSettings
from tests.security.webapp import (
    MESSENGER_APP_SECRET,
    REPLAY_WINDOW_S,
    TELEGRAM_SECRET,
    WEBHOOKS,
    ZALO_OA_SECRET,
    encode,
    make_client,
    messenger_text,
    post,
    stored_rows,
    zalo_text,
)

Forgery = Callable[[], tuple[bytes, dict[str, str]]]


def _telegram(header: str | None) -> Forgery:
    def forge() -> tuple[bytes, dict[str, str]]:
        body = encode(WEBHOOKS["telegram"].good())
        return body, {} if header is None else {telegram_security.HEADER: header}
    return forge


TELEGRAM: dict[str, Forgery] = {
    "no secret": _telegram(None),
    "empty secret": _telegram(""),
    "wrong secret": _telegram("telegram-secret-token-9876543210"),
    "a prefix of the secret": _telegram(TELEGRAM_SECRET[:-1]),
    "the secret and more": _telegram(TELEGRAM_SECRET + "0"),
    "the secret in upper case": _telegram(TELEGRAM_SECRET.upper()),
    "the secret with a space inside": _telegram(TELEGRAM_SECRET[:8] + " " + TELEGRAM_SECRET[8:]),
    "a non-ASCII secret": _telegram("bí-mật-" + TELEGRAM_SECRET[7:]),
}


def _zalo_mac(body: bytes, key: str = ZALO_OA_SECRET, signed: bytes | None = None) -> str:
    """Zalo's MAC of ``signed`` (default: ``body``) under ``key``."""
    data = json.loads(signed or body)
    return zalo_security.expected_mac(str(data["app_id"]), signed or body,
                                      str(data["timestamp"]), key)


def _zalo(make_header: Callable[[bytes], str | None], age_s: float = 0,
          change: Callable[[bytes], bytes] | None = None) -> Forgery:
    def forge() -> tuple[bytes, dict[str, str]]:
        body = encode(zalo_text(age_s=age_s))
        header = make_header(body)
        sent = change(body) if change else body
        return sent, {} if header is None else {zalo_security.HEADER: header}
    return forge


ZALO: dict[str, Forgery] = {
    "no signature": _zalo(lambda b: None),
    "empty signature": _zalo(lambda b: "mac="),
    "wrong signature": _zalo(lambda b: "mac=" + "0" * 64),
    "signed with another key": _zalo(lambda b: "mac=" + _zalo_mac(b, "another-key")),
    "signature of another body": _zalo(lambda b: "mac=" + _zalo_mac(
        b, signed=encode(zalo_text("Một tin khác")))),
    "body changed after signing": _zalo(lambda b: "mac=" + _zalo_mac(b),
                                        change=lambda b: b.replace("cháy".encode(),
                                                                   "nổ".encode())),
    "timestamp changed after signing": _zalo(
        lambda b: "mac=" + _zalo_mac(b), change=lambda b: b.replace(b'"timestamp": "1',
                                                                    b'"timestamp": "2')),
    "replayed: signed, older than the window": _zalo(lambda b: "mac=" + _zalo_mac(b),
                                                      age_s=REPLAY_WINDOW_S + 60),
    "truncated signature": _zalo(lambda b: "mac=" + _zalo_mac(b)[:32]),
    "signature and more": _zalo(lambda b: "mac=" + _zalo_mac(b) + "00"),
    "non-ASCII signature": _zalo(lambda b: "mac=" + _zalo_mac(b)[:-1] + "é"),
}


def _messenger(make_header: Callable[[bytes], str | None], age_s: float = 0,
               change: Callable[[bytes], bytes] | None = None) -> Forgery:
    def forge() -> tuple[bytes, dict[str, str]]:
        body = encode(messenger_text(age_s=age_s))
        header = make_header(body)
        sent = change(body) if change else body
        return sent, {} if header is None else {messenger_security.SIGNATURE_HEADER: header}
    return forge


def _meta(body: bytes, key: str = MESSENGER_APP_SECRET) -> str:
    return messenger_security.sign(body, key)


MESSENGER: dict[str, Forgery] = {
    "no signature": _messenger(lambda b: None),
    "empty signature": _messenger(lambda b: "sha256="),
    "wrong signature": _messenger(lambda b: "sha256=" + "0" * 64),
    "the old sha1 header form": _messenger(lambda b: "sha1=" + _meta(b)[7:47]),
    "no sha256= prefix": _messenger(lambda b: _meta(b)[7:]),
    "signed with another key": _messenger(lambda b: _meta(b, "another-app-secret")),
    "signature of another body": _messenger(lambda b: _meta(encode(messenger_text("Khác")))),
    "body changed after signing": _messenger(
        _meta, change=lambda b: b.replace("tai nạn".encode(), "hỏa hoạn".encode())),
    "replayed: signed, older than the window": _messenger(_meta, age_s=REPLAY_WINDOW_S + 60),
    "truncated signature": _messenger(lambda b: _meta(b)[:40]),
    "signature and more": _messenger(lambda b: _meta(b) + "00"),
    "non-ASCII signature": _messenger(lambda b: _meta(b)[:-1] + "é"),
}

FORGERIES = {"telegram": (TELEGRAM, 403), "zalo": (ZALO, 401), "messenger": (MESSENGER, 401)}
CASES = [(platform, name) for platform, (table, _) in FORGERIES.items() for name in table]


@pytest.fixture
async def client(aiohttp_client: Any, engine: Engine, redis: Redis, queue_name: str,
                 conversation_settings: ConversationSettings) -> TestClient:
    return await make_client(aiohttp_client, engine, redis, queue_name, conversation_settings)


@pytest.mark.parametrize("platform", sorted(FORGERIES))
async def test_forged_deliveries_are_refused_and_store_nothing(
        platform: str, client: TestClient, engine: Engine,
        caplog: pytest.LogCaptureFixture) -> None:
    table, refusal = FORGERIES[platform]
    hook = WEBHOOKS[platform]
    empty = stored_rows(engine)
    assert set(empty.values()) == {0}
    wrong: list[str] = []
    for name, forge in table.items():
        body, headers = forge()
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="sosbot.webhooks"):
            status, answer = await post(client, hook, body, headers=headers)
        if status != refusal:
            wrong.append(f"{name}: {status} {answer}")
        if not any(r.name == "sosbot.webhooks" for r in caplog.records):
            wrong.append(f"{name}: refused without a log line")
    assert wrong == []
    assert stored_rows(engine) == empty
    # The same app takes the genuine article: the refusals were not an outage.
    status, answer = await post(client, hook, encode(hook.good()))
    assert (status, answer["description"]) == (200, "ok")
    assert stored_rows(engine)["inbound_event"] == 1


async def test_undecodable_header_bytes_are_refused_not_a_500(client: TestClient,
                                                              engine: Engine) -> None:
    """Header bytes that are not UTF-8 (sent raw: no client library would) are a 403/401."""
    port = client.server.port
    results = []
    for path, header in (("/webhooks/telegram", telegram_security.HEADER),
                         ("/webhooks/messenger", messenger_security.SIGNATURE_HEADER),
                         ("/webhooks/zalo", zalo_security.HEADER)):
        body = encode(WEBHOOKS[path.rsplit("/", 1)[1]].good())
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     + header.encode() + b": sha256=\xff\xfe\xed\xa0\x80\r\n"
                     b"Content-Type: application/json\r\nConnection: close\r\n"
                     b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        await writer.drain()
        status_line = await reader.readline()
        writer.close()
        results.append(int(status_line.split()[1]))
    assert results == [403, 401, 401]
    assert set(stored_rows(engine).values()) == {0}


async def test_the_verification_handshake_refuses_odd_tokens(client: TestClient) -> None:
    for token in ("", "verify-me ", "VERIFY-ME", "verify-mé", "%FF%FE"):
        response = await client.get("/webhooks/messenger", params={
            "hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "42"})
        assert response.status == 403, token


# -- the comparisons themselves ---------------------------------------------------------------

class _Spy:
    """Stands in for ``compare_digest``: records what it was given, answers ``verdict``."""

    def __init__(self, verdict: bool) -> None:
        self.verdict = verdict
        self.calls: list[tuple[Any, Any]] = []

    def __call__(self, a: Any, b: Any) -> bool:
        self.calls.append((a, b))
        return self.verdict


def _accepts(check: Callable[[], Any]) -> bool:
    try:
        result = check()
    except callbacks.CallbackRefused:
        return False
    return result is not False


_BODY = json.dumps({"app_id": "42", "timestamp": "1763820000000", "event_name": "x"}).encode()
_BUTTON = callbacks.sign("s" * 32, callbacks.OfficerAction.ACKNOWLEDGE, 7, 2_000_000_000)
#: Each check with its genuine input, and with one differing only in its last character
#: (what a timing attack guesses at), as (name, genuine, forged).
CHECKS: list[tuple[str, Callable[[], Any], Callable[[], Any]]] = [
    ("telegram secret",
     lambda: telegram_security.secret_matches("t" * 24, "t" * 24),
     lambda: telegram_security.secret_matches("t" * 23 + "u", "t" * 24)),
    ("zalo signature",
     lambda: zalo_security.signature_ok(
         _BODY, "mac=" + zalo_security.expected_mac("42", _BODY, "1763820000000", "k"), "k"),
     lambda: zalo_security.signature_ok(_BODY, "mac=" + "0" * 64, "k")),
    ("messenger signature",
     lambda: messenger_security.signature_ok(
         _BODY, "sha256=" + hmac.new(b"k", _BODY, hashlib.sha256).hexdigest(), "k"),
     lambda: messenger_security.signature_ok(_BODY, "sha256=" + "0" * 64, "k")),
    ("messenger verify token",
     lambda: messenger_security.verify_token_ok("verify-me", "verify-me"),
     lambda: messenger_security.verify_token_ok("verify-mf", "verify-me")),
    ("button signature",
     lambda: callbacks.verify("s" * 32, _BUTTON, now_epoch=0),
     lambda: callbacks.verify("s" * 32, _BUTTON[:-1] + ("A" if _BUTTON[-1] != "A" else "B"),
                              now_epoch=0)),
]


@pytest.mark.parametrize(("name", "genuine", "forged"), CHECKS, ids=[c[0] for c in CHECKS])
def test_secrets_are_compared_in_constant_time(name: str, genuine: Callable[[], Any],
                                               forged: Callable[[], Any],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """The verdict is ``compare_digest``'s and nothing else's: with it answering yes a forged
    input passes, with it answering no the genuine one fails. An ``==`` anywhere on the
    secret (which returns at the first differing byte) would break one of the two."""
    assert _accepts(genuine) and not _accepts(forged)
    for verdict, check in ((True, forged), (False, genuine)):
        spy = _Spy(verdict)
        monkeypatch.setattr(hmac, "compare_digest", spy)
        monkeypatch.setattr(secrets, "compare_digest", spy)
        assert _accepts(check) is verdict, name
        assert spy.calls, f"{name}: compare_digest was not asked"


@pytest.mark.parametrize("data", ["k.1.2.ồ", "k.1.2.\udcff", "k.1.2." + "A" * 5000])
def test_odd_button_signatures_are_refused_not_raised(data: str) -> None:
    with pytest.raises(callbacks.CallbackRefused):
        callbacks.verify("s" * 32, data, now_epoch=0)
