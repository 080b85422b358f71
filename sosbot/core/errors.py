"""The project's exceptions: one small, flat tree."""

from __future__ import annotations


class SosbotError(Exception):
    """Base of every error sosbot raises on purpose."""


class ConfigError(SosbotError):
    """config.yaml or the environment is wrong; the message names the key."""


class PayloadError(SosbotError):
    """A webhook body that cannot be understood (answered 400)."""


class MediaRejected(SosbotError):
    """Bytes that the media store will not keep (too large, empty, not media)."""


class SendError(SosbotError):
    """A platform refused or failed a send."""


class RateLimited(SendError):
    """The platform said 429: try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: float, message: str = "rate limited") -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TemporarySendError(SendError):
    """A 5xx, a timeout, a dropped connection: retry with backoff."""


class RecipientGone(SendError):
    """The user blocked the bot or the bot was removed from the group (403)."""


class ChatMoved(SendError):
    """The group became a supergroup; send to ``new_chat_id`` from now on."""

    def __init__(self, new_chat_id: str) -> None:
        super().__init__(f"chat moved to {new_chat_id}")
        self.new_chat_id = new_chat_id


class SendCrashed(SendError):
    """Preparing or sending a row raised what no platform answer explains (a render or a
    scrub that failed, a bug): counted as an attempt; after a few the row is failed, so
    the rows behind it in its chat go on."""


class PermanentSendError(SendError):
    """The platform will never accept this message as it is (400)."""


class DeliveryWindowClosed(PermanentSendError):
    """The platform no longer lets us message this user (Zalo's 7 days, Messenger's 24 h)."""


class QuotaExceeded(PermanentSendError):
    """The platform refused the send for the account's quota or billing (Zalo's -211
    "out of quota", -224 the OA's package, -321 no money on the Zalo Cloud Account…): not
    retried, and the command centre is told, since only someone who pays can help."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


class MediaRefused(PermanentSendError):
    """A resident's media URL outside the platform's media hosts: never fetched."""


class RefusedJob(SosbotError):
    """A job found on the queue that is not one of sosbot's own: it is not run."""
