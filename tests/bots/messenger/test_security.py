"""The Messenger webhook signature, verify token and replay window."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from sosbot.bots.messenger.security import sign, signature_ok, too_old, verify_token_ok

SECRET = "a3f1c2d4e5b6a7980f1e2d3c4b5a6978"
# Meta signs the body with non-ASCII escaped: "Cháy" travels as "Ch\u00e1y".
BODY = json.dumps({"object": "page", "entry": [{"id": "1", "time": 1, "messaging": [
    {"sender": {"id": "2"}, "recipient": {"id": "1"}, "message": {"mid": "m", "text": "Cháy"}}
]}]}, ensure_ascii=True).encode()


def header_for(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_sign_matches_the_documented_construction() -> None:
    assert sign(BODY, SECRET) == header_for(BODY)
    assert b"\\u00e1" in BODY


def test_valid_signature() -> None:
    assert signature_ok(BODY, header_for(BODY), SECRET)


def test_uppercase_hex_and_prefix_are_accepted() -> None:
    assert signature_ok(BODY, header_for(BODY).upper().replace("SHA256=", "SHA256="), SECRET)


def test_reserialised_body_does_not_verify() -> None:
    unescaped = json.dumps(json.loads(BODY), ensure_ascii=False).encode()
    assert not signature_ok(unescaped, header_for(BODY), SECRET)


@pytest.mark.parametrize("header", [None, "", "sha1=abc", "sha256=", "sha256=00ff",
                                    header_for(BODY, "other-secret")])
def test_bad_signatures(header: str | None) -> None:
    assert not signature_ok(BODY, header, SECRET)


def test_empty_secret_accepts_nothing() -> None:
    assert not signature_ok(BODY, header_for(BODY, ""), "")


def test_verify_token() -> None:
    assert verify_token_ok("tok-123", "tok-123")
    assert not verify_token_ok("tok-124", "tok-123")
    assert not verify_token_ok(None, "tok-123")
    assert not verify_token_ok("", "")


def test_replay_window() -> None:
    now = 1_763_820_000.0
    assert not too_old(now * 1000 - 60_000, now, 300)
    assert too_old(now * 1000 - 301_000, now, 300)
    assert not too_old(None, now, 300)


def test_signature_known_answer_from_an_independent_source() -> None:
    """GitHub documents this exact scheme (``X-Hub-Signature-256: sha256=`` + hex
    HMAC-SHA256 of the raw body under the secret) with a worked example: "Testing the
    webhook payload validation", docs.github.com/webhooks/using-webhooks/
    validating-webhook-deliveries (github/docs, content/webhooks/using-webhooks/
    validating-webhook-deliveries.md; checked 2026-12-07). Meta publishes no such example;
    the value below is GitHub's, not one computed by security.sign."""
    secret = "It's a Secret to Everybody"
    body = b"Hello, World!"
    header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert signature_ok(body, header, secret)
    assert sign(body, secret) == header
    assert not signature_ok(body + b" ", header, secret)
    assert not signature_ok(body, header, secret + "!")
