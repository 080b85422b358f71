"""Residents' names from their platform profile, fetched once each.

Zalo's webhooks carry no name, so a Zalo resident's card would say only "Người báo tin
(Zalo)". Every sweep asks the profile of a few residents who have no name yet and were
never asked (``reporter.profile_checked_at``): once per resident, whatever the answer, the
answer kept in the reporter row. A platform failure that may pass (a timeout, a 5xx) leaves
the resident to the next sweep; any other answer is final.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from sosbot.core.errors import RateLimited, SendError, TemporarySendError
from sosbot.storage.db import transaction
from sosbot.storage.tables import Reporter

log = logging.getLogger(__name__)

PER_SWEEP = 20  # profile calls count against the platform's requests a minute


@runtime_checkable
class ProfileSource(Protocol):
    """An adapter that can tell a user's display name (Zalo's ``ZaloOutbound``)."""

    async def display_name(self, user_id: str) -> str | None: ...


def fill_names(engine: Engine, adapters: Mapping[str, object],
               run: Callable[[Awaitable[Any]], Any], now: datetime, *,
               limit: int = PER_SWEEP) -> int:
    """Ask the profile of up to ``limit`` residents never asked; how many were answered."""
    sources = {channel: adapter for channel, adapter in adapters.items()
               if isinstance(adapter, ProfileSource)}
    if not sources:
        return 0
    with transaction(engine) as session:
        waiting = session.exec(
            select(Reporter.id, Reporter.channel, Reporter.platform_user_id)
            .where(col(Reporter.channel).in_(list(sources)), Reporter.display_name == "",
                   col(Reporter.profile_checked_at).is_(None),
                   col(Reporter.purged_at).is_(None))
            .order_by(col(Reporter.id)).limit(limit)).all()
    answered = 0
    for reporter_id, channel, user_id in waiting:
        try:
            name = run(sources[channel].display_name(user_id))
        except (TemporarySendError, RateLimited) as exc:
            log.info("profile of %s resident %s not read yet (%s): next sweep", channel,
                     reporter_id, exc)
            continue
        except SendError as exc:
            log.info("%s has no profile for resident %s (%s): not asked again", channel,
                     reporter_id, exc)
            name = None
        with transaction(engine) as session:
            reporter = session.get(Reporter, reporter_id, with_for_update=True)
            if reporter is None:
                continue
            if name and not reporter.display_name and reporter.purged_at is None:
                reporter.display_name = name
            reporter.profile_checked_at = now
        answered += 1
    return answered
