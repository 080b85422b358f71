"""How long one message may be on each platform, and how much of it each kind of card sent
to a police group may take. The one place these numbers are written: cards, batch cards and
bulletins read them here.

Lengths are in UTF-16 code units (``core/text_units.py``), the stricter reading of every
platform's count. The platforms' own limits, as docs/PLATFORMS.md and
docs/platforms/<name>.md cite them:

- Telegram: sendMessage takes "1-4096 characters after entities parsing", a caption
  "0-1024" (Bot API #sendmessage, #sendphoto).
- Zalo: 2,000 characters a message (error -210 over it), documented for the official
  account's messages; a group message (GMF) is taken to be the same, not yet confirmed.
- Messenger: 2,000 characters a text message (Send API). It has no group chats.

The adapters cut a longer text at these limits (their ``TEXT_LIMIT``; tests/bots hold them
equal to this table), so a text made to fit here arrives whole, its end included.
"""

from __future__ import annotations

#: The longest text one message may carry, per platform.
MESSAGE_UNITS: dict[str, int] = {"telegram": 4096, "zalo": 2000, "messenger": 2000}
#: The longest caption under a photo, where it is shorter than a message.
CAPTION_UNITS: dict[str, int] = {"telegram": 1024}

# Room a card leaves free under its platform's message, per platform (none where absent).
#
# A card alone is rendered again from the database at every send and edit, within the same
# limit, its description giving way first. In a chat shorter than Telegram's the place's
# label and the typed address give way too (``cards.card_text``); on Telegram they are kept
# whole, so a card's fixed lines alone may pass the limit it is given. The room lets such a
# card still arrive whole, its status lines included (tests/bots/telegram/
# test_platform_limits.py sends the longest card a resident's fields can make).
CARD_ROOM: dict[str, int] = {"telegram": 396}
# A batch card is fitted once, when it is first sent; where cards are edited in place as
# officers act (Telegram: ``delivery.card_posts.BUTTON_CHANNELS``) it is rendered again
# without being fitted, each officer's act lengthening its report's status line. The room
# keeps those edits within the message. Where cards are never edited (Zalo's groups) a
# batch card needs none.
BATCH_ROOM: dict[str, int] = {"telegram": 296}


def message_units(channel: str) -> int:
    """The longest text one message on ``channel`` may carry; on a platform not listed,
    the shortest listed."""
    return MESSAGE_UNITS.get(channel, min(MESSAGE_UNITS.values()))


def caption_units(channel: str) -> int:
    """The longest caption under a photo on ``channel``."""
    text = message_units(channel)
    return min(text, CAPTION_UNITS.get(channel, text))


def card_units(channel: str) -> int:
    """How long a card alone posted to a group on ``channel`` may be, any commands hint
    included."""
    return message_units(channel) - CARD_ROOM.get(channel, 0)


def batch_card_units(channel: str) -> int:
    """How long a batch card may be when it is first sent to a group on ``channel``."""
    return message_units(channel) - BATCH_ROOM.get(channel, 0)
