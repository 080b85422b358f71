"""No secret in a log line: the redaction (patterns and remembered values), the logging set-up
every process runs (quiet HTTP clients, records redacted whichever handler writes them,
tracebacks included), and the JSON lines."""

from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator

import pytest

from sosbot import log_setup
from sosbot.cli import main
from sosbot.core import pseudonyms, redaction
from sosbot.core.redaction import MASK, redact

BOT_TOKEN = "987654321:SECRETtokenSECRETtokenSECRETtoken12"
PAGE_TOKEN = "EAAGSECRETpageTOKEN0123456789abcdef"
ENV = {
    "TELEGRAM_BOT_TOKEN": BOT_TOKEN,
    "TELEGRAM_WEBHOOK_SECRET": "WEBHOOK-SECRET-0123456789",
    "SOSBOT_CALLBACK_SECRET": "CALLBACK-SECRET-0123456789abcdef0123",
    "MESSENGER_PAGE_TOKEN": PAGE_TOKEN,
    "ZALO_APP_SECRET": "ZALO-APP-SECRET-0123",
    "SOSBOT_API_PII_TOKEN": "API-PII-SECRET-0123456789",
    "DATABASE_URL": "postgresql://sosbot:DB-PASSWORD-SECRET@db:5432/sosbot",
    "REDIS_URL": "redis://:REDIS-PASSWORD-SECRET@redis:6379/0",
}
SECRETS = [BOT_TOKEN, PAGE_TOKEN, "WEBHOOK-SECRET-0123456789",
           "CALLBACK-SECRET-0123456789abcdef0123", "ZALO-APP-SECRET-0123",
           "API-PII-SECRET-0123456789", "DB-PASSWORD-SECRET", "REDIS-PASSWORD-SECRET"]


@pytest.fixture
def output() -> Iterator[io.StringIO]:
    """The process's logging as `sosbot` sets it up, written to a buffer; undone after."""
    stream = io.StringIO()
    log_setup.configure("INFO", env=ENV, stream=stream)
    try:
        yield stream
    finally:
        log_setup.unconfigure()


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret} in {text!r}"


@pytest.mark.parametrize(("line", "expected"), [
    (f"HTTP Request: POST https://api.telegram.org/bot{BOT_TOKEN}/sendMessage \"200 OK\"",
     f"HTTP Request: POST https://api.telegram.org/bot{MASK}/sendMessage \"200 OK\""),
    (f"https://api.telegram.org/file/bot{BOT_TOKEN}/photos/1.jpg",
     f"https://api.telegram.org/file/bot{MASK}/photos/1.jpg"),
    (f"token {BOT_TOKEN} rejected", f"token {MASK} rejected"),
    (f"GET http://127.0.0.1:8081/file/bot{BOT_TOKEN.replace(':', '%3A')}/photos/file_4.jpg",
     f"GET http://127.0.0.1:8081/file/bot{MASK}/photos/file_4.jpg"),
    (f"token={BOT_TOKEN.replace(':', '%3A')}", f"token={MASK}"),
    (f"GET /v23.0/me/messages?access_token={PAGE_TOKEN}&x=1",
     f"GET /v23.0/me/messages?access_token={MASK}&x=1"),
    ("POST /message?access_token=opaque-zalo-value&x=1", f"POST /message?access_token={MASK}&x=1"),
    ("headers {'access_token': 'opaque-zalo-value', 'x': 1}",
     f"headers {{'access_token': '{MASK}', 'x': 1}}"),
    ('{"access_token": "a1", "refresh_token": "r2", "expires_in": "90000"}',
     f'{{"access_token": "{MASK}", "refresh_token": "{MASK}", "expires_in": "90000"}}'),
    ("[('access_token', 'opaque-zalo-value')]", f"[('access_token', '{MASK}')]"),
    (f"page token {PAGE_TOKEN}.", f"page token {MASK}."),
])
def test_secret_shapes_are_masked(line: str, expected: str) -> None:
    assert redact(line) == expected


@pytest.mark.parametrize("line", [
    "zalo access token refreshed (version 3, valid 90000 s)",
    "serving webhooks on http://127.0.0.1:8080 (database revision 0012)",
    "GET /static/bottom.png", "report SOS-260001 created (fire) from telegram",
    "outbox 12: platform said 429 (retry after 3.0s)",
])
def test_ordinary_lines_are_left_alone(line: str) -> None:
    assert redact(line) == line


def test_remembered_values_are_masked_whole_and_short_ones_ignored() -> None:
    try:
        redaction.remember("opaque-secret", "opaque-secret-longer", "short", None, "",
                           "with:colon/slash+")
        assert redact("a opaque-secret-longer b opaque-secret c short") == \
            f"a {MASK} b {MASK} c short"
        assert redact("u=with%3Acolon%2Fslash%2B&v=with:colon/slash+") == f"u={MASK}&v={MASK}"
    finally:
        redaction.forget_all()


def test_http_client_lines_are_quiet_by_default(output: io.StringIO) -> None:
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot%s/"
                                    "getMe \"HTTP/1.1 200 OK\"", BOT_TOKEN)
    logging.getLogger("httpcore.http11").debug("send_request_headers.started")
    logging.getLogger("sosbot.http.telegram").info("POST %s → 200 (3 ms)",
                                                   f"https://api.telegram.org/bot{BOT_TOKEN}/x")
    assert output.getvalue() == ""


