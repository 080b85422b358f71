"""From a platform event to stored state: one transaction per webhook delivery.

In that transaction: the inbound event is recorded (a retried delivery stops here), the
conversation steps, its actions become rows (report, media, audit, outbox), and the new
state is saved. Nothing is sent from here: the outbox rows are queued after the commit.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from sosbot.core.actions import (
    Action,
    AnswerButton,
    AttachToReport,
    ClearButtons,
    RefineReportLocation,
    RememberPhone,
    Reply,
    SubmitReport,
    message_to_dict,
)
from sosbot.core.conversation import Settings, step
from sosbot.core.events import ClockTick, PlatformEvent, ReportSubmitted
from sosbot.core.model import ChatKind, ConversationState
from sosbot.storage import conversations, inbound, outbox, reports
from sosbot.storage.tables import Conversation, Reporter

log = logging.getLogger(__name__)


@dataclass
class IntakeResult:
    """What one delivery changed: rows to queue, and how many events were new."""

    accepted: int = 0
    duplicates: int = 0
    outbox_ids: list[int] = field(default_factory=list)
    media_ids: list[int] = field(default_factory=list)
    report_codes: list[str] = field(default_factory=list)

    def merge(self, other: IntakeResult) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.outbox_ids += other.outbox_ids
        self.media_ids += other.media_ids
        self.report_codes += other.report_codes


def take_events(session: Session, events: list[PlatformEvent], payload: dict[str, Any],
                now: datetime, settings: Settings) -> IntakeResult:
    """Record and process every event of one delivery, in order."""
    result = IntakeResult()
    for event in events:
        channel = event.chat.channel.value
        fresh = inbound.record_once(session, channel=channel, event_id=event.event_id,
                                    kind=type(event).__name__, chat_id=event.chat.chat_id,
                                    payload=payload, now=now)
        if not fresh:
            result.duplicates += 1
            continue
        result.accepted += 1
        if event.chat.kind is ChatKind.PRIVATE and event.sender is not None:
            result.merge(_converse(session, event, now, settings))
        else:
            log.info("%s event %s in group %s: %s", channel, event.event_id,
                     event.chat.chat_id, type(event).__name__)
    session.flush()
    return result


def _converse(session: Session, event: PlatformEvent, now: datetime,
              settings: Settings) -> IntakeResult:
    assert event.sender is not None
    channel = event.chat.channel.value
    reporter = conversations.reporter_for(session, channel, event.sender, now)
    conversation = conversations.locked_conversation(session, channel, event.chat.chat_id,
                                                     reporter.id, now)
    state = conversations.load_state(conversation)
    state, actions = step(state, event, now, settings)
    runner = _ActionRunner(session, conversation, reporter, now, settings)
    state = runner.run(state, actions)
    conversations.save_state(conversation, state, now)
    reporter.lang = state.lang
    session.flush()
    return runner.result


def expire_idle(session: Session, conversation_id: int, now: datetime,
                settings: Settings) -> IntakeResult:
    """Let the clock reach one conversation: an idle draft expires with a message."""
    conversation = session.get(Conversation, conversation_id, with_for_update=True)
    if conversation is None:
        return IntakeResult()
    reporter = session.get(Reporter, conversation.reporter_id) \
        if conversation.reporter_id is not None else None
    state, actions = step(conversations.load_state(conversation), ClockTick(), now, settings)
    runner = _ActionRunner(session, conversation, reporter, now, settings)
    state = runner.run(state, actions)
    conversations.save_state(conversation, state, now)
    session.flush()
    return runner.result


class _ActionRunner:
    """Turns the conversation's actions into rows, feeding storage's answers back in."""

    def __init__(self, session: Session, conversation: Conversation,
                 reporter: Reporter | None, now: datetime, settings: Settings) -> None:
        self.session = session
        self.conversation = conversation
        self.reporter = reporter
        self.now = now
        self.settings = settings
        self.result = IntakeResult()
        self.actor = (f"{conversation.channel}:{reporter.platform_user_id}"
                      if reporter is not None else f"{conversation.channel}:unknown")
        self._rows: list[Any] = []

    def run(self, state: ConversationState, actions: list[Action]) -> ConversationState:
        queue = deque(actions)
        while queue:
            action = queue.popleft()
            if isinstance(action, SubmitReport):
                state, more = self._submit(state, action)
                queue.extendleft(reversed(more))
            else:
                self._apply(action)
        self.session.flush()
        self.result.outbox_ids += [row.id for row in self._rows]
        return state

    def _submit(self, state: ConversationState,
                action: SubmitReport) -> tuple[ConversationState, list[Action]]:
        new = reports.create_report(
            self.session, channel=self.conversation.channel,
            chat_id=self.conversation.chat_id,
            reporter_id=self.reporter.id if self.reporter else None, draft=action.draft,
            lang=state.lang, phone=action.phone, now=self.now, actor=self.actor)
        self.result.media_ids += new.media_ids
        self.result.report_codes.append(new.report.code)
        log.info("report %s created (%s) from %s", new.report.code, new.report.category,
                 self.conversation.channel)
        return step(state, ReportSubmitted(code=new.report.code, draft=action.draft),
                    self.now, self.settings)

    def _queue(self, method: str, payload: dict[str, Any]) -> None:
        self._rows.append(outbox.add(self.session, channel=self.conversation.channel,
                                     chat_id=self.conversation.chat_id, method=method,
                                     payload=payload, now=self.now))

    def _apply(self, action: Action) -> None:
        if isinstance(action, Reply):
            self._queue("message", message_to_dict(action.message))
        elif isinstance(action, AnswerButton):
            self._queue("answer_button", {"callback_id": action.callback_id,
                                          "text": action.text})
        elif isinstance(action, ClearButtons):
            self._queue("clear_buttons", {"message_id": action.message_id})
        elif isinstance(action, AttachToReport):
            report = self._own_report(action.code)
            if report is not None:
                self.result.media_ids += reports.add_extras(
                    self.session, report, text=action.text, refs=action.media, now=self.now,
                    actor=self.actor)
        elif isinstance(action, RefineReportLocation):
            report = self._own_report(action.code)
            if report is not None:
                reports.refine_location(self.session, report, action.location, self.now,
                                        self.actor)
        elif isinstance(action, RememberPhone):
            if self.reporter is not None:
                self.reporter.phone = action.phone
            report = self._own_report(action.code) if action.code else None
            if report is not None:
                report.phone = action.phone
                reports.audit(self.session, actor=self.actor, action="report.phone_shared",
                              now=self.now, report_id=report.id)

    def _own_report(self, code: str | None) -> Any:
        """The report with ``code`` if this resident made it; never someone else's."""
        if code is None:
            return None
        report = reports.by_code(self.session, code, lock=True)
        if report is None or self.reporter is None or report.reporter_id != self.reporter.id:
            log.warning("resident %s referred to report %s that is not theirs", self.actor, code)
            return None
        return report
