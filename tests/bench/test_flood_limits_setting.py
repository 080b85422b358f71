"""`channels.telegram.flood_limits`: off only against a Bot API without limits (benchmarks)."""

from __future__ import annotations

from sosbot.bots.telegram.outbound import TelegramOutbound
from sosbot.config import TelegramConfig
from sosbot.core.actions import OutgoingMessage
from sosbot.core.outbox_rows import Text

CARD_TEXT = Text(OutgoingMessage(text="🚨 SOS-260001"))  # a send that posts a message


def test_flood_limits_are_on_unless_configured_off() -> None:
    assert TelegramConfig().flood_limits is True
    assert TelegramConfig.model_validate({"flood_limits": False}).flood_limits is False


def test_without_flood_limits_a_send_counts_against_no_rule() -> None:
    limited = TelegramOutbound("1:token", "http://127.0.0.1:9")
    unlimited = TelegramOutbound("1:token", "http://127.0.0.1:9", flood_limits=False)
    assert {rule.key for rule in limited.rate_rules("-1001", CARD_TEXT)} == {
        "telegram:global", "telegram:chat:-1001", "telegram:group:-1001"}
    assert unlimited.rate_rules("-1001", CARD_TEXT) == []
