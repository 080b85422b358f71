"""What producers above delivery add to it: how to prepare their own kinds of row, what to
learn from a send, and periodic work for the sweeper.

Delivery sends outbox rows in order, once each, within the platforms' limits; it does not
know who made a row. A producer in a package above it (the command centre: digests with
rendered images, safety bulletins, the digest schedule) registers here when the worker is
wired (``sosbot.runtime``), so delivery never imports its producers and no two packages
import each other (docs/ARCHITECTURE.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from sqlmodel import Session

from sosbot.core.errors import SendError
from sosbot.core.outbox_rows import RowKind
from sosbot.storage.outbox import OutboxStatus, PendingRow
from sosbot.storage.tables import Outbox

if TYPE_CHECKING:
    from sosbot.delivery.card_posts import Prepared
    from sosbot.delivery.context import JobContext

#: Renders what a row of a registered kind sends, at the moment it goes out (the row as
#: the send path read it).
Preparer = Callable[["JobContext", Session, PendingRow], "Prepared"]
#: Does the heavy part of preparing a row of a registered kind ahead of time, outside the
#: chat's lock (``delivery.warming``); what it returns (JSON) is kept in the row's payload
#: under ``warming.WARMED``, where the kind's ``Preparer`` finds it.
Warmer = Callable[["JobContext", Session, Outbox], dict[str, Any]]
#: Sees the recorded outcome of a row it owns (row locked, in the recording transaction)
#: and returns the status the row ends with.
AfterSend = Callable[[Session, Outbox, OutboxStatus, "SendError | None", datetime],
                     OutboxStatus]


class RowFacts(Protocol):
    """What tells whose a row is: an outbox row, or a job's snapshot of one."""

    @property
    def method(self) -> str | None: ...

    @property
    def bulletin_id(self) -> int | None: ...


#: Whether a row is a producer's own (for its ``AfterSend``).
Owns = Callable[[RowFacts], bool]
#: A sweeper task: does its work, returns how many things it did.
PeriodicTask = Callable[["JobContext"], int]


class DeliveryExtensions:
    """The registry. Filled once at wiring time, read by every job afterwards."""

    def __init__(self) -> None:
        # Keyed by RowKind members, which are the stored strings: a row's ``method`` finds
        # its kind's entry as it is read.
        self._preparers: dict[str, Preparer] = {}
        self._warmers: dict[str, Warmer] = {}
        self._after_send: list[tuple[Owns, AfterSend]] = []
        self._periodic: dict[str, PeriodicTask] = {}

    def kind(self, kind: RowKind, prepare: Preparer, warm: Warmer | None = None) -> None:
        """Rows of ``kind`` are prepared by ``prepare``; with ``warm``, their heavy part is
        done ahead, while other rows of the chat go (``delivery.warming``), and ``prepare``
        finds it done (or does it itself when it is not)."""
        kind = RowKind(kind)  # a kind the table cannot hold is refused at wiring time
        if kind in self._preparers:
            raise ValueError(f"outbox kind {kind.value!r} is registered twice")
        self._preparers[kind] = prepare
        if warm is not None:
            self._warmers[kind] = warm

    def on_outcome(self, owns: Owns, hook: AfterSend) -> None:
        """Outcomes of the rows ``owns`` picks go through ``hook`` before they are stored."""
        self._after_send.append((owns, hook))

    def periodic(self, name: str, task: PeriodicTask) -> None:
        """``task`` runs at every sweep; its count is reported under ``name``."""
        if name in self._periodic:
            raise ValueError(f"periodic task {name!r} is registered twice")
        self._periodic[name] = task

    def preparer(self, kind: str) -> Preparer | None:
        """The preparer of rows of ``kind`` (a stored ``method``), if one is registered."""
        return self._preparers.get(kind)

    def warmer(self, kind: str) -> Warmer | None:
        return self._warmers.get(kind)

    def owned(self, row: RowFacts) -> bool:
        """Whether a producer wants to see this row's outcome (no plain fast path then)."""
        return any(owns(row) for owns, _ in self._after_send)

    def outcome(self, session: Session, row: Outbox, status: OutboxStatus,
                error: SendError | None, now: datetime) -> OutboxStatus:
        for owns, hook in self._after_send:
            if owns(row):
                # A member, or refused here before it is stored.
                status = OutboxStatus(hook(session, row, status, error, now))
        return status

    @property
    def tasks(self) -> Mapping[str, PeriodicTask]:
        return dict(self._periodic)
