"""Errors of the Messenger emulator: Graph API error answers, and control API mistakes."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from sosbot.emulators.common.control import ControlError  # noqa: F401  (re-exported)

log = logging.getLogger(__name__)

OUTSIDE_WINDOW = (
    "(#10) This message is sent outside of allowed window. Learn more about the new policy "
    "here: https://developers.facebook.com/docs/messenger-platform/policy-overview"
)


def fbtrace_id() -> str:
    """A random trace id, shaped like Meta's."""
    return secrets.token_urlsafe(8)[:11]


class GraphApiError(Exception):
    """A Graph API error answer: HTTP ``status`` with ``{"error": {...}}``."""

    def __init__(self, code: int, message: str, *, subcode: int | None = None,
                 type_: str = "OAuthException", status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.subcode = subcode
        self.type = type_
        self.status = status

    def payload(self) -> dict[str, Any]:
        """The JSON body Graph would send."""
        error: dict[str, Any] = {"message": self.message, "type": self.type, "code": self.code}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["fbtrace_id"] = fbtrace_id()
        return {"error": error}


def invalid_param(message: str, subcode: int | None = None) -> GraphApiError:
    """``(#100)``: a parameter is missing or wrong."""
    return GraphApiError(100, f"(#100) {message}", subcode=subcode)


def invalid_token() -> GraphApiError:
    """``190``: the access token is not the page's."""
    return GraphApiError(190, "Invalid OAuth access token - Cannot parse access token")


def no_matching_user() -> GraphApiError:
    """``100/2018001``: the PSID is unknown to the page."""
    return invalid_param("No matching user found", 2018001)


def outside_window() -> GraphApiError:
    """``10/2018278``: the 24-hour window is closed and the message is not tagged."""
    return GraphApiError(10, OUTSIDE_WINDOW, subcode=2018278)


def user_unavailable() -> GraphApiError:
    """``551/1545041``: the person blocked the page or cannot receive messages."""
    return GraphApiError(551, "(#551) This person isn't available right now.", subcode=1545041)


def rate_limited() -> GraphApiError:
    """``613``: the page sent too many calls."""
    return GraphApiError(613, "(#613) Calls to this api have exceeded the rate limit.")


def unknown_path(path: str) -> GraphApiError:
    """``2500``: no such endpoint."""
    return GraphApiError(2500, f"Unknown path components: {path}")
