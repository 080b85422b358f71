"""One step of the conversation in progress: its state, the questions it asks, the draft's
lifecycle. Pure, like everything in core; ``conversation.step`` drives it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from sosbot.core.actions import (
    Action,
    Choice,
    LookUpPlace,
    OutgoingMessage,
    Reply,
    SubmitReport,
)
from sosbot.core.cards import local_time
from sosbot.core.events import (
    OfficerAsked,
    ReportsListed,
    ReportSubmitted,
    SubmitRefused,
    SubscriptionChanged,
)
from sosbot.core.model import (
    CATEGORY_EMOJI,
    Category,
    ConversationState,
    Draft,
    Location,
    LocationSource,
    PendingQuestion,
    PlaceOption,
    Stage,
    SubmittedReport,
)
from sosbot.core.sanitize import clean_user_text
from sosbot.core.summary import render_summary
from sosbot.core.texts import VI, category_label, text
from sosbot.core.vocabulary import CATEGORY_ORDER

# A typed place read offline: the words that named it (None if none did) and the places
# proposed for it, best first.
PlaceRead = tuple[str | None, tuple[PlaceOption, ...]]


def _no_places(text: str) -> PlaceRead:
    return None, ()


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
    reports_per_hour: int = 5  # per resident; storage refuses more (SubmitRefused)
    # Photos/videos kept in one draft, and again in the extras window after submitting:
    # beyond it they are not added and the resident is told once.
    max_media_per_report: int = 10
    # The total a report's stored media may reach; enforced as they are downloaded.
    max_media_bytes_per_report: int = 50 * 1024 * 1024
    # Messages one resident chat may send in a minute; beyond it intake records them as
    # seen, steps nothing and sends one notice (intake/inbound_rate.py).
    messages_per_minute: int = 30
    # Typed places: read offline at once (runtime gives the gazetteer and the ward names),
    # and looked up online by the worker when a geocoder is configured.
    read_place: Callable[[str], PlaceRead] = field(default=_no_places)
    online_places: bool = False
    # Candidate wards shown as buttons, at most: every ward of the largest old district
    # (Thành phố Thủ Đức became 12); Messenger shows more than 13 choices as numbered lines.
    max_place_options: int = 12


DEFAULT_SETTINGS = Settings()


def on_a_border(options: Sequence[PlaceOption]) -> bool:
    """Several options that are one place (a point, not a whole ward) on a ward border,
    offered as the wards it touches: they share the place's label (geo.place_understanding,
    BORDER_M)."""
    return len(options) > 1 and not options[0].whole_ward \
        and len({o.label for o in options}) == 1

# Safety bulletins: the button values and the commands that start and stop them.
SUB_CITY = "sub:city"
SUB_WARD = "sub:ward"
SUBSCRIBE_COMMANDS = frozenset({"dangky", "subscribe", "bantin"})
# The status of the resident's reports: the commands and the button's value.
STATUS_COMMANDS = frozenset({"trangthai", "tinhtrang", "status"})
STATUS = "status"
UNSUBSCRIBE_COMMANDS = frozenset({"huy", "huydangky", "unsubscribe", "stop"})
# Button values of the understanding steps (category read from the words, places proposed).
CATEGORY_OK = "cat:ok"
CATEGORY_CHANGE = "cat:change"
PLACE_PREFIX = "place:"
PLACE_RETYPE = "place:retype"
PLACE_KEEP = "place:keep"
# Choices a typed number may pick even with no draft open.
STANDALONE_CHOICES = frozenset({"new", SUB_CITY, SUB_WARD, STATUS})


CATEGORY_VALUES = frozenset(c.value for c in Category)
STATUS_KEYS = frozenset(key for key in VI if key.startswith("report_status."))


class Turn:
    """The working copy of one step: state helpers, the questions, the draft's lifecycle.

    ``state`` and ``actions`` are the result. Event handlers live in conversation.py.
    """

    def __init__(self, state: ConversationState, now: float, settings: Settings) -> None:
        self.state = state
        self.now = now
        self.settings = settings
        self.actions: list[Action] = []

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

    def reply(self, message: OutgoingMessage, kind: str = "") -> None:
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
        self.actions.append(Reply(message, kind=kind))

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
        elif not d.has_place and d.place_options:
            self._set(stage=Stage.PLACE)
            self.reply(self._place_proposal(lead))
        elif not d.has_place:
            self._set(stage=Stage.LOCATION)
            looking = self.t("place_looking", place=d.place_lookup) + "\n" \
                if d.place_lookup else ""
            self.reply(OutgoingMessage(text=lead + looking + self.t("ask_location"),
                                       request="location",
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
            # A category read from the words can still be changed here, on every platform
            # (Messenger's quick replies vanish with the next message).
            change = ((Choice(self.t("button_change_category"), CATEGORY_CHANGE),),) \
                if d.category_guessed else ()
            self.reply(OutgoingMessage(text=lead + self._summary(), choices=(
                (Choice(self.t("button_submit"), "submit"),
                 Choice(self.t("button_cancel"), "cancel")),
                *change,
            )))

    # -- typed places ---------------------------------------------------------------------------

    def _place_proposal(self, lead: str) -> OutgoingMessage:
        """"Có phải ở đây không?" for one place; the candidate wards as buttons for several.
        Always with a way to type again and the map (the one-time location page)."""
        d = self.draft
        options = d.place_options
        retype = (Choice(self.t("button_place_retype"), PLACE_RETYPE),)
        change = ((Choice(self.t("button_change_category"), CATEGORY_CHANGE),),) \
            if d.category_guessed else ()
        if len(options) == 1:
            option = options[0]
            body = self.t("place_confirm", place=option.label, ward=self._ward_name(option))
            rows: tuple[tuple[Choice, ...], ...] = (
                (Choice(self.t("button_place_yes"), f"{PLACE_PREFIX}1"),), retype)
        else:
            body = self.t("place_pick_border" if on_a_border(options) else "place_pick",
                          place=d.place_query or "")
            rows = (*((Choice(self._ward_name(o), f"{PLACE_PREFIX}{i}"),)
                      for i, o in enumerate(options, start=1)), retype)
        return OutgoingMessage(text=lead + body, choices=(*rows, *change), map_page=True)

    def _ward_name(self, option: PlaceOption) -> str:
        return option.ward_name_en if self.state.lang == "en" and option.ward_name_en \
            else option.ward_name

    def _propose_place(self, text: str, words: str | None) -> None:
        """Read ``text`` for a place offline; what it names is proposed back, and looked up
        online as well (in the worker) when offline found no exact place."""
        found, options = self.settings.read_place(text)
        options = options[: self.settings.max_place_options]
        # One place (not a whole old district) is settled offline, and so is one place on
        # a ward border offered as the wards it touches (its options share its label);
        # several places or wards, or none, are worth the online geocoder's look, with the
        # resident's own words.
        settled = len(options) == 1 and options[0].how != "district" \
            or on_a_border(options)
        chosen = (found or words) if settled else (words or found)
        query = clean_user_text(chosen or "", self.settings.max_address_chars)
        lookup = query if query and not settled and self.settings.online_places else None
        if lookup:
            self.actions.append(LookUpPlace(query=lookup))
        self._set_draft(place_query=query or None, place_options=options, place_lookup=lookup)

    def _take_place(self, option: PlaceOption) -> None:
        """The resident chose a proposed place: it becomes the draft's place."""
        label = option.label if not option.whole_ward else self._ward_name(option)
        self._set_draft(
            location=Location(lat=option.lat, lon=option.lon, source=LocationSource.ADDRESS,
                              label=label),
            address_text=self.draft.place_query, place_query=None, place_options=(),
            place_lookup=None)

    def _forget_place(self) -> None:
        self._set_draft(place_query=None, place_options=(), place_lookup=None)

    def _understood(self, category: Category) -> str:
        return self.t("understood", emoji=CATEGORY_EMOJI[category],
                      category=category_label(self.state.lang, category))

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
            text_ = self.t("submitted", code=event.code, routing=self._where_it_went(event))
        if event.reply_window_h:
            # A 2 a.m. report may be acknowledged after the platform's window closed.
            text_ += "\n\n" + self.t("updates_window", hours=event.reply_window_h)
        choices: list[tuple[Choice, ...]] = [(Choice(self.t("button_new_report"), "new"),
                                              Choice(self.t("button_report_status"), STATUS))]
        if self.state.subscribed is None:
            # The end of a report is when a resident most wants to hear from the police.
            choices.append(self._subscription_choices(ward=event.location_known
                                                      and not event.duplicate_of))
        self.reply(OutgoingMessage(text=text_, choices=tuple(choices)))
        if self.state.phone is None:
            self.reply(OutgoingMessage(text=self.t("offer_phone"), request="contact",
                                       request_label=self.t("button_share_phone")))

    def _where_it_went(self, event: ReportSubmitted) -> str:
        """Where the report went, saying no more than is true: a chat it did not reach is
        never named (a report no group received is only said to be recorded)."""
        reached = event.reached
        if reached is not None and not reached:
            return self.t("unrouted")
        command = reached is None or "command" in reached
        if not event.location_known:
            return self.t("location_unknown") if command else self.t("routed_police")
        unit = event.unit.get(self.state.lang) or event.unit.get("vi", "") \
            if event.unit else ""
        if unit and (reached is None or "ward" in reached):
            return self.t("routed_to_unit" if command else "routed_to_unit_only", unit=unit)
        if reached is None:
            return self.t("routed_generic")
        return self.t("routed_to_command_centre") if command else self.t("routed_police")

    def _officer_asked(self, event: OfficerAsked) -> None:
        unit = event.unit.get(self.state.lang) or event.unit.get("vi", "")
        self._set(question=PendingQuestion(
            code=event.code, until_epoch=self.now + self.settings.question_window_s))
        # An officer's own words: the one kind Messenger's HUMAN_AGENT tag may carry.
        self.reply(OutgoingMessage(text=self.t("officer_question", unit=unit, code=event.code,
                                               question=event.question)), kind="officer")

    # -- safety bulletins -------------------------------------------------------------------

    def _subscription_choices(self, ward: bool) -> tuple[Choice, ...]:
        city = Choice(self.t("button_sub_city"), SUB_CITY)
        return (Choice(self.t("button_sub_ward"), SUB_WARD), city) if ward else (city,)

    def _offer_subscription(self) -> None:
        self.reply(OutgoingMessage(
            text=self.t("subscribe_offer"),
            choices=(self._subscription_choices(ward=self.state.last_report is not None),)))

    def _subscription_changed(self, event: SubscriptionChanged) -> None:
        if event.scope == "off":
            self._set(subscribed=None)
            self.say("unsubscribed" if event.was_active else "not_subscribed")
            return
        self._set(subscribed=event.scope)
        if event.scope == "ward" and event.ward:
            ward = event.ward.get(self.state.lang) or event.ward.get("vi", "")
            self.say("subscribed_ward", ward=ward)
        elif event.wanted_ward:
            self.say("subscribed_ward_unknown")
        else:
            self.say("subscribed_city")

    def _reports_listed(self, event: ReportsListed) -> None:
        """The status of the resident's recent reports, newest first."""
        if not event.reports:
            self.say("reports_none", days=event.days)
            return
        lines = [self.t("report_line", code=r.code,
                        category=category_label(self.state.lang, Category(r.category))
                        if r.category in CATEGORY_VALUES else r.category,
                        time=local_time(r.submitted_at_epoch, "%H:%M %d/%m"),
                        status=self.t(f"report_status.{r.status}")
                        if f"report_status.{r.status}" in STATUS_KEYS else r.status)
                 for r in event.reports]
        self.say("reports_header", lines="\n".join(lines))

    def _submit_refused(self, event: SubmitRefused) -> None:
        """Too many reports lately: keep the draft if it can wait, say when it can go."""
        if event.retry_after_min * 60 >= self.settings.draft_ttl_s:
            # The draft would expire before then: no promise that it is kept.
            self.say("too_many_reports_later", limit=event.limit,
                     minutes=event.retry_after_min)
            return
        self._set(draft=event.draft, stage=Stage.CONFIRM)
        self.reply(OutgoingMessage(
            text=self.t("too_many_reports", limit=event.limit,
                        minutes=max(event.retry_after_min, 1)),
            choices=((Choice(self.t("button_submit"), "submit"),
                      Choice(self.t("button_cancel"), "cancel")),)))
