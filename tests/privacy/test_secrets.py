"""Secrets come only from the environment, and production refuses empty, demo, placeholder
or reused ones: ``check-config``, ``serve`` and ``worker`` alike."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from sosbot.cli import demo, main
from sosbot.config import (
    DEMO_AUDIT_KEY,
    DEMO_CALLBACK_SECRET,
    DEMO_TELEGRAM_TOKEN,
    DEMO_WEBHOOK_SECRET,
    load_file_config,
    load_settings,
)
from sosbot.config_checks import problems
from sosbot.core.errors import ConfigError

GOOD = {
    "TELEGRAM_BOT_TOKEN": "7123456789:AAH4k9vXq2Lm8Tn3Rp6Ws1Yz0Bc5De7Fg9H",
    "TELEGRAM_WEBHOOK_SECRET": "Wq8t2Rk5Nz1Lp7Vb4Xc9Md3",
    "SOSBOT_CALLBACK_SECRET": "9f2b7c1e4a8d3f6b0c5e9a2d7f1b4c8e3a6d0f5b",
    "ZALO_APP_ID": "4318765290143567812",
    "ZALO_APP_SECRET": "Kx3Pq9Tz7Lm2Wv5Rn8Bc",
    "ZALO_OA_SECRET_KEY": "Hs4Jd8Fg2Kl6Qw0Er3Ty",
    "MESSENGER_APP_SECRET": "c1d9e7f3a5b2468097e1c3d5f7a9b0c2",
    "MESSENGER_VERIFY_TOKEN": "Vt7Yu3Io9Pa5Sd1Fg",
    "MESSENGER_PAGE_TOKEN": "EAAGm0PX4ZCpsBAKu8Yx2Qv9Lr7Tn3Wc5",
    "SOSBOT_API_TOKEN": "Ap1Bq2Cr3Ds4Et5Fu6Gv7Hw8",
    "SOSBOT_API_PII_TOKEN": "Zy9Xw8Vu7Ts6Rq5Po4Nm3Lk2",
    "SOSBOT_AUDIT_KEY": "e3b7a91c5d2f8046b1c9e7d3a5f2086c4e1b9d7a",
}
DEMO_VALUES = {
    "TELEGRAM_BOT_TOKEN": DEMO_TELEGRAM_TOKEN,
    "TELEGRAM_WEBHOOK_SECRET": DEMO_WEBHOOK_SECRET,
    "SOSBOT_CALLBACK_SECRET": DEMO_CALLBACK_SECRET,
    "SOSBOT_AUDIT_KEY": DEMO_AUDIT_KEY,
    "ZALO_APP_SECRET": demo.DEMO_ZALO_APP_SECRET,
    "ZALO_OA_SECRET_KEY": demo.DEMO_ZALO_OA_SECRET,
    "MESSENGER_APP_SECRET": demo.DEMO_MESSENGER_APP_SECRET,
    "MESSENGER_VERIFY_TOKEN": demo.DEMO_MESSENGER_VERIFY,
    "MESSENGER_PAGE_TOKEN": demo.DEMO_MESSENGER_PAGE_TOKEN,
}
REQUIRED = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET", "SOSBOT_CALLBACK_SECRET",
            "ZALO_APP_ID", "ZALO_APP_SECRET", "ZALO_OA_SECRET_KEY", "MESSENGER_APP_SECRET",
            "MESSENGER_VERIFY_TOKEN", "MESSENGER_PAGE_TOKEN", "SOSBOT_AUDIT_KEY")


@pytest.fixture
def config(tmp_path: Path, ward_data: Path) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"geo": {
        "wards_file": str(ward_data / "hcmc-wards-2025.geojson.gz"),
        "city_file": str(ward_data / "hcmc-city-2025.geojson.gz")}}))
    return path


def found(config: Path, **changes: str) -> str:
    env = {**GOOD, "SOSBOT_CONFIG": str(config), **changes}
    return "\n".join(problems(load_settings(env)))


def test_good_secrets_pass(config: Path) -> None:
    assert found(config) == ""


@pytest.mark.parametrize("name", REQUIRED)
def test_an_empty_secret_of_an_enabled_channel_is_refused(config: Path, name: str) -> None:
    assert name in found(config, **{name: ""})


@pytest.mark.parametrize("name", sorted(DEMO_VALUES))
def test_every_demo_value_is_refused(config: Path, name: str) -> None:
    assert name in found(config, **{name: DEMO_VALUES[name]})


@pytest.mark.parametrize(("name", "value", "why"), [
    ("SOSBOT_CALLBACK_SECRET", "changeme-changeme-changeme-changeme", "placeholder"),
    ("MESSENGER_PAGE_TOKEN", " EAAGm0PX4ZCpsBAKu8Yx2Qv9Lr7Tn3Wc5", "whitespace"),
    ("SOSBOT_CALLBACK_SECRET", "ab" * 20, "different characters"),
    ("SOSBOT_CALLBACK_SECRET", "short-9f2b7c1e", "shorter than 32"),
    ("SOSBOT_API_TOKEN", "Ap1Bq2Cr3", "shorter than 24"),
    ("SOSBOT_API_PII_TOKEN", GOOD["SOSBOT_API_TOKEN"], "SOSBOT_API_TOKEN"),
    ("SOSBOT_AUDIT_KEY", "e3b7a91c5d2f8046b1c9", "shorter than 32"),
    ("SOSBOT_AUDIT_KEY", GOOD["SOSBOT_CALLBACK_SECRET"], "same value"),
    ("TELEGRAM_WEBHOOK_SECRET", GOOD["SOSBOT_CALLBACK_SECRET"], "same value"),
])
def test_weak_secrets_are_refused(config: Path, name: str, value: str, why: str) -> None:
    problems_found = found(config, **{name: value})
    assert name in problems_found and why in problems_found


def test_a_disabled_channel_needs_no_secrets(config: Path) -> None:
    text = yaml.safe_load(config.read_text())
    text["channels"] = {"zalo": {"enabled": False}, "messenger": {"enabled": False}}
    config.write_text(yaml.safe_dump(text))
    assert found(config, ZALO_APP_SECRET="", MESSENGER_PAGE_TOKEN="") == ""


def test_secrets_cannot_be_put_in_config_yaml(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("channels:\n  telegram:\n    bot_token: '7123456789:AAH4k9'\n")
    with pytest.raises(ConfigError, match=r"channels\.telegram\.bot_token"):
        load_file_config(path)


@pytest.mark.parametrize("command", [["serve"], ["worker"], ["check-config"]])
def test_production_commands_refuse_demo_secrets(
        command: list[str], config: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in {**GOOD, **DEMO_VALUES, "SOSBOT_CONFIG": str(config)}.items():
        monkeypatch.setenv(name, value)
    assert main(command) in (1, 2)  # before touching the database, Redis or the network
    err = capsys.readouterr().err
    assert "SOSBOT_CALLBACK_SECRET" in err and "MESSENGER_PAGE_TOKEN" in err


def test_check_config_passes_good_secrets(config: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in {**GOOD, "SOSBOT_CONFIG": str(config),
                        "SOSBOT_PUBLIC_URL": "https://sos.example.vn",
                        "ZALO_REFRESH_TOKEN": "Rt5Yh8Uj2Ik4Ol7Pa9Sd3Fg6"}.items():
        monkeypatch.setenv(name, value)
    assert main(["check-config"]) == 0
    assert "configuration OK" in capsys.readouterr().out


def test_a_demo_worker_talks_only_to_emulators(config: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in {**DEMO_VALUES, "ZALO_APP_ID": demo.DEMO_ZALO_APP_ID,
                        "SOSBOT_CONFIG": str(config)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("TELEGRAM_API_BASE", "http://127.0.0.1:8081")
    monkeypatch.setenv("ZALO_API_BASE", "http://127.0.0.1:8082")
    monkeypatch.setenv("ZALO_OAUTH_BASE", "http://127.0.0.1:8082")
    monkeypatch.setenv("MESSENGER_API_BASE", "https://graph.facebook.com")
    assert main(["worker", "--demo"]) == 2
    err = capsys.readouterr().err
    assert "MESSENGER_API_BASE: https://graph.facebook.com is not on this machine" in err
    assert "TELEGRAM_API_BASE" not in err
