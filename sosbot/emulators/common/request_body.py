"""Read API request parameters from the query string and a JSON, urlencoded or multipart body.

Bot API clients send parameters in any of these forms, and form-encoded clients (such as
python-telegram-bot) send objects and arrays as JSON-encoded strings and numbers as decimal
strings. :class:`Params` hides the difference: ``get_int("chat_id")`` accepts ``42`` and
``"42"``, ``get_json("reply_markup")`` accepts an object and a string holding one.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class ParamError(ValueError):
    """A parameter is missing or has the wrong type."""

    def __init__(self, name: str, problem: str) -> None:
        super().__init__(f"{name}: {problem}")
        self.name = name
        self.problem = problem


class BodyError(ValueError):
    """The request body could not be read as the content type it announced."""


@dataclass
class UploadedFile:
    """A file part of a multipart body."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass
class Params:
    """Request parameters (query string merged with body) and uploaded files."""

    values: dict[str, Any] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        """True when ``name`` was given as a value (not a file) and is not null."""
        return self.values.get(name) is not None

    def raw(self, name: str) -> Any:
        """The value as received, or None."""
        return self.values.get(name)

    def get_str(self, name: str, *, required: bool = False) -> str | None:
        """A string value; numbers are turned into their decimal text."""
        value = self.values.get(name)
        if value is None:
            if required:
                raise ParamError(name, "is required")
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str | int | float):
            return str(value)
        raise ParamError(name, "must be a string")

    def get_int(self, name: str, *, required: bool = False) -> int | None:
        """An integer given as a number or a decimal string."""
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise ParamError(name, "is required")
            return None
        if isinstance(value, bool):
            raise ParamError(name, "must be an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                raise ParamError(name, "must be an integer") from None
        raise ParamError(name, "must be an integer")

    def get_float(self, name: str, *, required: bool = False) -> float | None:
        """A number given as a JSON number or a decimal string."""
        value = self.values.get(name)
        if value is None or value == "":
            if required:
                raise ParamError(name, "is required")
            return None
        if isinstance(value, bool):
            raise ParamError(name, "must be a number")
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                raise ParamError(name, "must be a number") from None
        raise ParamError(name, "must be a number")

    def get_bool(self, name: str, default: bool = False) -> bool:
        """A boolean given as JSON true/false or the strings true/false/1/0."""
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, int):
            return value != 0
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("true", "1", "yes"):
                return True
            if lowered in ("false", "0", "no"):
                return False
        raise ParamError(name, "must be a boolean")

    def get_json(self, name: str) -> Any:
        """An object or array, given as JSON or as a string holding JSON; None if absent."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise ParamError(name, "is not valid JSON") from None
        return value


async def read_params(request: web.Request) -> Params:
    """Merge the query string with the body of ``request`` (JSON, urlencoded or multipart).

    Raises :class:`BodyError` for a body that does not parse as its content type says.
    """
    params = Params(values=dict(request.query))
    if request.method not in ("POST", "PUT", "PATCH") or not request.can_read_body:
        return params
    ctype = request.content_type
    if ctype == "application/json" or ctype.endswith("+json"):
        raw = await request.read()
        if not raw.strip():
            return params
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise BodyError(f"invalid JSON body: {exc}") from None
        if not isinstance(body, dict):
            raise BodyError("JSON body must be an object")
        params.values.update(body)
        return params
    if ctype in _FORM_TYPES:
        try:
            form = await request.post()
        except ValueError as exc:
            raise BodyError(f"invalid form body: {exc}") from None
        for name, value in form.items():
            if isinstance(value, web.FileField):
                params.files[name] = UploadedFile(
                    field=name,
                    filename=value.filename,
                    content_type=value.content_type,
                    data=value.file.read(),
                )
            elif isinstance(value, str):
                params.values[name] = value
            else:
                params.values[name] = bytes(value).decode("utf-8", "replace")
        return params
    raw = await request.read()
    if raw.strip():
        raise BodyError(f"unsupported content type {ctype!r}")
    return params


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """A JSON object body (an empty body reads as ``{}``); raises :class:`BodyError` else."""
    raw = await request.read()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise BodyError(f"invalid JSON body: {exc}") from None
    if not isinstance(body, dict):
        raise BodyError("JSON body must be an object")
    return body
