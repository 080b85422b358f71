"""config.yaml: the shipped file is valid; a wrong one stops with the key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from sosbot.config import load_file_config, load_settings, problems
from sosbot.core.errors import ConfigError
from tests.conftest import REPO


def test_the_shipped_config_is_valid() -> None:
    config = load_file_config(REPO / "config.yaml")
    assert config.channels.telegram.webhook_path == "/webhooks/telegram"
    assert config.digest.daily_at == "07:00"


@pytest.mark.parametrize(("text", "named"), [
    ("routing:\n", "routing"),
    ("conversation:\n  draft_ttl_minutes: -3\n", "conversation.draft_ttl_minutes"),
    ("channels:\n  telegram:\n    api_base: ftp://x\n", "channels.telegram.api_base"),
    ("digest:\n  daily_at: '25:00'\n", "digest.daily_at"),
    ("unknown_section: 1\n", "unknown_section"),
    ("- a list\n", "top level"),
])
def test_a_bad_config_names_the_key(tmp_path: Path, text: str, named: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=named.replace(".", r"\.")):
        load_file_config(path)


def test_production_refuses_missing_and_demo_secrets(tmp_path: Path) -> None:
    settings = load_settings({"SOSBOT_CONFIG": str(REPO / "config.yaml"),
                              "TELEGRAM_BOT_TOKEN": "123456:DEMO-telegram-token"})
    found = "\n".join(problems(settings))
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "SOSBOT_CALLBACK_SECRET",
                 "ZALO_APP_ID", "MESSENGER_PAGE_TOKEN"):
        assert name in found
    assert problems(settings, demo=True) == []


def test_settings_are_resolved_from_the_environment_given_not_the_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``load_settings(env=…)`` is the one source: the process environment is not read
    later behind its back (issue 21: five properties read os.environ on every call)."""
    monkeypatch.setenv("TELEGRAM_API_BASE", "http://process.example:1")
    monkeypatch.setenv("MESSENGER_API_VERSION", "v1.0")
    settings = load_settings({"SOSBOT_CONFIG": str(tmp_path / "none.yaml"),
                              "TELEGRAM_API_BASE": "http://127.0.0.1:8081/",
                              "ZALO_OAUTH_BASE": "http://127.0.0.1:8082"})
    assert settings.telegram_api_base == "http://127.0.0.1:8081"
    assert settings.zalo_oauth_base == "http://127.0.0.1:8082"
    assert settings.zalo_api_base == "https://openapi.zalo.me"
    assert settings.messenger_api_version == "v26.0"
    monkeypatch.setenv("TELEGRAM_API_BASE", "http://changed.example:2")
    assert settings.telegram_api_base == "http://127.0.0.1:8081"


def test_a_bad_override_in_the_environment_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="messenger.api_version"):
        load_settings({"SOSBOT_CONFIG": str(tmp_path / "none.yaml"),
                       "MESSENGER_API_VERSION": "latest"})


def test_each_channel_keeps_its_own_settings(tmp_path: Path, redis_url: str) -> None:
    """Messenger's replay window is its own (Zalo's was used), and a disabled Telegram
    channel serves no webhook."""
    from aiohttp import web
    from redis import Redis

    from sosbot.runtime import engine_for, web_deps
    from sosbot.webhooks import create_app

    config = tmp_path / "config.yaml"
    config.write_text("channels:\n"
                      "  telegram: {enabled: false}\n"
                      "  zalo: {replay_window_s: 7200}\n"
                      "  messenger: {replay_window_s: 120}\n")
    settings = load_settings({"SOSBOT_CONFIG": str(config),
                              "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
                              "TELEGRAM_WEBHOOK_SECRET": "s" * 20,
                              "ZALO_OA_SECRET_KEY": "z" * 20,
                              "MESSENGER_APP_SECRET": "m" * 20})
    redis = Redis.from_url(redis_url)
    engine = engine_for(settings)
    try:
        deps = web_deps(settings, engine, redis)
        assert (deps.zalo_replay_window_s, deps.messenger_replay_window_s) == (7200, 120)
        app: web.Application = create_app(deps)
        paths = {getattr(r.resource, "canonical", "") for r in app.router.routes()}
        assert "/webhooks/telegram" not in paths
        assert {"/webhooks/zalo", "/webhooks/messenger"} <= paths
    finally:
        engine.dispose()
        redis.close()


def test_the_geocoder_is_off_unless_a_url_is_given(tmp_path: Path) -> None:
    env = {"SOSBOT_CONFIG": str(tmp_path / "none.yaml")}
    assert load_settings(env).geocoder.url is None
    on = load_settings({**env, "SOSBOT_GEOCODER_URL": "http://127.0.0.1:8084/"})
    assert on.geocoder.url == "http://127.0.0.1:8084"
    assert on.geocoder.requests_per_s == 1.0


def test_a_bad_geocoder_url_stops_with_a_message(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SOSBOT_GEOCODER_URL"):
        load_settings({"SOSBOT_CONFIG": str(tmp_path / "none.yaml"),
                       "SOSBOT_GEOCODER_URL": "127.0.0.1:8084"})
    bad = tmp_path / "config.yaml"
    bad.write_text("geocoder:\n  url: ftp://geo\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="geocoder.url"):
        load_settings({"SOSBOT_CONFIG": str(bad)})
