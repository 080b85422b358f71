"""The resident's guided conversation, as a pure function.

``step(state, event, now)`` returns the new state and the actions to carry out. No I/O:
storage persists the state and turns actions into outbox rows, so every dialogue path
is a fast unit test.

The bot asks only for what is still missing, in this order: category, place,
description (skippable once there is a photo), photos/video (skippable), confirmation.
A resident may start with anything: a text, a pin, a photo, a command.

Here: the dispatch of an event to its handler, commands, typed words and buttons. The
steps about the place are in ``place_steps``, about photos and videos in ``media_steps``;
what every step shares (the state, the next question, the draft's lifecycle) in ``turn``.
"""

from __future__ import annotations

__all__ = ["DEFAULT_SETTINGS", "Settings", "step"]

from collections.abc import Callable
from datetime import datetime

from sosbot.core.actions import (
    Action,
    AnswerButton,
    AttachToReport,
    ChangeSubscription,
    Choice,
    ClearButtons,
    ListReports,
    OutgoingMessage,
    RelayAnswer,
    RememberPhone,
)
from sosbot.core.events import (
    ButtonPressed,
    ClockTick,
    CommandReceived,
    ContactShared,
    Event,
    Ignored,
    LocationReceived,
    MediaReceived,
    OfficerAsked,
    PlaceCandidatesFound,
    PlatformEvent,
    ReportsListed,
    ReportSubmitted,
    SubmitRefused,
    SubscriptionChanged,
    TextReceived,
    UnsupportedReceived,
)
from sosbot.core.media_steps import MediaSteps
from sosbot.core.model import (
    Category,
    ChatKind,
    ConversationState,
    Draft,
    Stage,
)
from sosbot.core.place_steps import PlaceSteps
from sosbot.core.sanitize import clean_user_text, fold
from sosbot.core.texts import LANGUAGES
from sosbot.core.turn import (
    CATEGORY_CHANGE,
    CATEGORY_OK,
    DEFAULT_SETTINGS,
    PLACE_PREFIX,
    STANDALONE_CHOICES,
    STATUS,
    STATUS_COMMANDS,
    SUB_CITY,
    SUB_WARD,
    SUBSCRIBE_COMMANDS,
    UNSUBSCRIBE_COMMANDS,
    Settings,
)
from sosbot.core.understanding import understand
from sosbot.core.vocabulary import (
    CANCEL_WORDS,
    CATEGORY_WORDS,
    DONE_WORDS,
    GREETINGS,
    SUBMIT_WORDS,
)


def step(
    state: ConversationState, event: Event, now: datetime, settings: Settings = DEFAULT_SETTINGS
) -> tuple[ConversationState, list[Action]]:
    """Advance the conversation by one event. Pure: same inputs, same outputs."""
    turn = _Turn(state, now.timestamp(), settings)
    turn.handle(event)
    return turn.state, turn.actions