def test_http_client_lines_asked_for_are_redacted() -> None:
    stream = io.StringIO()
    log_setup.configure("INFO", env={**ENV, "SOSBOT_LOG_HTTP": "1"}, stream=stream)
    try:
        logging.getLogger("httpx").info("HTTP Request: POST %s \"HTTP/1.1 200 OK\"",
                                        f"https://api.telegram.org/bot{BOT_TOKEN}/getMe")
        logging.getLogger("sosbot.http.telegram").info(
            "POST %s → 200 (3 ms)", f"https://api.telegram.org/bot{BOT_TOKEN}/sendMessage")
    finally:
        log_setup.unconfigure()
    assert f"bot{MASK}/getMe" in stream.getvalue()
    assert f"bot{MASK}/sendMessage → 200" in stream.getvalue()
    assert_clean(stream.getvalue())


def test_every_environment_secret_is_masked_in_messages_and_arguments(
        output: io.StringIO) -> None:
    log = logging.getLogger("sosbot.test")
    for secret in SECRETS:
        log.warning("in the arguments: %s", secret)
        log.warning(f"in the message: {secret}")  # noqa: G004 (what a careless call does)
    assert output.getvalue().count(MASK) == 2 * len(SECRETS)
    assert_clean(output.getvalue())


def test_tracebacks_are_redacted(output: io.StringIO) -> None:
    log = logging.getLogger("sosbot.test")
    try:
        raise RuntimeError(f"Client error for url https://api.telegram.org/bot{BOT_TOKEN}/x "
                           f"with {ENV['DATABASE_URL']}")
    except RuntimeError:
        log.exception("the send failed")
    text = output.getvalue()
    assert "Traceback" in text and "RuntimeError: Client error" in text
    assert_clean(text)


def test_a_handler_added_later_writes_redacted_records_too(output: io.StringIO) -> None:
    """rq and aiohttp add their own handlers with their own formatters."""
    later = io.StringIO()
    handler = logging.StreamHandler(later)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    rq_log = logging.getLogger("rq.worker.test")
    rq_log.addHandler(handler)
    try:
        try:
            raise ValueError(PAGE_TOKEN)
        except ValueError:
            rq_log.error("job failed: %r", {"access_token": "opaque-zalo-value"},
                         exc_info=True)
    finally:
        rq_log.removeHandler(handler)
    assert "ValueError" in later.getvalue()
    assert "opaque-zalo-value" not in later.getvalue()
    assert_clean(later.getvalue())


def test_uncaught_exception_in_a_thread_is_logged_redacted(output: io.StringIO) -> None:
    def fail() -> None:
        raise RuntimeError(f"token {BOT_TOKEN}")

    thread = threading.Thread(target=fail, name="sender")
    thread.start()
    thread.join()
    assert "uncaught exception in thread sender" in output.getvalue()
    assert_clean(output.getvalue())


def test_json_lines_carry_the_request_id_and_no_secret() -> None:
    stream = io.StringIO()
    log_setup.configure("INFO", env={**ENV, "SOSBOT_LOG_FORMAT": "json"}, stream=stream)
    log = logging.getLogger("sosbot.test")
    try:
        log.info("before any request")
        with log_setup.request_id("4f2a9c"):
            log.info('quoted "access_token=%s" and ünicode', "opaque-zalo-value")
            try:
                raise KeyError(BOT_TOKEN)
            except KeyError:
                log.exception("failed")
    finally:
        log_setup.unconfigure()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["message"] for line in lines] == [
        "before any request", f'quoted "access_token={MASK}" and ünicode', "failed"]
    assert "request_id" not in lines[0]
    assert [line.get("request_id") for line in lines[1:]] == ["4f2a9c", "4f2a9c"]
    assert set(lines[0]) == {"time", "level", "logger", "message"}
    assert lines[2]["level"] == "ERROR" and "KeyError" in lines[2]["exc"]
    assert_clean(stream.getvalue())


def test_an_unknown_log_format_is_refused() -> None:
    with pytest.raises(ValueError, match="SOSBOT_LOG_FORMAT"):
        log_setup.configure("INFO", env={"SOSBOT_LOG_FORMAT": "xml"}, stream=io.StringIO())
    log_setup.unconfigure()


def test_chat_labels_are_stable_per_key_and_not_the_id() -> None:
    pseudonyms.use_key("key-one-0123456789")
    first = pseudonyms.chat_label("telegram", 7001)
    assert first == pseudonyms.chat_label("telegram", "7001")
    assert first.startswith("telegram:~") and "7001" not in first
    assert pseudonyms.chat_label("telegram", 7002) != first
    pseudonyms.use_key("key-two-0123456789")
    assert pseudonyms.chat_label("telegram", 7001) != first


def test_the_sosbot_command_sets_it_up(monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Every process starts through `sosbot.cli.main`: serve, worker, the intake writer,
    set-webhook and the rest."""
    for name, value in {**ENV, "SOSBOT_CONFIG": "/nonexistent/config.yaml"}.items():
        monkeypatch.setenv(name, value)
    main(["check-config"])
    logging.getLogger("httpx").info("HTTP Request: POST https://api.telegram.org/bot%s/x",
                                    BOT_TOKEN)
    logging.getLogger("sosbot.test").warning("the password is %s", "DB-PASSWORD-SECRET")
    err = capsys.readouterr().err
    assert f"WARNING sosbot.test: the password is {MASK}" in err
    assert "HTTP Request" not in err
    assert_clean(err)
