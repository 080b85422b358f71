"""Carrying out what a resident's conversation decided: rows in the database.

The conversation (core) is pure; this turns its actions into reports, media rows, outbox
rows and routing, and feeds storage's answers (the new report's code and where it went)
back into it.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlmodel import Session

from sosbot.core.actions import (
    Action,
    AnswerButton,
    AttachToReport,
    ChangeSubscription,
    ClearButtons,
    ListReports,
    LookUpPlace,
    RefineReportLocation,
    RelayAnswer,
    RememberPhone,
    Reply,
    SubmitReport,
)
from sosbot.core.conversation import Settings as ConversationSettings
from sosbot.core.conversation import step
from sosbot.core.events import (
    ClockTick,
    Event,
    Ignored,
    PlaceCandidatesFound,
    PlatformEvent,
    ReportLine,
    ReportsListed,
    ReportSubmitted,
    SubmitRefused,
    SubscriptionChanged,
)
from sosbot.core.model import (
    ChatKind,
    ConversationState,
    Destination,
    PlaceOption,
    ReportStatus,
)
from sosbot.core.officer_texts import officer_text
from sosbot.core.outbox_rows import (
    ButtonAnswer,
    ButtonsCleared,
    MessageKind,
    Note,
    RowPayload,
    TextRow,
)
from sosbot.core.sanitize import neutralize_mentions, truncate
from sosbot.core.texts import text
from sosbot.residents import held_updates
from sosbot.routing.fanout import Timer, locate, queue_card_edits, route
from sosbot.routing.rules import RoutingRules
from sosbot.storage import (
    conversations,
    deliveries,
    outbox,
    place_lookups,
    reports,
    residents,
    subscriptions,
)
from sosbot.storage.tables import Conversation, Report, Reporter

REFUSAL_NOTICE_EVERY = timedelta(hours=1)
STATUS_DAYS = 30  # how far back /trangthai looks
STATUS_REPORTS = 5  # and how many reports it lists at most
# Platforms whose residents are told at submission how updates reach them: the hours the
# page may message them after their last message (Messenger's standard window; the tags
# that reached further for updates were retired on 2026-04-27).
REPLY_WINDOW_H: dict[str, int] = {"messenger": 24}

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntakePolicy:
    """What intake needs beyond the database: conversation limits and routing rules."""

    conversation: ConversationSettings
    rules: RoutingRules


@dataclass
class IntakeResult:
    """What one delivery changed: rows to queue, timers to start, new events counted."""

    accepted: int = 0
    duplicates: int = 0
    over_limit: int = 0  # residents' messages beyond their messages per minute: not taken
    outbox_ids: list[int] = field(default_factory=list)
    media_ids: list[int] = field(default_factory=list)
    report_codes: list[str] = field(default_factory=list)
    report_categories: list[str] = field(default_factory=list)
    # Per report that missed a chat: "all" (no chat at all) or "ward" (not its ward's).
    unrouted: list[str] = field(default_factory=list)
    timers: list[Timer] = field(default_factory=list)
    place_lookup_ids: list[int] = field(default_factory=list)  # typed places for the worker

    def merge(self, other: IntakeResult) -> None:
        self.accepted += other.accepted
        self.duplicates += other.duplicates
        self.over_limit += other.over_limit
        self.outbox_ids += other.outbox_ids
        self.media_ids += other.media_ids
        self.report_codes += other.report_codes
        self.report_categories += other.report_categories
        self.unrouted += other.unrouted
        self.timers += other.timers
        self.place_lookup_ids += other.place_lookup_ids


def step_resident(session: Session, conversation: Conversation, reporter: Reporter | None,
                  event: Event, now: datetime, policy: IntakePolicy) -> IntakeResult:
    """Step one resident's conversation (its row already locked) and carry out the actions."""
    before = conversations.load_state(conversation)
    if _resident_wrote(event):
        # A new window is open: what was kept for this resident goes first, in one message.
        held_updates.release(session, conversation.channel, conversation.chat_id,
                             before.lang, now)
    state, actions = step(before, event, now, policy.conversation)
    runner = ActionRunner(session, conversation, reporter, now, policy)
    state = runner.run(state, actions)
    conversations.save_state(session, conversation, state, now)
    if reporter is not None and reporter.lang != state.lang:
        reporter.lang = state.lang
    if session.new or session.dirty:
        session.flush()
    return runner.result


