"""The resident's guided conversation, as a pure function.

``step(state, event, now)`` returns the new state and the actions to carry out. No I/O:
storage persists the state and turns actions into outbox rows, so every dialogue path
is a fast unit test.

The bot asks only for what is still missing, in this order: category, place,
description (skippable once there is a photo), photos/video (skippable), confirmation.
A resident may start with anything: a text, a pin, a photo, a command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sosbot.core.actions import (
    Action,
    AnswerButton,
    AttachToReport,
    Choice,
    ClearButtons,
    OutgoingMessage,
    RefineReportLocation,
    RelayAnswer,
    RememberPhone,
    Reply,
    SubmitReport,
)
from sosbot.core.events import (
    ButtonPressed,
    ClockTick,
    CommandReceived,
    ContactShared,
    Event,
    LocationReceived,
    MediaReceived,
    OfficerAsked,
    PlatformEvent,
    ReportSubmitted,
    TextReceived,
    UnsupportedReceived,
)
from sosbot.core.model import (
    Category,
    ChatKind,
    ConversationState,
    Draft,
    LocationSource,
    PendingQuestion,
    Stage,
    SubmittedReport,
)
from sosbot.core.sanitize import clean_user_text, fold
from sosbot.core.summary import render_summary
from sosbot.core.texts import LANGUAGES, category_label, text
from sosbot.core.vocabulary import (
    CANCEL_WORDS,
    CATEGORY_ORDER,
    CATEGORY_WORDS,
    DONE_WORDS,
    GREETINGS,
    SUBMIT_WORDS,
)


@dataclass(frozen=True)
class Settings:
    """Limits and the one question the core cannot answer alone (is a point in the city?)."""

    in_service_area: Callable[[float, float], bool] = field(default=lambda lat, lon: True)
    draft_ttl_s: int = 30 * 60
    extras_window_s: int = 15 * 60
    max_media_bytes: int = 20 * 1024 * 1024
    max_description_chars: int = 3000
    max_address_chars: int = 300
    question_window_s: int = 60 * 60  # how long a resident's next text answers an officer


DEFAULT_SETTINGS = Settings()


def step(
    state: ConversationState, event: Event, now: datetime, settings: Settings = DEFAULT_SETTINGS
) -> tuple[ConversationState, list[Action]]:
    """Advance the conversation by one event. Pure: same inputs, same outputs."""
    turn = _Turn(state, now.timestamp(), settings)
    turn.handle(event)
    return turn.state, turn.actions


class _Turn:
    """The working copy of one step; ``state`` and ``actions`` are the result."""

    def __init__(self, state: ConversationState, now: float, settings: Settings) -> None:
        self.state = state
        self.now = now
        self.settings = settings
        self.actions: list[Action] = []

    # -- dispatch ---------------------------------------------------------------------------

    def handle(self, event: Event) -> None:
        if isinstance(event, ClockTick):
            self._expire_if_idle()
            return
        if isinstance(event, ReportSubmitted):
            self._report_submitted(event)
            return
        if isinstance(event, OfficerAsked):
            self._officer_asked(event)
            return
        if event.chat.kind is not ChatKind.PRIVATE:
            return  # group chats are the officers' side, handled by routing
        self._expire_if_idle()
        self._set(last_activity_epoch=self.now)
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

    # -- state helpers ----------------------------------------------------------------------

    def _set(self, **changes: object) -> None:
        self.state = self.state.model_copy(update=changes)

    def _set_draft(self, **changes: object) -> None:
        draft = self.state.draft or Draft()
        self._set(draft=draft.model_copy(update=changes))

    @property
    def draft(self) -> Draft:
        return self.state.draft or Draft()

    def t(self, key: str, **params: object) -> str:
        return text(self.state.lang, key, **params)

    def reply(self, message: OutgoingMessage) -> None:
        if message.choices:
            values = tuple(c.value for row in message.choices for c in row)
            self._set(offered=values)
            numbers = ", ".join(str(i + 1) for i in range(len(values)))
            message = replace(message, choice_hint=self.t("choose_by_number", numbers=numbers))
        if message.request is not None:
            self._set(reply_keyboard=True)
        elif self.state.reply_keyboard and not message.choices:
            message = replace(message, remove_keyboard=True)
            self._set(reply_keyboard=False)
        self.actions.append(Reply(message))

    def say(self, key: str, **params: object) -> None:
        self.reply(OutgoingMessage(text=self.t(key, **params)))

    def _in_extras_window(self) -> SubmittedReport | None:
        last = self.state.last_report
        if self.state.draft is None and last is not None:
            if self.now - last.submitted_at_epoch <= self.settings.extras_window_s:
                return last
        return None

    def _add_description(self, value: str) -> None:
        cleaned = clean_user_text(value, self.settings.max_description_chars)
        if not cleaned:
            return
        joined = f"{self.draft.description}\n{cleaned}" if self.draft.description else cleaned
        self._set_draft(description=clean_user_text(joined, self.settings.max_description_chars))

    # -- questions --------------------------------------------------------------------------

    def ask_next(self, prefix: str | None = None) -> None:
        """Ask for the first thing still missing, or show the summary to confirm."""
        d = self.draft
        lead = f"{prefix}\n\n" if prefix else ""
        if d.category is None:
            self._set(stage=Stage.CATEGORY)
            self.reply(OutgoingMessage(text=lead + self.t("ask_category"),
                                       choices=self._category_choices()))
        elif not d.has_place:
            self._set(stage=Stage.LOCATION)
            self.reply(OutgoingMessage(text=lead + self.t("ask_location"), request="location",
                                       request_label=self.t("button_send_location")))
        elif not d.description and (not d.media or not d.description_asked):
            self._set(stage=Stage.DESCRIPTION)
            self._set_draft(description_asked=True)
            skip = ((Choice(self.t("button_skip"), "skip"),),) if d.media else ()
            self.reply(OutgoingMessage(text=lead + self.t("ask_description"), choices=skip))
        elif not d.media and not d.media_asked:
            self._set(stage=Stage.MEDIA)
            self._set_draft(media_asked=True)
            self.reply(OutgoingMessage(text=lead + self.t("ask_media"),
                                       choices=((Choice(self.t("button_skip"), "skip"),),)))
        else:
            self._set(stage=Stage.CONFIRM)
            self.reply(OutgoingMessage(text=lead + self._summary(), choices=(
                (Choice(self.t("button_submit"), "submit"),
                 Choice(self.t("button_cancel"), "cancel")),
            )))

    def _category_choices(self) -> tuple[tuple[Choice, ...], ...]:
        return tuple(
            (Choice(category_label(self.state.lang, c), f"cat:{c.value}"),)
            for c in CATEGORY_ORDER
        )

    def _summary(self) -> str:
        return render_summary(self.draft, self.state.lang)

    # -- lifecycle ----------------------------------------------------------------------------

    def _expire_if_idle(self) -> None:
        last = self.state.last_activity_epoch
        if self.state.draft is None or last is None:
            return
        if self.now - last >= self.settings.draft_ttl_s:
            self._set(draft=None, stage=Stage.IDLE)
            self.say("expired", minutes=self.settings.draft_ttl_s // 60)

    def _start(self, greet: bool) -> None:
        self._set(draft=Draft(), stage=Stage.IDLE)
        self.ask_next(self.t("greeting") if greet else None)

    def _cancel(self) -> None:
        if self.state.draft is None:
            self.say("nothing_to_cancel")
            return
        self._set(draft=None, stage=Stage.IDLE)
        self.say("cancelled")

    def _submit(self) -> None:
        d = self.state.draft
        if d is None:
            self.say("already_submitted")
            return
        if d.category is None or not d.has_place or not (d.description or d.media):
            self.ask_next()
            return
        self.actions.append(SubmitReport(draft=d, phone=self.state.phone))
        self._set(draft=None, stage=Stage.IDLE)

    def _report_submitted(self, event: ReportSubmitted) -> None:
        draft = event.draft
        self._set(
            last_report=SubmittedReport(
                code=event.code, submitted_at_epoch=self.now,
                location_message_id=draft.location_message_id,
                live_until_epoch=draft.live_until_epoch,
                album_ids=draft.album_ids,
            ),
            reports_submitted=self.state.reports_submitted + 1,
        )
        if event.duplicate_of:
            text_ = self.t("duplicate_submitted", code=event.duplicate_of)
        else:
            if not event.location_known:
                routing = self.t("location_unknown")
            elif event.unit:
                unit = event.unit.get(self.state.lang) or event.unit.get("vi", "")
                routing = self.t("routed_to_unit", unit=unit)
            else:
                routing = self.t("routed_generic")
            text_ = self.t("submitted", code=event.code, routing=routing)
        self.reply(OutgoingMessage(text=text_, choices=(
            (Choice(self.t("button_new_report"), "new"),),
        )))
        if self.state.phone is None:
            self.reply(OutgoingMessage(text=self.t("offer_phone"), request="contact",
                                       request_label=self.t("button_share_phone")))

    def _officer_asked(self, event: OfficerAsked) -> None:
        unit = event.unit.get(self.state.lang) or event.unit.get("vi", "")
        self._set(question=PendingQuestion(
            code=event.code, until_epoch=self.now + self.settings.question_window_s))
        self.say("officer_question", unit=unit, code=event.code, question=event.question)

    # -- event handlers ---------------------------------------------------------------------

    def on_command(self, event: CommandReceived) -> None:
        name = event.name
        if name == "start":
            if self.state.draft is not None:
                self.ask_next(self.t("draft_continue"))
            else:
                self._start(greet=True)
        elif name in ("new", "moi"):
            self._start(greet=False)
        elif name in ("cancel", "huybao"):
            self._cancel()
        elif name in ("help", "trogiup"):
            self.say("help")
        elif name in ("lang", "language", "ngonngu"):
            wanted = event.args.strip().lower()
            if wanted in LANGUAGES:
                self._switch_lang(wanted)
            else:
                self.reply(OutgoingMessage(text=self.t("choose_lang"), choices=(
                    (Choice("Tiếng Việt", "lang:vi"), Choice("English", "lang:en")),
                )))
        else:
            self.say("unknown_command")

    def _switch_lang(self, lang: str) -> None:
        self._set(lang=lang)
        self.say("lang_switched")
        if self.state.draft is not None:
            self.ask_next()

    def on_text(self, event: TextReceived) -> None:
        raw = clean_user_text(event.text, self.settings.max_description_chars)
        if not raw:
            if self.state.draft is not None:
                self.ask_next()
            return
        folded = fold(raw)
        question = self.state.question
        if question is not None and self.now <= question.until_epoch \
                and self.state.draft is None:
            self.actions.append(RelayAnswer(code=question.code, text=raw))
            self._set(question=None)
            self.say("answer_relayed")
            return
        picked = self._typed_choice(folded)
        if picked is not None:
            self.on_button(ButtonPressed(data=picked, chat=event.chat, sender=event.sender,
                                         event_id=event.event_id))
            return
        extras = self._in_extras_window()
        if extras is not None and folded not in GREETINGS:
            self.actions.append(AttachToReport(code=extras.code, text=raw))
            self.say("extra_attached", code=extras.code)
            return
        if self.state.draft is None:
            if folded in GREETINGS:
                self._start(greet=True)
                return
            self._set(draft=Draft())
            if folded in CATEGORY_WORDS and not folded.isdigit():
                self._set_draft(category=CATEGORY_WORDS[folded])
            else:
                self._add_description(raw)
            self.ask_next()
            return
        stage = self.state.stage
        if stage is Stage.CATEGORY:
            category = CATEGORY_WORDS.get(folded)
            if category is not None:
                self._set_draft(category=category)
                self.ask_next()
            else:
                self._add_description(raw)
                self.reply(OutgoingMessage(text=self.t("ask_category_again"),
                                           choices=self._category_choices()))
        elif stage is Stage.LOCATION:
            self._set_draft(address_text=clean_user_text(raw, self.settings.max_address_chars))
            self.ask_next()
        elif stage is Stage.MEDIA and folded in DONE_WORDS:
            self.ask_next()
        elif stage is Stage.CONFIRM and folded in SUBMIT_WORDS:
            self._submit()
        elif stage is Stage.CONFIRM and folded in CANCEL_WORDS:
            self._cancel()
        else:
            self._add_description(raw)
            self.ask_next()

    def _typed_choice(self, folded: str) -> str | None:
        """A number typed in answer to the last choices shown ("2" → its value)."""
        offered = self.state.offered
        if not folded.isdigit() or not offered or self.state.draft is None:
            return None
        index = int(folded) - 1
        return offered[index] if 0 <= index < len(offered) else None

    def on_location(self, event: LocationReceived) -> None:
        loc = event.location
        if event.is_update:
            self._refine(event)
            return
        if not loc.in_range:
            self.say("location_invalid")
            return
        if not self.settings.in_service_area(loc.lat, loc.lon):
            self.say("location_outside")
            return
        if self.state.draft is None:
            self._set(draft=Draft())
        live_until = self.now + event.live_period_s if event.live_period_s else None
        source = LocationSource.LIVE if event.live_period_s else loc.source
        self._set_draft(
            location=loc.model_copy(update={"source": source}),
            location_message_id=event.message_id,
            live_until_epoch=live_until,
        )
        self.ask_next()

    def _refine(self, event: LocationReceived) -> None:
        """A live location moved: follow it silently while it is live."""
        loc = event.location
        if not loc.in_range or not self.settings.in_service_area(loc.lat, loc.lon):
            return
        d = self.state.draft
        moved = loc.model_copy(update={"source": LocationSource.LIVE})
        if d is not None and d.location_message_id == event.message_id:
            self._set_draft(location=moved)
            return
        last = self.state.last_report
        if (
            last is not None
            and last.location_message_id == event.message_id
            and last.live_until_epoch is not None
            and self.now <= last.live_until_epoch
        ):
            self.actions.append(RefineReportLocation(code=last.code, location=moved))

    def on_media(self, event: MediaReceived) -> None:
        media = event.media
        limit = self.settings.max_media_bytes
        if media.size is not None and media.size > limit:
            self.say("media_too_large", limit_mb=limit // (1024 * 1024))
            return
        extras = self._in_extras_window()
        if extras is not None:
            caption = clean_user_text(event.caption, self.settings.max_description_chars)
            self.actions.append(AttachToReport(code=extras.code, media=(media,), text=caption))
            if event.album_id is None or event.album_id not in extras.album_ids:
                self.say("extra_attached", code=extras.code)
            if event.album_id is not None and event.album_id not in extras.album_ids:
                self._set(last_report=extras.model_copy(
                    update={"album_ids": (*extras.album_ids, event.album_id)}))
            return
        if self.state.draft is None:
            self._set(draft=Draft())
        d = self.draft
        seen_album = event.album_id is not None and event.album_id in d.album_ids
        albums = d.album_ids + ((event.album_id,) if event.album_id and not seen_album else ())
        self._set_draft(media=(*d.media, media), album_ids=albums)
        if event.caption:
            self._add_description(event.caption)
        if seen_album:
            return  # one answer per album, not one per photo
        if self.state.stage is Stage.MEDIA:
            # Album items arrive one by one: the count at the first would be wrong.
            received = self.t("album_received") if event.album_id else \
                self.t("media_received", count=len(self.draft.media))
            self.reply(OutgoingMessage(
                text=received,
                choices=((Choice(self.t("button_done"), "done"),),),
            ))
        else:
            self.ask_next()

    def on_contact(self, event: ContactShared) -> None:
        if not event.own:
            self.say("phone_not_own")
            return
        phone = clean_user_text(event.phone, 32)
        self._set(phone=phone)
        last = self.state.last_report
        self.actions.append(RememberPhone(phone=phone, code=last.code if last else None))
        self.say("phone_saved")
        if self.state.draft is not None:
            self.ask_next()

    def on_button(self, event: ButtonPressed) -> None:
        if event.callback_id:
            self.actions.append(AnswerButton(callback_id=event.callback_id))
        data = event.data
        if event.message_id and data not in ("new",) and not data.startswith("lang:"):
            self.actions.append(ClearButtons(message_id=event.message_id))
        if data.startswith("cat:"):
            try:
                category = Category(data[4:])
            except ValueError:
                return
            if self.state.draft is None:
                self._set(draft=Draft())
            self._set_draft(category=category)
            self.ask_next()
        elif data in ("skip", "done"):
            if self.state.draft is not None:
                self.ask_next()
        elif data == "submit":
            self._submit()
        elif data == "cancel":
            self._cancel()
        elif data == "new":
            self._start(greet=False)
        elif data.startswith("lang:") and data[5:] in LANGUAGES:
            self._switch_lang(data[5:])

    def on_unsupported(self, event: UnsupportedReceived) -> None:
        self.say("unsupported")


_HANDLERS: dict[type[PlatformEvent], Callable[[_Turn, PlatformEvent], None]] = {
    CommandReceived: _Turn.on_command,  # type: ignore[dict-item]
    TextReceived: _Turn.on_text,  # type: ignore[dict-item]
    LocationReceived: _Turn.on_location,  # type: ignore[dict-item]
    MediaReceived: _Turn.on_media,  # type: ignore[dict-item]
    ContactShared: _Turn.on_contact,  # type: ignore[dict-item]
    ButtonPressed: _Turn.on_button,  # type: ignore[dict-item]
    UnsupportedReceived: _Turn.on_unsupported,  # type: ignore[dict-item]
}
