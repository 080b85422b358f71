"""One typed send carried out by the side of its platform's adapter the row's destination
picks: a resident's chat through ``ResidentSender``, a group chat through ``GroupSender``.

A group row for a platform without group chats (Messenger) fails for good here, with a
clear message: it is never sent to a person."""

from __future__ import annotations

from sosbot.core.errors import PermanentSendError
from sosbot.core.model import Destination
from sosbot.core.outbox_rows import Album, ButtonAnswer, ButtonsCleared, Edit, Send, Text
from sosbot.core.senders import GroupSender, ResidentSender
from sosbot.delivery.channels import Outbound


async def carry_out(adapter: Outbound, chat_id: str, destination: Destination,
                    send: Send) -> str | None:
    """Send ``send`` to ``chat_id``; the platform's message id when one was created."""
    if destination is Destination.GROUP:
        if not isinstance(adapter, GroupSender):
            raise PermanentSendError(
                f"{adapter.channel} has no group chats: a group row cannot be sent there")
        return await _to_group(adapter, chat_id, send)
    return await _to_resident(adapter, chat_id, send)


async def _to_group(group: GroupSender, chat_id: str, send: Send) -> str | None:
    if isinstance(send, Text):
        return await group.post_text(chat_id, send)
    if isinstance(send, Edit):
        return await group.edit_post(chat_id, send)
    if isinstance(send, Album):
        return await group.post_album(chat_id, send)
    if isinstance(send, ButtonAnswer):
        return await group.answer_group_button(chat_id, send)
    raise PermanentSendError(f"a group chat takes no {type(send).__name__}")


async def _to_resident(resident: ResidentSender, chat_id: str, send: Send) -> str | None:
    if isinstance(send, Text):
        return await resident.send_text(chat_id, send)
    if isinstance(send, Album):
        return await resident.send_album(chat_id, send)
    if isinstance(send, ButtonAnswer):
        return await resident.answer_button(chat_id, send)
    if isinstance(send, ButtonsCleared):
        return await resident.clear_buttons(chat_id, send)
    raise PermanentSendError(f"a resident's chat takes no {type(send).__name__}")
