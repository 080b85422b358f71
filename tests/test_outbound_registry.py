"""Outbound adapters are registered by name; the wiring builds one per enabled channel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sosbot.bots.messenger.outbound import MessengerOutbound
from sosbot.bots.registry import AdapterRegistry, UnknownAdapter
from sosbot.config import ChannelsConfig, Settings, load_settings
from sosbot.loop_thread import BackgroundLoop
from sosbot.runtime import OUTBOUND, OutboundWiring, enabled_channels, outbound_adapters

TOKENS = {"TELEGRAM_BOT_TOKEN": "123456:test-token", "ZALO_APP_ID": "1234",
          "MESSENGER_PAGE_TOKEN": "page-token"}


def _settings(tmp_path: Path, enabled: set[str]) -> Settings:
    config = tmp_path / "config.yaml"
    config.write_text("channels:\n" + "".join(
        f"  {name}:\n    enabled: {'true' if name in enabled else 'false'}\n"
        for name in ChannelsConfig.model_fields))
    return load_settings({"SOSBOT_CONFIG": str(config), **TOKENS})


@pytest.fixture
def loop() -> Iterator[BackgroundLoop]:
    running = BackgroundLoop().start()
    yield running
    running.stop()


def test_every_channel_in_the_config_has_a_registered_adapter() -> None:
    assert OUTBOUND.names() == set(ChannelsConfig.model_fields) == \
        {"telegram", "zalo", "messenger"}


def test_an_enabled_channel_gets_its_adapter_and_a_disabled_one_none(
        tmp_path: Path, loop: BackgroundLoop) -> None:
    # Telegram off keeps the test off the network (its factory asks getMe).
    settings = _settings(tmp_path, {"messenger"})
    assert enabled_channels(settings) == ["messenger"]
    adapters = outbound_adapters(settings, loop)
    assert set(adapters) == {"messenger"}
    assert isinstance(adapters["messenger"], MessengerOutbound)

    assert outbound_adapters(_settings(tmp_path, set()), loop) == {}


def test_a_channel_without_what_its_factory_needs_gets_none(
        tmp_path: Path, loop: BackgroundLoop) -> None:
    # Zalo keeps its rotating tokens in the database: without one there is no adapter.
    settings = _settings(tmp_path, {"zalo", "messenger"})
    assert set(outbound_adapters(settings, loop, engine=None)) == {"messenger"}


def test_an_unknown_name_is_refused_with_the_known_ones(
        tmp_path: Path, loop: BackgroundLoop) -> None:
    wiring = OutboundWiring(_settings(tmp_path, set()), loop)
    with pytest.raises(UnknownAdapter,
                       match=r"no outbound adapter is registered as 'signal' "
                             r"\(known: messenger, telegram, zalo\)"):
        OUTBOUND.build("signal", wiring)


def test_a_name_is_registered_once() -> None:
    registry: AdapterRegistry[int, str] = AdapterRegistry("test adapter")
    registry.register("telegram")(str)
    with pytest.raises(ValueError, match="already registered as 'telegram'"):
        registry.register("telegram")(repr)
    assert registry.build("telegram", 7) == "7"
