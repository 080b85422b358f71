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