class _Turn(PlaceSteps, MediaSteps):
    """A turn with every event handler: the dispatch, commands, typed words and buttons
    here; the place's steps in ``place_steps``, photos' in ``media_steps``."""

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
        if isinstance(event, SubscriptionChanged):
            self._subscription_changed(event)
            return
        if isinstance(event, SubmitRefused):
            self._submit_refused(event)
            return
        if isinstance(event, ReportsListed):
            self._reports_listed(event)
            return
        if isinstance(event, PlaceCandidatesFound):
            self._place_found(event)
            return
        if event.chat.kind is not ChatKind.PRIVATE:
            return  # group chats are the officers' side, handled by routing
        if isinstance(event, Ignored):
            # Receipts and edits are not the resident writing: they must not reopen a
            # platform's messaging window (Messenger's 24 hours, Zalo's 7 days).
            return
        self._expire_if_idle()
        self._set(last_activity_epoch=self.now)
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)

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
        elif name in SUBSCRIBE_COMMANDS:
            self._offer_subscription()
        elif name in STATUS_COMMANDS:
            self.actions.append(ListReports())
        elif name in UNSUBSCRIBE_COMMANDS:
            self.actions.append(ChangeSubscription(scope="off"))
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
                self.ask_next()
            else:
                self._add_description(raw)
                self._understand(raw)
            return
        stage = self.state.stage
        if stage is Stage.CATEGORY:
            category = CATEGORY_WORDS.get(folded)
            if category is not None:
                self._set_draft(category=category, category_guessed=False)
                self.ask_next()
            else:
                self._add_description(raw)
                if not self._understand(raw):
                    self.reply(OutgoingMessage(text=self.t("ask_category_again"),
                                               choices=self._category_choices()))
        elif stage is Stage.LOCATION:
            self._typed_place(raw)
        elif stage is Stage.PLACE and folded in SUBMIT_WORDS \
                and len(self.draft.place_options) == 1:
            self._take_place(self.draft.place_options[0])
            self.ask_next()
        elif stage is Stage.PLACE:
            found, _ = self.settings.read_place(raw)
            if found is None and understand(raw).place_text is None:
                # Not a place: more about what happened; the proposal stands.
                self._add_description(raw)
                self.ask_next()
            else:
                self._typed_place(raw)
        elif stage is Stage.MEDIA and folded in DONE_WORDS:
            self.ask_next()
        elif stage is Stage.CONFIRM and folded in SUBMIT_WORDS:
            self._submit()
        elif stage is Stage.CONFIRM and folded in CANCEL_WORDS:
            self._cancel()
        else:
            self._add_description(raw)
            self.ask_next()

    def _understand(self, raw: str) -> bool:
        """Read a resident's words for the category and a place, and say what was
        understood; False when nothing was (the caller asks as before)."""
        d = self.draft
        reading = understand(raw)
        guessed = reading.category if d.category is None else None
        if guessed is not None:
            self._set_draft(category=guessed, category_guessed=True)
        if not self.draft.has_place:
            self._propose_place(raw, reading.place_text)
        d = self.draft
        if guessed is None:
            if d.category is None and self.state.stage is Stage.CATEGORY \
                    and not (d.place_options or d.place_lookup):
                return False
            self.ask_next()  # a place found is proposed once the category is chosen
            return True
        lead = self._understood(guessed)
        if d.has_place or d.place_options:
            self.ask_next(lead)
        else:
            # The category with its two taps, then the next question on its own: Telegram
            # cannot show a location keyboard and inline buttons on one message.
            self.reply(OutgoingMessage(text=lead, choices=(
                (Choice(self.t("button_category_ok"), CATEGORY_OK),
                 Choice(self.t("button_change_category"), CATEGORY_CHANGE)),)))
            self.ask_next()
        return True

    def _typed_choice(self, folded: str) -> str | None:
        """A number typed in answer to the last choices shown ("2" → its value)."""
        offered = self.state.offered
        # isdecimal, not isdigit: "²" is a digit that int() refuses.
        if not folded.isdecimal() or len(folded) > 3 or not offered:
            return None
        if self.state.draft is None and not all(v in STANDALONE_CHOICES for v in offered):
            return None  # a number typed after a report is more detail for it
        index = int(folded) - 1
        return offered[index] if 0 <= index < len(offered) else None

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
        if data == CATEGORY_OK:
            if self.state.draft is not None:
                self._set_draft(category_guessed=False)
                self.ask_next()
        elif data == CATEGORY_CHANGE:
            if self.state.draft is not None:
                self._set(stage=Stage.CATEGORY)
                self.reply(OutgoingMessage(text=self.t("ask_category"),
                                           choices=self._category_choices()))
        elif data.startswith(PLACE_PREFIX):
            self._place_button(data)
        elif data.startswith("cat:"):
            try:
                category = Category(data[4:])
            except ValueError:
                return
            if self.state.draft is None:
                self._set(draft=Draft())
            self._set_draft(category=category, category_guessed=False)
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
        elif data == SUB_CITY:
            self.actions.append(ChangeSubscription(scope="city"))
        elif data == SUB_WARD:
            self.actions.append(ChangeSubscription(scope="ward"))
        elif data == STATUS:
            self.actions.append(ListReports())

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
