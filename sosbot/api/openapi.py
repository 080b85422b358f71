"""The OpenAPI 3.0 description of the API, as a Python dict (served at /openapi.json).

tests/api/test_schemathesis.py checks real answers against it, so it cannot drift.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from sosbot.api.params import DEFAULT_LIMIT, MAX_LIMIT
from sosbot.core.model import Category, Channel, ReportStatus

log = logging.getLogger(__name__)

Schema = dict[str, Any]

WARD_PATTERN = "^[A-Za-z0-9_-]{1,16}$"
CODE_PATTERN = "^[A-Za-z0-9-]{1,16}$"


def _n(type_: str, **extra: Any) -> Schema:
    """A nullable scalar."""
    return {"type": type_, "nullable": True, **extra}


def _obj(properties: dict[str, Schema], *, optional: tuple[str, ...] = ()) -> Schema:
    return {"type": "object", "additionalProperties": False, "properties": properties,
            "required": [name for name in properties if name not in optional]}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


TIME = {"type": "string", "format": "date-time"}
STATUSES = [s.value for s in ReportStatus]
CATEGORIES = [c.value for c in Category]
CHANNELS = [c.value for c in Channel]

REPORTER = _obj({
    "display_name": _n("string"), "username": _n("string"), "phone": _n("string"),
    "platform_user_id": _n("string"), "chat_id": _n("string"),
})
REPORTER["description"] = ("The resident's personal data; present only for the PII token, "
                           "absent (no key at all) otherwise.")

ITEM_PROPERTIES: dict[str, Schema] = {
    "code": {"type": "string", "example": "SOS-250001"},
    "category": {"type": "string", "enum": CATEGORIES},
    "status": {"type": "string", "enum": STATUSES},
    "created_at": TIME, "updated_at": TIME,
    "lat": _n("number", description="WGS84; rounded to 3 decimals (about 100 m) for the "
                                    "plain token, exact for the PII token"),
    "lon": _n("number", description="WGS84; rounded like lat"),
    "accuracy_m": _n("number"),
    "ward_code": _n("string"), "ward_name": _n("string"),
    "location_how": _n("string", description="inside, boundary, nearest, outside, geocoded, "
                                             "unknown"),
    "address_text": _n("string", description="the place as the resident typed it; null "
                                             "for the plain token"),
    "description": _n("string", description="the resident's own words; null for the "
                                            "plain token"),
    "channel": {"type": "string", "enum": CHANNELS},
    "media_count": {"type": "integer", "minimum": 0},
    "duplicates": {"type": "integer", "minimum": 0},
    "duplicate_of": _n("string", description="code of the report this one duplicates"),
    "escalation_level": {"type": "integer", "minimum": 0},
    "reporter": _ref("Reporter"),
}

DELIVERY = _obj({
    "role": {"type": "string"}, "target_code": {"type": "string"},
    "channel": {"type": "string"}, "chat_id": {"type": "string"},
    "status": {"type": "string"}, "ack_state": {"type": "string"},
    "acked_by": _n("string"), "acked_at": _n("string", format="date-time"),
    "sent_at": _n("string", format="date-time"),
})
ACK = _obj({
    "action": {"type": "string"}, "user_id": {"type": "string"},
    "user_name": {"type": "string"}, "channel": {"type": "string"},
    "chat_id": {"type": "string"}, "at": TIME,
})
AUDIT = _obj({
    "at": TIME, "actor": {"type": "string"}, "action": {"type": "string"},
    "detail": {"type": "object", "additionalProperties": True},
})
MEDIA = _obj({
    "kind": {"type": "string"}, "status": {"type": "string"}, "sha256": _n("string"),
    "mime": _n("string"), "size": _n("integer"),
})

DETAIL_PROPERTIES: dict[str, Schema] = {
    **ITEM_PROPERTIES,
    "deliveries": {"type": "array", "items": _ref("Delivery")},
    "acks": {"type": "array", "items": _ref("Ack")},
    "audit": {"type": "array", "items": _ref("AuditEntry")},
    "media": {"type": "array", "items": _ref("Media")},
}

COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
WARD_STATS = _obj({
    "ward_code": {"type": "string"}, "ward_name": _n("string"),
    "since": _n("string", format="date-time"), "until": _n("string", format="date-time"),
    "generated_at": TIME,
    "total": {"type": "integer", "minimum": 0},
    "by_status": COUNTS, "by_category": COUNTS,
    "open": {"type": "integer", "minimum": 0,
             "description": "reports in the window whose status is not final"},
    "acknowledged": {"type": "integer", "minimum": 0,
                     "description": "reports in the window with at least one officer action"},
    "first_ack_median_s": _n("number", minimum=0),
    "first_ack_p90_s": _n("number", minimum=0),
})

FEATURE_COLLECTION = _obj({
    "type": {"type": "string", "enum": ["FeatureCollection"]},
    "truncated": {"type": "boolean"},
    "features": {"type": "array", "items": _obj({
        "type": {"type": "string", "enum": ["Feature"]},
        "geometry": _obj({
            "type": {"type": "string", "enum": ["Point"]},
            "coordinates": {"type": "array", "items": {"type": "number"},
                            "minItems": 2, "maxItems": 2,
                            "description": "[lon, lat] (WGS84)"},
        }),
        "properties": _ref("ReportItem"),
    })},
})

ERROR = _obj({"error": {"type": "string"}, "parameter": {"type": "string"},
              "allow": {"type": "string"}}, optional=("parameter", "allow"))


def _param(name: str, schema: Schema, description: str, where: str = "query") -> Schema:
    return {"name": name, "in": where, "required": where == "path", "schema": schema,
            "description": description}


PARAMETERS: dict[str, Schema] = {
    "since": _param("since", TIME, "created at or after (ISO 8601 with a time zone)"),
    "until": _param("until", TIME, "created before (ISO 8601 with a time zone)"),
    "status": _param("status", {"type": "string", "enum": STATUSES}, "report status"),
    "category": _param("category", {"type": "string", "enum": CATEGORIES}, "category"),
    "ward": _param("ward", {"type": "string", "pattern": WARD_PATTERN}, "ward code"),
    "channel": _param("channel", {"type": "string", "enum": CHANNELS}, "platform"),
    "limit": _param("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                              "default": DEFAULT_LIMIT}, "page size"),
    "cursor": _param("cursor", {"type": "string", "pattern": "^[A-Za-z0-9_-]*$"},
                     "the `next` of the previous page (opaque; keyset on created_at, id)"),
}
FILTERS = ["since", "until", "status", "category", "ward", "channel"]


def _p(*names: str) -> list[Schema]:
    return [{"$ref": f"#/components/parameters/{name}"} for name in names]


def _error(description: str) -> Schema:
    return {"description": description,
            "content": {"application/json": {"schema": _ref("Error")}}}


COMMON_ERRORS: dict[str, Schema] = {
    "400": _error("a bad parameter (named in `parameter`)"),
    "401": {**_error("no valid bearer token"),
            "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}},
    "503": _error("the database is unavailable; retry later"),
}


def _get(summary: str, parameters: list[Schema], ok: Schema, **extra: Schema) -> Schema:
    return {"get": {"summary": summary, "parameters": parameters,
                    "responses": {"200": ok, **COMMON_ERRORS, **extra}}}


def _ok(schema: Schema, media: str = "application/json", description: str = "OK") -> Schema:
    return {"description": description, "content": {media: {"schema": schema}}}


DOCUMENT: Schema = {
    "openapi": "3.0.3",
    "info": {
        "title": "sosbot read-only API", "version": "1.0.0",
        "description": (
            "Reports made to Ho Chi Minh City police through sosbot. Every route except "
            "this document needs `Authorization: Bearer <token>`. The plain token sees no "
            "personal data: no `reporter`, `description` and `address_text` null, `lat`/`lon` "
            "rounded to about 100 m. The PII token sees them all, and every answer it gets "
            "is recorded in the audit log first (token fingerprint, caller, route, report "
            "codes). Times are UTC ISO 8601."),
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "paths": {
        "/reports": _get("Reports, newest first, one page at a time", _p(*FILTERS, "limit",
                                                                        "cursor"),
                         _ok(_ref("ReportPage"))),
        "/reports/{code}": _get(
            "One report with deliveries, acknowledgements, audit trail and media",
            [_param("code", {"type": "string", "pattern": CODE_PATTERN}, "report code",
                    "path")],
            _ok(_ref("ReportDetail")), **{"404": _error("no such report")}),
        "/wards/{code}/stats": _get(
            "Counts and acknowledgement times of a ward's reports",
            [_param("code", {"type": "string", "pattern": WARD_PATTERN}, "ward code", "path"),
             *_p("since", "until")],
            _ok(_ref("WardStats"))),
        "/export.csv": _get(
            "All matching reports as CSV (UTF-8 with BOM, header row; capped)", _p(*FILTERS),
            _ok({"type": "string"}, "text/csv")),
        "/export.geojson": _get(
            "Matching reports with a point, as a GeoJSON FeatureCollection (capped)",
            _p(*FILTERS), _ok(_ref("FeatureCollection"), "application/geo+json")),
        "/openapi.json": {"get": {
            "summary": "This document", "security": [],
            "responses": {"200": _ok({"type": "object"})}}},
    },
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "parameters": PARAMETERS,
        "schemas": {
            "Error": ERROR,
            "Reporter": REPORTER,
            "ReportItem": _obj(ITEM_PROPERTIES, optional=("reporter",)),
            "ReportPage": _obj({
                "items": {"type": "array", "items": _ref("ReportItem")},
                "next": _n("string", description="cursor of the next page; null at the end"),
            }),
            "ReportDetail": _obj(DETAIL_PROPERTIES, optional=("reporter",)),
            "Delivery": DELIVERY, "Ack": ACK, "AuditEntry": AUDIT, "Media": MEDIA,
            "WardStats": WARD_STATS,
            "FeatureCollection": FEATURE_COLLECTION,
        },
    },
}


def build_openapi() -> Schema:
    """A fresh copy of the document (callers may change it)."""
    return copy.deepcopy(DOCUMENT)
