"""config.yaml: the shipped file is valid; a wrong one stops with the key named."""

from __future__ import annotations

from pathlib import Path

import pytest

from sosbot.config import load_file_config, load_settings
from sosbot.config_checks import deployment_problems, problems
from sosbot.core.errors import ConfigError
from tests.conftest import REPO


def test_the_shipped_config_is_valid() -> None:
    config = load_file_config(REPO / "config.yaml")
    assert config.channels.telegram.webhook_path == "/webhooks/telegram"
    assert config.digest.daily_at == "07:00"
    conv = config.conversation
    assert (conv.max_media_per_report, conv.max_media_mb_per_report,
            conv.messages_per_minute) == (10, 50, 30)


@pytest.mark.parametrize(("text", "named"), [
    ("routing:\n", "routing"),
    ("conversation:\n  draft_ttl_minutes: -3\n", "conversation.draft_ttl_minutes"),
    ("channels:\n  telegram:\n    api_base: ftp://x\n", "channels.telegram.api_base"),
    ("digest:\n  daily_at: '25:00'\n", "digest.daily_at"),
    ("conversation:\n  messages_per_minute: 0\n", "conversation.messages_per_minute"),
    ("conversation:\n  max_media_per_report: 0\n", "conversation.max_media_per_report"),
    ("conversation:\n  max_media_mb_per_report: 5\n", "conversation"),
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


def test_the_telegram_bot_username_comes_from_the_file_or_the_environment(
        tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("channels:\n  telegram:\n    username: '@SOS_ANTT_bot'\n")
    assert load_settings({"SOSBOT_CONFIG": str(config)}
                         ).file.channels.telegram.username == "SOS_ANTT_bot"
    assert load_settings({"SOSBOT_CONFIG": str(config), "TELEGRAM_BOT_USERNAME": "hcm_sos_bot"}
                         ).file.channels.telegram.username == "hcm_sos_bot"
    with pytest.raises(ConfigError, match="telegram.username"):
        load_settings({"SOSBOT_CONFIG": str(config), "TELEGRAM_BOT_USERNAME": "sos bot!"})


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


# -- what check-config refuses beyond serve: a deployment facing the real platforms -------

def _production_env(config: Path, **changes: str) -> dict[str, str]:
    from tests.privacy.test_secrets import GOOD

    return {**GOOD, "SOSBOT_CONFIG": str(config), "SOSBOT_PUBLIC_URL": "https://sos.example.vn",
            "ZALO_REFRESH_TOKEN": "Rt5Yh8Uj2Ik4Ol7Pa9Sd3Fg6", **changes}


@pytest.fixture
def shipped(tmp_path: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text((REPO / "config.yaml").read_text())
    return path


def deployment(config: Path, **changes: str) -> str:
    return "\n".join(deployment_problems(load_settings(_production_env(config, **changes))))


def test_a_full_production_environment_passes(shipped: Path) -> None:
    assert deployment(shipped) == ""


@pytest.mark.parametrize("public_url", ["", "http://sos.example.vn", "sos.example.vn"])
def test_messenger_needs_an_https_public_url(shipped: Path, public_url: str) -> None:
    assert "SOSBOT_PUBLIC_URL" in deployment(shipped, SOSBOT_PUBLIC_URL=public_url)


def test_without_messenger_the_public_url_may_stay_local(shipped: Path) -> None:
    shipped.write_text("channels:\n  messenger:\n    enabled: false\n")
    assert "SOSBOT_PUBLIC_URL" not in deployment(shipped, SOSBOT_PUBLIC_URL="")


@pytest.mark.parametrize("name", ["TELEGRAM_API_BASE", "ZALO_API_BASE", "ZALO_OAUTH_BASE",
                                  "MESSENGER_API_BASE"])
def test_a_plain_http_platform_api_is_refused(shipped: Path, name: str) -> None:
    found = deployment(shipped, **{name: "http://api.example.vn"})
    assert f"{name}: http://api.example.vn is plain HTTP" in found


@pytest.mark.parametrize(("name", "shortest"), [
    ("ZALO_APP_SECRET", 16), ("ZALO_OA_SECRET_KEY", 16), ("MESSENGER_APP_SECRET", 32),
    ("MESSENGER_VERIFY_TOKEN", 16), ("MESSENGER_PAGE_TOKEN", 32)])
def test_short_zalo_and_messenger_secrets_are_refused(shipped: Path, name: str,
                                                      shortest: int) -> None:
    value = "Qz7Wx3Ec9Rv1Tb5Yn2Um8Ik4Ol6Pa0Sd"[:shortest - 1]
    assert f"{name}: shorter than {shortest} characters" in deployment(shipped, **{name: value})


def test_check_config_refuses_zalo_with_no_refresh_token(
        shipped: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import UTC, datetime

    from sosbot.cli import main
    from sosbot.storage.db import make_engine
    from sosbot.storage.migrate import upgrade
    from sosbot.storage.tokens import seed

    url = f"sqlite:///{tmp_path}/sosbot.db"
    upgrade(make_engine(url))
    for name, value in _production_env(shipped, ZALO_REFRESH_TOKEN="",
                                       DATABASE_URL=url).items():
        monkeypatch.setenv(name, value)
    assert main(["check-config"]) == 1
    assert "ZALO_REFRESH_TOKEN: not set and none stored" in capsys.readouterr().err
    seed(make_engine(url), "zalo", "Rt5Yh8Uj2Ik4Ol7Pa9Sd3Fg6", datetime.now(UTC))
    assert main(["check-config"]) == 0  # the stored one will do
    assert "configuration OK" in capsys.readouterr().out


def test_check_config_reports_every_deployment_problem(
        shipped: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from sosbot.cli import main

    for name, value in _production_env(shipped, SOSBOT_PUBLIC_URL="http://127.0.0.1:8080",
                                       TELEGRAM_API_BASE="http://127.0.0.1:8081",
                                       MESSENGER_VERIFY_TOKEN="short-Vt7Yu3").items():
        monkeypatch.setenv(name, value)
    assert main(["check-config"]) == 1
    err = capsys.readouterr().err
    assert "SOSBOT_PUBLIC_URL" in err and "TELEGRAM_API_BASE" in err
    assert "MESSENGER_VERIFY_TOKEN: shorter than 16" in err
    assert main(["check-config", "--demo"]) == 0  # the quick start asks none of it


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