def _resident_wrote(event: Event) -> bool:
    """The resident did something (not a receipt, an echo or an edit): a platform's
    messaging window opens again."""
    return isinstance(event, PlatformEvent) and not isinstance(event, Ignored) \
        and event.chat.kind is ChatKind.PRIVATE


class ActionRunner:
    """Turns the conversation's actions into rows, feeding storage's answers back in."""

    def __init__(self, session: Session, conversation: Conversation,
                 reporter: Reporter | None, now: datetime, policy: IntakePolicy) -> None:
        self.session = session
        self.conversation = conversation
        self.reporter = reporter
        self.now = now
        self.policy = policy
        self.result = IntakeResult()
        self.actor = resident_actor(conversation, reporter)
        # The resident's own messages, written together once the actions are carried out.
        self._messages: list[RowPayload] = []

    def run(self, state: ConversationState, actions: list[Action]) -> ConversationState:
        queue = deque(actions)
        while queue:
            action = queue.popleft()
            if isinstance(action, SubmitReport):
                state, more = self._submit(state, action)
                queue.extendleft(reversed(more))
            elif isinstance(action, ChangeSubscription):
                state, more = step(state, self._subscribe(state, action), self.now,
                                   self.policy.conversation)
                queue.extendleft(reversed(more))
            elif isinstance(action, ListReports):
                state, more = step(state, self._list_reports(), self.now,
                                   self.policy.conversation)
                queue.extendleft(reversed(more))
            else:
                self._apply(action)
        outbox.add_messages(self.session, channel=self.conversation.channel,
                            chat_id=self.conversation.chat_id,
                            destination=Destination.RESIDENT, messages=self._messages,
                            now=self.now)
        self._messages = []
        self.session.flush()
        return state

    def _submit(self, state: ConversationState,
                action: SubmitReport) -> tuple[ConversationState, list[Action]]:
        refused = self._over_rate(action)
        if refused is not None:
            return step(state, refused, self.now, self.policy.conversation)
        rules = self.policy.rules
        new = reports.create_report(
            self.session, channel=self.conversation.channel,
            chat_id=self.conversation.chat_id,
            reporter_id=self.reporter.id if self.reporter else None, draft=action.draft,
            lang=state.lang, phone=action.phone, now=self.now, actor=self.actor,
            place=partial(locate, rules=rules))
        self.result.media_ids += new.media_ids
        self.result.report_codes.append(new.report.code)
        self.result.report_categories.append(new.report.category)
        outcome = route(self.session, new.report, self.now, rules, self.actor,
                        media=bool(new.media_ids))
        self.result.timers += outcome.timers
        event = ReportSubmitted(code=new.report.code, draft=action.draft,
                                unit=outcome.unit, duplicate_of=outcome.duplicate_of,
                                location_known=outcome.location_known,
                                reached=None if outcome.duplicate_of else outcome.reached,
                                reply_window_h=REPLY_WINDOW_H.get(self.conversation.channel))
        if outcome.missing is not None:
            self.result.unrouted.append(outcome.missing)
        log.info("report %s created (%s) from %s", new.report.code, new.report.category,
                 self.conversation.channel)
        return step(state, event, self.now, self.policy.conversation)

    def _list_reports(self) -> ReportsListed:
        """The resident's recent reports, newest first: what /trangthai shows."""
        found = residents.recent_reports(
            self.session, self.conversation.channel, self.conversation.chat_id,
            self.now - timedelta(days=STATUS_DAYS), STATUS_REPORTS)
        return ReportsListed(days=STATUS_DAYS, reports=tuple(
            ReportLine(code=r.code, category=r.category, status=r.status,
                       submitted_at_epoch=_aware(r.created_at).timestamp()) for r in found))

    def _over_rate(self, action: SubmitReport) -> SubmitRefused | None:
        """The resident's reports in the past hour reached the limit: hold this one back."""
        limit = self.policy.conversation.reports_per_hour
        since = self.now - timedelta(hours=1)
        recent = residents.created_since(self.session, self.conversation.channel,
                                       self.conversation.chat_id, since)
        if len(recent) < limit:
            return None
        wait = recent[-limit] + timedelta(hours=1) - self.now
        log.warning("%s: %d reports in the past hour (limit %d); holding the next back",
                    self.actor, len(recent), limit)
        reports.audit(self.session, actor=self.actor, action="resident.rate_limited",
                      now=self.now, limit=limit)
        return SubmitRefused(draft=action.draft, limit=limit,
                             retry_after_min=int(wait.total_seconds() // 60) + 1)

    def _subscribe(self, state: ConversationState,
                   action: ChangeSubscription) -> SubscriptionChanged:
        channel, chat_id = self.conversation.channel, self.conversation.chat_id
        if action.scope == "off":
            was = subscriptions.unsubscribe(self.session, channel, chat_id, self.now)
            return SubscriptionChanged(scope="off", was_active=was)
        before = subscriptions.for_chat(self.session, channel, chat_id)
        was = bool(before and before.active)
        ward = residents.last_ward(self.session, channel, chat_id) \
            if action.scope == "ward" else None
        scope = "ward" if ward is not None else "city"
        subscriptions.subscribe(
            self.session, channel=channel, chat_id=chat_id,
            reporter_id=self.reporter.id if self.reporter else None, scope=scope,
            ward_code=ward[0] if ward else None, ward_name=ward[1] if ward else None,
            lang=state.lang, now=self.now)
        log.info("%s subscribed to %s bulletins%s", self.actor, scope,
                 f" ({ward[0]})" if ward else "")
        return SubscriptionChanged(scope=scope, was_active=was,
                                   ward=self._ward_names(*ward) if ward else None,
                                   wanted_ward=action.scope == "ward")

    def _ward_names(self, code: str, name: str) -> dict[str, str]:
        rules = self.policy.rules
        try:
            ward = rules.wards.by_code(code)
        except KeyError:
            ward = None
        if ward is None:
            return {"vi": name, "en": name}
        return {"vi": ward.full_name, "en": ward.full_name_en}

    def _queue(self, row: RowPayload) -> None:
        self._messages.append(row)

    def _apply(self, action: Action) -> None:
        if isinstance(action, Reply):
            self._queue(TextRow(action.message, kind=MessageKind(action.kind)))
        elif isinstance(action, AnswerButton):
            self._queue(ButtonAnswer(action.callback_id, action.text))
        elif isinstance(action, ClearButtons):
            self._queue(ButtonsCleared(action.message_id))
        elif isinstance(action, AttachToReport):
            self._attach(action)
        elif isinstance(action, RefineReportLocation):
            report = self._own_report(action.code)
            if report is not None:
                reports.refine_location(self.session, report, action.location, self.now,
                                        self.actor)
                self._edit_cards(report)
        elif isinstance(action, RememberPhone):
            if self.reporter is not None:
                self.reporter.phone = action.phone
            report = self._own_report(action.code) if action.code else None
            if report is not None:
                report.phone = action.phone
                reports.audit(self.session, actor=self.actor, action="report.phone_shared",
                              now=self.now, report_id=report.id)
                self._edit_cards(report)
        elif isinstance(action, RelayAnswer):
            self._relay(action)
        elif isinstance(action, LookUpPlace):
            if self.conversation.id is not None:
                row = place_lookups.request(self.session, self.conversation.id, action.query,
                                            self.now)
                if row.id is not None:
                    self.result.place_lookup_ids.append(row.id)

    def _attach(self, action: AttachToReport) -> None:
        report = self._own_report(action.code)
        if report is None:
            return
        self.result.media_ids += reports.add_extras(
            self.session, report, text=action.text, refs=action.media, now=self.now,
            actor=self.actor)
        if action.text:
            self._edit_cards(report)

    def _edit_cards(self, report: Report) -> None:
        if report.id is not None \
                and report.status != ReportStatus.DUPLICATE.value:
            queue_card_edits(self.session, report.id, self.now)

    def _relay(self, action: RelayAnswer) -> None:
        """The resident's answer goes under the report's card in every target chat."""
        report = self._own_report(action.code)
        if report is None or report.id is None:
            return
        text = truncate(neutralize_mentions(action.text), 3000)
        for delivery in deliveries.for_report(self.session, report.id):
            if delivery.status != "failed":
                outbox.for_delivery(self.session, delivery, Note(officer_text(
                    "group.resident_answer", code=report.code, answer=text)), self.now)
        reports.audit(self.session, actor=self.actor, action="report.answer", now=self.now,
                      report_id=report.id)

    def _own_report(self, code: str | None) -> Report | None:
        """The report with ``code`` if this resident made it; never someone else's."""
        if code is None:
            return None
        report = reports.by_code(self.session, code, lock=True)
        if report is None or self.reporter is None or report.reporter_id != self.reporter.id:
            log.warning("resident %s referred to report %s that is not theirs", self.actor, code)
            return None
        return report


def resident_actor(conversation: Conversation, reporter: Reporter | None) -> str:
    """Who a resident is in the audit log and the logs: the reporter row's id, never the
    platform user id. The audit chain is never rewritten, so what it names must become
    anonymous when ``sosbot purge`` anonymises the reporter row."""
    if reporter is None or reporter.id is None:
        return f"resident:{conversation.channel}:unknown"
    return f"resident:{reporter.id}"


def refuse_blocked(session: Session, conversation: Conversation, reporter: Reporter,
                   now: datetime) -> list[int]:
    """A blocked resident wrote: nothing is stepped; a short notice at most once an hour."""
    actor = resident_actor(conversation, reporter)
    if residents.audited_since(session, actor=actor, action="resident.refused",
                             since=now - REFUSAL_NOTICE_EVERY):
        log.info("%s is blocked; message dropped (notice already given)", actor)
        return []
    log.warning("%s is blocked; message refused with a notice", actor)
    reports.audit(session, actor=actor, action="resident.refused", now=now)
    lang = conversations.load_state(conversation).lang
    row = outbox.add(session, channel=conversation.channel, chat_id=conversation.chat_id,
                     destination=Destination.RESIDENT,
                     row=TextRow.plain(text(lang, "blocked")), now=now)
    session.flush()
    return [row.id] if row.id is not None else []


def refuse_over_rate(session: Session, conversation: Conversation, reporter: Reporter,
                     now: datetime, limit: int) -> None:
    """A resident's first message beyond their messages per minute: not stepped, and one
    notice (intake gives it once a minute) saying to wait and send it again, or to call."""
    actor = resident_actor(conversation, reporter)
    log.warning("%s sent more than %d messages in a minute; the rest of the minute is "
                "dropped, with a notice", actor, limit)
    reports.audit(session, actor=actor, action="resident.over_message_limit", now=now,
                  limit=limit)
    lang = conversations.load_state(conversation).lang
    outbox.add(session, channel=conversation.channel, chat_id=conversation.chat_id,
               destination=Destination.RESIDENT,
               row=TextRow.plain(text(lang, "too_many_messages", limit=limit)), now=now)
    session.flush()


def expire_idle(session: Session, conversation_id: int, now: datetime,
                policy: IntakePolicy) -> IntakeResult:
    """Let the clock reach one conversation: an idle draft expires with a message."""
    conversation = session.get(Conversation, conversation_id, with_for_update=True)
    if conversation is None:
        return IntakeResult()
    reporter = session.get(Reporter, conversation.reporter_id) \
        if conversation.reporter_id is not None else None
    result = step_resident(session, conversation, reporter, ClockTick(), now, policy)
    result.outbox_ids = outbox.take_added(session)
    return result


def place_candidates_found(session: Session, lookup_id: int, now: datetime,
                           policy: IntakePolicy) -> IntakeResult:
    """A typed place's lookup is done: its conversation hears the candidates (the resident
    is asked "Có phải ở đây không?" unless they have moved on). The lookup row must be
    recorded (``storage.place_lookups.record``) in this transaction."""
    row = place_lookups.get(session, lookup_id)
    if row is None:
        return IntakeResult()
    conversation = session.get(Conversation, row.conversation_id, with_for_update=True)
    if conversation is None:
        return IntakeResult()
    reporter = session.get(Reporter, conversation.reporter_id) \
        if conversation.reporter_id is not None else None
    options = tuple(PlaceOption.model_validate(_option_fields(c)) for c in row.candidates)
    event = PlaceCandidatesFound(query=row.query, options=options,
                                 online=row.status == place_lookups.DONE)
    result = step_resident(session, conversation, reporter, event, now, policy)
    result.outbox_ids = outbox.take_added(session)
    return result


def _option_fields(candidate: dict[str, Any]) -> dict[str, Any]:
    """A stored candidate (geo's Candidate.as_dict, with the wards' full names when the
    worker added them) → PlaceOption's fields."""
    name = str(candidate.get("ward_full_name") or candidate.get("ward_name") or "")
    return {"ward_code": str(candidate["ward_code"]), "ward_name": name,
            "ward_name_en": str(candidate.get("ward_full_name_en") or name),
            "lat": float(candidate["lat"]), "lon": float(candidate["lon"]),
            "label": str(candidate.get("label") or name),
            "how": str(candidate.get("how") or "nominatim")}


def _aware(at: datetime) -> datetime:
    """SQLite hands back naive datetimes; they are UTC."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
