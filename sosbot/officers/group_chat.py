"""What officers do in their group chats: bind the group, act on reports, ask the resident.

Every action is checked against the chat it came from: a button press must carry data
signed by this server for a delivery *to this chat*; a command must name a report
delivered *to this chat*. Anything else is refused with a short answer, and nothing changes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session

from sosbot.command_centre import posting
from sosbot.core.callbacks import CallbackRefused, OfficerAction, looks_signed, verify
from sosbot.core.events import (
    ButtonPressed,
    ChatMigrated,
    CommandReceived,
    MembershipChanged,
    OfficerAsked,
    PlatformEvent,
    TextReceived,
)
from sosbot.core.model import Destination
from sosbot.core.officer_texts import officer_text
from sosbot.core.outbox_rows import ButtonAnswer, DigestImages, TextRow
from sosbot.core.sanitize import clean_user_text, fold
from sosbot.officers import acks, command_actions, command_chat
from sosbot.residents.actions import IntakePolicy, IntakeResult, step_resident
from sosbot.routing.alerts import tell_command_centre
from sosbot.routing.rules import COMMAND, RoutingRules
from sosbot.storage import bindings, conversations, deliveries, outbox, reports
from sosbot.storage.tables import Binding, Delivery, Report, Reporter

log = logging.getLogger(__name__)

ACK_COMMANDS = {
    "ack": OfficerAction.ACKNOWLEDGE, "nhan": OfficerAction.ACKNOWLEDGE,
    "tiepnhan": OfficerAction.ACKNOWLEDGE,
    "dangxuly": OfficerAction.IN_PROGRESS, "xuly": OfficerAction.IN_PROGRESS,
    "xong": OfficerAction.RESOLVE, "done": OfficerAction.RESOLVE,
    "resolved": OfficerAction.RESOLVE,
    "sai": OfficerAction.FALSE_REPORT, "false": OfficerAction.FALSE_REPORT,
    "tach": OfficerAction.SPLIT, "split": OfficerAction.SPLIT,
}
ACK_WORDS = {"nhan", "ok", "da nhan", "ack", "tiep nhan", "da tiep nhan"}
ASK_COMMANDS = {"hoi", "ask"}
MAX_BIND_FAILURES_PER_HOUR = 5
QUESTION_CHARS = 1000


class _Group:
    """One group event being handled: the chat, its binding, and the answers to give."""

    def __init__(self, session: Session, event: PlatformEvent, now: datetime,
                 policy: IntakePolicy) -> None:
        self.session = session
        self.event = event
        self.now = now
        self.policy = policy
        self.rules: RoutingRules = policy.rules
        self.channel = event.chat.channel.value
        self.chat_id = event.chat.chat_id
        self.binding = bindings.by_chat(session, self.channel, self.chat_id)
        self.result = IntakeResult()

    @property
    def actor(self) -> str:
        sender = self.event.sender
        return f"{self.channel}:{sender.user_id if sender else 'unknown'}"

    def say(self, text: str) -> None:
        """Answer in the group, under the message that asked."""
        outbox.add(self.session, channel=self.channel, chat_id=self.chat_id,
                   destination=Destination.GROUP,
                   row=TextRow.plain(text, reply_to=self.event.message_id or None),
                   now=self.now)

    def answer_button(self, text: str) -> None:
        assert isinstance(self.event, ButtonPressed)
        if self.event.callback_id:
            outbox.add(self.session, channel=self.channel, chat_id=self.chat_id,
                       destination=Destination.GROUP,
                       row=ButtonAnswer(self.event.callback_id, text), now=self.now)

    def bound(self) -> Binding | None:
        return self.binding if self.binding is not None and \
            self.binding.status == bindings.ACTIVE else None

    def target_name(self, binding: Binding) -> str:
        return self.rules.unit(binding.target_kind, binding.target_code).vi

    # -- events -------------------------------------------------------------------------

    def on_membership(self, event: MembershipChanged) -> None:
        if event.joined:
            if self.bound() is None:
                self.say(officer_text("group.welcome"))
            return
        binding = self.bound()
        if binding is None:
            return
        bindings.mark_dead(binding, f"bot removed ({event.status})", self.now)
        reports.audit(self.session, actor=self.actor, action="binding.lost", now=self.now,
                      chat=f"{self.channel}:{self.chat_id}", target=binding.target_code)
        tell_command_centre(self.session, officer_text(
            "group.bot_removed", title=binding.title or self.chat_id,
            unit=self.target_name(binding)), self.now, except_binding=binding.id)

    def on_migrated(self, event: ChatMigrated) -> None:
        bindings.move_chat(self.session, self.channel, self.chat_id, event.new_chat_id)
        moved = deliveries.move_chat(self.session, self.channel, self.chat_id,
                                     event.new_chat_id)
        log.info("%s group %s became %s (%d deliveries moved)", self.channel, self.chat_id,
                 event.new_chat_id, moved)

    def on_command(self, event: CommandReceived) -> None:
        name = fold(event.name).replace(" ", "")
        if name == "bind":
            self.bind(event.args)
        elif name == "unbind":
            self.unbind()
        elif name in ACK_COMMANDS:
            delivery = self.delivery_named(event.args)
            if delivery is not None:
                self.act(delivery, ACK_COMMANDS[name], reply=self.say)
        elif name in ASK_COMMANDS:
            self.ask(event.args)
        elif name.replace("_", "") in command_actions.COMMANDS:
            if not self.in_command_centre():
                return
            asked = command_actions.Asked(self.session, self.rules, self.channel,
                                          self.chat_id, self.actor, self.now)
            self.say(command_actions.COMMANDS[name.replace("_", "")](asked, event.args))
        elif name in command_chat.COMMANDS:
            if not self.in_command_centre():
                return
            self.say(command_chat.COMMANDS[name](self.session, event.args, self.rules,
                                                 self.now))
            if name in command_chat.WITH_IMAGES:
                span = posting.period(event.args)
                outbox.add(self.session, channel=self.channel, chat_id=self.chat_id,
                           destination=Destination.GROUP,
                           row=DigestImages(since=self.now - span, until=self.now),
                           now=self.now, priority=outbox.ROUTINE)  # after the cards

    def in_command_centre(self) -> bool:
        binding = self.bound()
        if binding is None or binding.target_kind != COMMAND:
            self.say(officer_text("group.command_centre_only"))
            return False
        return True

    def on_text(self, event: TextReceived) -> None:
        if event.reply_to_message_id and fold(event.text) in ACK_WORDS:
            delivery = self.delivery_named("")
            if delivery is not None:
                self.act(delivery, OfficerAction.ACKNOWLEDGE, reply=self.say)

    def on_button(self, event: ButtonPressed) -> None:
        if not looks_signed(event.data):
            self.answer_button(officer_text("group.button_foreign"))
            return
        try:
            signed = verify(self.rules.callback_secret, event.data, self.now.timestamp())
        except CallbackRefused as exc:
            log.warning("refused button from %s in %s:%s (%s)", self.actor, self.channel,
                        self.chat_id, exc)
            self.answer_button(officer_text("group.button_refused"))
            return
        delivery = self.session.get(Delivery, signed.delivery_id)
        if delivery is None or (delivery.channel, delivery.chat_id) != \
                (self.channel, self.chat_id) or self.bound() is None:
            log.warning("refused button for delivery %s from %s:%s", signed.delivery_id,
                        self.channel, self.chat_id)
            self.answer_button(officer_text("group.button_not_assigned"))
            return
        self.act(delivery, signed.action, reply=self.answer_button)

    # -- actions ------------------------------------------------------------------------

    def bind(self, code: str) -> None:
        since = self.now - timedelta(hours=1)
        chat_actor = f"{self.channel}:{self.chat_id}"
        if bindings.failed_attempts(self.session, self.channel, self.chat_id, since) >= \
                MAX_BIND_FAILURES_PER_HOUR:
            self.say(officer_text("group.bind_too_many"))
            return
        title = self.binding.title if self.binding else ""
        binding = bindings.redeem(self.session, code, channel=self.channel,
                                  chat_id=self.chat_id, title=title, by=self.actor,
                                  now=self.now) if code.strip() else None
        if binding is None:
            reports.audit(self.session, actor=chat_actor, action="binding.refused",
                          now=self.now)
            self.say(officer_text("group.bind_refused"))
            return
        self.binding = binding
        reports.audit(self.session, actor=self.actor, action="binding.created", now=self.now,
                      chat=chat_actor, kind=binding.target_kind, target=binding.target_code)
        self.say(officer_text("group.bound", unit=self.target_name(binding)))

    def unbind(self) -> None:
        sender = self.event.sender
        admins = self.rules.config.administrators.get(self.channel, [])
        binding = self.bound()
        if sender is None or sender.user_id not in admins:
            self.say(officer_text("group.unbind_admins_only"))
            return
        if binding is None:
            self.say(officer_text("group.not_bound"))
            return
        bindings.mark_dead(binding, f"unbound by {self.actor}", self.now)
        reports.audit(self.session, actor=self.actor, action="binding.removed", now=self.now,
                      chat=f"{self.channel}:{self.chat_id}")
        self.say(officer_text("group.unbound", unit=self.target_name(binding)))

    def delivery_named(self, args: str) -> Delivery | None:
        """The delivery to this chat named by a report code, or by the card replied to."""
        code = args.strip().split()[0].upper() if args.strip() else ""
        delivery = None
        if code:
            delivery = deliveries.in_chat_for_code(self.session, self.channel, self.chat_id,
                                                   code)
        elif self.event.reply_to_message_id:
            under = deliveries.sharing_card(self.session, self.channel, self.chat_id,
                                            self.event.reply_to_message_id)
            if len(under) > 1:
                codes = [report.code for d in under
                         if (report := self.session.get(Report, d.report_id)) is not None]
                self.say(officer_text("group.batch_needs_code", codes=", ".join(codes),
                                      first=codes[0]))
                return None
            delivery = under[0] if under else None
        if delivery is None or self.bound() is None:
            what = officer_text("group.report_named", code=code) if code \
                else officer_text("group.report_this")
            self.say(officer_text("group.not_assigned", what=what))
            return None
        return delivery

    def act(self, delivery: Delivery, action: OfficerAction,
            reply: Callable[[str], None]) -> None:
        officer = self.event.sender
        if officer is None:
            return
        answer, timers = acks.act(self.session, delivery, action, officer, self.now,
                                  self.rules)
        self.result.timers += timers
        reply(answer)

    def ask(self, args: str) -> None:
        """``/hoi <câu hỏi>`` under a card: the question goes to the resident."""
        words = args.strip().split(maxsplit=1)
        code_given = bool(words) and words[0].upper().startswith("SOS-")
        delivery = self.delivery_named(words[0] if code_given else "")
        if delivery is None:
            return
        question = clean_user_text(words[1] if code_given and len(words) > 1 else args,
                                   QUESTION_CHARS)
        if not question:
            self.say(officer_text("group.ask_empty"))
            return
        report = self.session.get(Report, delivery.report_id)
        assert report is not None
        conversation = conversations.locked_conversation(
            self.session, report.channel, report.chat_id, report.reporter_id, self.now)
        reporter = self.session.get(Reporter, report.reporter_id) \
            if report.reporter_id is not None else None
        unit = self.rules.unit(delivery.role, delivery.target_code)
        self.result.merge(step_resident(
            self.session, conversation, reporter,
            OfficerAsked(code=report.code, question=question, unit=unit.names), self.now,
            self.policy))
        reports.audit(self.session, actor=self.actor, action="report.question", now=self.now,
                      report_id=report.id)
        self.say(officer_text("group.ask_relayed"))


_HANDLERS: dict[type, Callable[[_Group, PlatformEvent], None]] = {
    MembershipChanged: _Group.on_membership,  # type: ignore[dict-item]
    ChatMigrated: _Group.on_migrated,  # type: ignore[dict-item]
    CommandReceived: _Group.on_command,  # type: ignore[dict-item]
    TextReceived: _Group.on_text,  # type: ignore[dict-item]
    ButtonPressed: _Group.on_button,  # type: ignore[dict-item]
}


def handle_group_event(session: Session, event: PlatformEvent, now: datetime,
                       policy: IntakePolicy) -> IntakeResult:
    """Carry out one event from a group chat."""
    group = _Group(session, event, now, policy)
    handler = _HANDLERS.get(type(event))
    if handler is not None:
        handler(group, event)
    return group.result
