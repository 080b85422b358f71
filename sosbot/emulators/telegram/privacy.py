"""Group privacy mode: which group messages a bot is given.

Telegram (https://core.telegram.org/bots/features#privacy-mode, checked 2026-12-07): privacy
mode is on by default for every bot. A bot in privacy mode that is not an administrator of a
group receives from it only: commands explicitly meant for it (``/command@this_bot``);
general commands (``/start``) if it was the last bot to send a message to the group;
messages sent via it (inline mode, not emulated); replies to its own messages; service
messages. getMe reports the mode as ``can_read_all_group_messages`` (true when it is off).
BotFather's ``/setprivacy`` turns it off; making the bot an administrator lifts it too.

Not settled by the documentation, and modelled here the stricter way: a general command in
a group where no bot has written yet reaches the bot (it is the only candidate); a plain
@mention of the bot is not delivered (BotFather's wording says it is; the features page
does not list it).
"""

from __future__ import annotations

import logging
from typing import Any

from .state import BotState, Chat

log = logging.getLogger(__name__)

SERVICE_FIELDS = frozenset({
    "new_chat_members", "left_chat_member", "new_chat_title", "new_chat_photo",
    "delete_chat_photo", "group_chat_created", "supergroup_chat_created",
    "migrate_to_chat_id", "migrate_from_chat_id", "pinned_message",
    "message_auto_delete_timer_changed", "video_chat_started", "video_chat_ended",
    "forum_topic_created", "forum_topic_closed", "forum_topic_reopened",
})
_ADMIN = ("administrator", "creator")


def reads_everything(bot: BotState, chat: Chat) -> bool:
    """Whether ``bot`` is given every message of ``chat``."""
    if chat.type == "private" or not bot.privacy:
        return True
    return chat.bot_status.get(bot.id) in _ADMIN


def _leading_command(message: dict[str, Any]) -> str | None:
    """The ``/command[@bot]`` a text message starts with, as Telegram marks it."""
    text = message.get("text")
    if not isinstance(text, str):
        return None
    for entity in message.get("entities") or []:
        if entity.get("type") == "bot_command" and entity.get("offset") == 0:
            return text[: int(entity.get("length", 0))]
    return None


def delivered(bot: BotState, chat: Chat, message: dict[str, Any]) -> bool:
    """Whether Telegram gives ``message`` in ``chat`` to ``bot``."""
    if reads_everything(bot, chat):
        return True
    if any(field in message for field in SERVICE_FIELDS):
        return True
    reply = message.get("reply_to_message")
    if isinstance(reply, dict) and (reply.get("from") or {}).get("id") == bot.id:
        return True
    command = _leading_command(message)
    if command is None:
        return False
    _, at, addressee = command.partition("@")
    if at:
        return addressee.lower() == bot.username.lower()
    return chat.last_bot_id in (None, bot.id)
