"""The read-only API over real HTTP (aiohttp's test client), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from sosbot.api import create_api_app, pii_reads
from sosbot.api.queries import ITEM_FIELDS, percentile
from sosbot.storage import audit
from sosbot.storage.db import transaction
from sosbot.storage.tables import AuditLog, Report
from tests.api.conftest import (
    ADDRESS,
    DESCRIPTION,
    NAMES,
    NOW,
    PHONES,
    PII_TOKEN,
    TOKEN,
    USER_IDS,
    USERNAMES,
    WARD_A,
    Seeded,
)

PLAIN = {"Authorization": f"Bearer {TOKEN}"}
PII = {"Authorization": f"Bearer {PII_TOKEN}"}
ROUTES = ["/reports", "/reports/SOS-250001", "/wards/26734/stats", "/export.csv",
          "/export.geojson"]
MakeClient = Callable[..., Awaitable[TestClient]]


@pytest.fixture
def make_client(aiohttp_client: Any, seeded: Seeded) -> MakeClient:
    async def make(**overrides: Any) -> TestClient:
        options: dict[str, Any] = {"engine": seeded.engine, "token": TOKEN,
                                   "pii_token": PII_TOKEN, "clock": lambda: NOW}
        options.update(overrides)
        root = web.Application()
        root.add_subapp("/api/v1", create_api_app(**options))
        return await aiohttp_client(root)  # type: ignore[no-any-return]
    return make


@pytest.fixture
async def client(make_client: MakeClient) -> TestClient:
    return await make_client()


async def get(client: TestClient, path: str, headers: dict[str, str] | None = None,
              **params: Any) -> tuple[int, Any]:
    response = await client.get(f"/api/v1{path}", params=params or None,
                                headers=PLAIN if headers is None else headers)
    assert response.headers["Content-Type"].startswith("application/json")
    return response.status, await response.json()


async def all_items(client: TestClient, headers: dict[str, str] | None = None,
                    **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(100):
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        status, body = await get(client, "/reports", headers, **query)
        assert status == 200, body
        items += body["items"]
        cursor = body["next"]
        if cursor is None:
            return items
    raise AssertionError("pagination did not end")


# --- authentication -------------------------------------------------------------------

async def test_missing_or_wrong_token_is_401(client: TestClient) -> None:
    headers = [None, "", "Bearer", "Bearer ", "Bearer wrong", f"Basic {TOKEN}",
               f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", TOKEN, f"Bearer {TOKEN} x"]
    for route in ROUTES:
        for header in headers:
            response = await client.get(f"/api/v1{route}",
                                        headers={} if header is None else
                                        {"Authorization": header})
            assert response.status == 401, (route, header)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            assert "error" in await response.json()


async def test_empty_configured_tokens_accept_nothing(make_client: MakeClient) -> None:
    client = await make_client(token="", pii_token="")
    for header in ("Bearer ", "Bearer", "Bearer  "):
        response = await client.get("/api/v1/reports", headers={"Authorization": header})
        assert response.status == 401


async def test_openapi_is_public_and_lists_every_route(client: TestClient) -> None:
    status, body = await get(client, "/openapi.json", headers={})
    assert status == 200
    assert set(body["paths"]) == {"/reports", "/reports/{code}", "/wards/{code}/stats",
                                  "/export.csv", "/export.geojson", "/openapi.json"}
    assert body["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


async def test_unknown_route_and_method_answer_json(client: TestClient) -> None:
    status, body = await get(client, "/nope")
    assert status == 404 and "error" in body
    response = await client.post("/api/v1/reports", headers=PLAIN)
    assert response.status == 405
    assert "error" in await response.json()


# --- /reports -----------------------------------------------------------------------

async def test_list_is_newest_first_with_the_documented_fields(
        client: TestClient, seeded: Seeded) -> None:
    status, body = await get(client, "/reports")
    assert status == 200
    assert [item["code"] for item in body["items"]] == seeded.codes[:50]
    assert body["next"] is None
    assert all(set(item) == set(ITEM_FIELDS) for item in body["items"])
    duplicate = next(i for i in body["items"] if i["duplicate_of"] is not None)
    original = next(i for i in body["items"] if i["code"] == duplicate["duplicate_of"])
    assert duplicate["status"] == "duplicate" and original["duplicates"] == 1
    assert any(item["media_count"] == 1 for item in body["items"])


@pytest.mark.parametrize("limit", [1, 4, 5, 22, 23])
async def test_pagination_loses_and_repeats_nothing(client: TestClient, seeded: Seeded,
                                                    limit: int) -> None:
    items = await all_items(client, limit=limit)
    assert [item["code"] for item in items] == seeded.codes


async def test_pagination_with_a_filter(client: TestClient) -> None:
    everything = await all_items(client, limit=500)
    ward_a = [i["code"] for i in everything if i["ward_code"] == WARD_A[0]]
    assert [i["code"] for i in await all_items(client, limit=3, ward=WARD_A[0])] == ward_a


@pytest.mark.parametrize(("name", "value"), [
    ("status", "acknowledged"), ("status", "resolved"), ("status", "duplicate"),
    ("category", "fire"), ("category", "security"), ("ward", WARD_A[0]),
    ("channel", "zalo"), ("channel", "telegram"), ("channel", "messenger"),
])
async def test_equality_filters(client: TestClient, name: str, value: str) -> None:
    everything = await all_items(client, limit=500)
    key = "ward_code" if name == "ward" else name
    expected = [i["code"] for i in everything if i[key] == value]
    assert [i["code"] for i in await all_items(client, limit=7, **{name: value})] == expected


async def test_time_window_is_since_inclusive_until_exclusive(client: TestClient) -> None:
    # Reports are an hour apart from 2025-11-01T00:00Z (07:00 in Ho Chi Minh City).
    items = await all_items(client, since="2025-11-01T09:00:00+07:00",
                            until="2025-11-01T05:00:00Z")
    hours = sorted(item["created_at"][11:13] for item in items)
    assert hours == ["02", "03", "04"]
    # An unencoded '+' arrives as a space; it is understood all the same.
    response = await client.get("/api/v1/reports?since=2025-11-01T09:00:00+07:00"
                                "&until=2025-11-01T05:00:00Z", headers=PLAIN)
    assert len((await response.json())["items"]) == 3


@pytest.mark.parametrize(("params", "parameter"), [
    ({"limit": "0"}, "limit"), ({"limit": "501"}, "limit"), ({"limit": "ten"}, "limit"),
    ({"limit": "-1"}, "limit"), ({"since": "yesterday"}, "since"),
    ({"since": "2025-11-01T00:00:00"}, "since"), ({"until": "2025-13-01T00:00:00Z"}, "until"),
    ({"since": "2025-11-02T00:00:00Z", "until": "2025-11-01T00:00:00Z"}, "until"),
    ({"since": "0001-01-01T00:00:00+05:00"}, "since"),
    ({"status": "open"}, "status"), ({"category": "flood"}, "category"),
    ({"channel": "sms"}, "channel"), ({"ward": "26734; drop"}, "ward"),
    ({"ward": "x" * 40}, "ward"), ({"cursor": "garbage!"}, "cursor"),
    ({"cursor": "WzEsMl0"}, "cursor"), ({"offset": "5"}, "offset"), ({"page": "2"}, "page"),
])
async def test_bad_parameters_are_400_naming_the_parameter(
        client: TestClient, params: dict[str, str], parameter: str) -> None:
    status, body = await get(client, "/reports", **params)
    assert status == 400
    assert body["parameter"] == parameter and parameter in body["error"]


async def test_a_repeated_parameter_is_400(client: TestClient) -> None:
    response = await client.get("/api/v1/reports?status=new&status=routed", headers=PLAIN)
    assert response.status == 400
    assert (await response.json())["parameter"] == "status"


# --- /reports/{code} ------------------------------------------------------------------

async def test_detail_has_deliveries_acks_audit_and_media(client: TestClient,
                                                          seeded: Seeded) -> None:
    items = await all_items(client, limit=500)
    acked = next(i for i in items if i["media_count"] and i["status"] == "resolved")
    status, body = await get(client, f"/reports/{acked['code']}")
    assert status == 200
    assert {k: body[k] for k in ITEM_FIELDS} == acked
    assert [d["role"] for d in body["deliveries"]] == ["ward"]
    assert body["deliveries"][0]["ack_state"] == "acknowledged"
    assert body["deliveries"][0]["sent_at"] is not None
    assert [a["action"] for a in body["acks"]] == ["acknowledged"]
    assert [a["action"] for a in body["audit"]] == ["report.created", "report.routed",
                                                    "report.ack"]
    assert body["audit"][0]["actor"] == "resident"
    assert body["media"] == [{"kind": "photo", "status": "pending", "sha256": None,
                              "mime": None, "size": None}]
    assert "reporter" not in body


@pytest.mark.parametrize("code", ["SOS-999999", "nope", "SOS-25000１", "x" * 40, "%00"])
async def test_unknown_code_is_404(client: TestClient, code: str) -> None:
    status, body = await get(client, f"/reports/{code}")
    assert status == 404 and body["error"]


# --- personal data --------------------------------------------------------------------

def _secrets() -> list[bytes]:
    values = [*NAMES, *PHONES, *USERNAMES, *USER_IDS]
    forms = [v.encode() for v in values]
    forms += [json.dumps(v).strip('"').encode() for v in values]  # \\u-escaped forms
    return forms


async def _bodies(client: TestClient, headers: dict[str, str], codes: list[str]) -> bytes:
    paths = ["/reports?limit=500", "/export.csv", "/export.geojson", "/wards/26734/stats",
             "/wards/26743/stats", *[f"/reports/{code}" for code in codes]]
    chunks = []
    for path in paths:
        response = await client.get(f"/api/v1{path}", headers=headers)
        assert response.status == 200, path
        chunks.append(await response.read())
    return b"\n".join(chunks)


async def test_plain_token_never_sees_personal_data(client: TestClient,
                                                    seeded: Seeded) -> None:
    raw = await _bodies(client, PLAIN, seeded.codes)
    for secret in _secrets():
        assert secret not in raw, secret
    assert b'"reporter"' not in raw and b"reporter_" not in raw
    for text in (DESCRIPTION, ADDRESS):  # the resident's own words, in every encoding
        assert text.encode() not in raw and json.dumps(text).strip('"').encode() not in raw


async def test_plain_token_sees_no_free_text_and_pins_rounded_to_100_m(
        client: TestClient, seeded: Seeded) -> None:
    exact = {i["code"]: i for i in await all_items(client, PII, limit=500)}
    plain = await all_items(client, limit=500)
    assert [i["code"] for i in plain] == list(exact)
    assert any(i["address_text"] for i in exact.values())
    assert all(i["description"] for i in exact.values())
    located = 0
    for item in plain:
        full = exact[item["code"]]
        assert item["description"] is None and item["address_text"] is None
        if full["lat"] is None:
            assert item["lat"] is None and item["lon"] is None
            continue
        located += 1
        assert (item["lat"], item["lon"]) == (round(full["lat"], 3), round(full["lon"], 3))
        assert (item["lat"], item["lon"]) != (full["lat"], full["lon"])  # seeds are finer
        assert abs(item["lat"] - full["lat"]) <= 0.0005
        _, detail = await get(client, f"/reports/{item['code']}")
        assert (detail["lat"], detail["lon"], detail["description"]) == (
            item["lat"], item["lon"], None)
    assert located > 0
    geojson = json.loads(await (await client.get("/api/v1/export.geojson",
                                                 headers=PLAIN)).read())
    for feature in geojson["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert (lat, lon) == (round(lat, 3), round(lon, 3))


async def test_pii_token_sees_the_reporter(client: TestClient, seeded: Seeded) -> None:
    raw = await _bodies(client, PII, seeded.codes)
    for value in (*NAMES, *PHONES, *USERNAMES, *USER_IDS):
        assert value.encode() in raw, value
    items = await all_items(client, PII, limit=500)
    assert all(set(item) == {*ITEM_FIELDS, "reporter"} for item in items)
    assert {item["reporter"]["display_name"] for item in items} == set(NAMES)
    assert {item["reporter"]["phone"] for item in items} == set(PHONES)
    status, detail = await get(client, f"/reports/{seeded.codes[0]}", PII)
    assert status == 200 and detail["reporter"]["platform_user_id"] in USER_IDS
    assert detail["audit"][0]["actor"].startswith("telegram:")


# --- /wards/{code}/stats --------------------------------------------------------------

async def test_ward_stats(client: TestClient) -> None:
    items = [i for i in await all_items(client, PII, limit=500) if i["ward_code"] == WARD_A[0]]
    status, body = await get(client, f"/wards/{WARD_A[0]}/stats")
    assert status == 200
    assert body["ward_name"] == WARD_A[1] and body["total"] == len(items)
    for key, field in (("by_status", "status"), ("by_category", "category")):
        assert {k: n for k, n in body[key].items() if n} == {
            v: sum(1 for i in items if i[field] == v) for v in {i[field] for i in items}}
    final = {"resolved", "false_report", "duplicate"}
    assert body["open"] == sum(1 for i in items if i["status"] not in final)
    # Even-numbered seed reports are acknowledged i+1 minutes after they came in.
    codes = {i["code"] for i in items}
    delays: list[float] = []
    for code in sorted(codes):
        _, detail = await get(client, f"/reports/{code}")
        if detail["acks"]:
            delays.append(_ts(detail["acks"][0]["at"]) - _ts(detail["created_at"]))
    delays.sort()
    assert body["acknowledged"] == len(delays) > 0
    assert body["first_ack_median_s"] == pytest.approx(percentile(delays, 0.5))
    assert body["first_ack_p90_s"] == pytest.approx(percentile(delays, 0.9))
    assert body["generated_at"] == NOW.isoformat()


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


async def test_ward_stats_window_and_unknown_ward(client: TestClient) -> None:
    status, body = await get(client, f"/wards/{WARD_A[0]}/stats",
                             since="2030-01-01T00:00:00Z")
    assert status == 200 and body["total"] == 0 and body["first_ack_median_s"] is None
    status, body = await get(client, "/wards/00000/stats")
    assert status == 200 and body["total"] == 0 and body["ward_name"] is None
    status, body = await get(client, "/wards/26734/stats", since="soon")
    assert status == 400 and body["parameter"] == "since"
    status, body = await get(client, "/wards/26734/stats", status="new")
    assert status == 400 and body["parameter"] == "status"


def test_percentile() -> None:
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([float(n) for n in range(1, 11)], 0.9) == pytest.approx(9.1)


# --- exports --------------------------------------------------------------------------

async def test_csv_export(client: TestClient, seeded: Seeded) -> None:
    response = await client.get("/api/v1/export.csv", params={"category": "security"},
                                headers=PLAIN)
    assert response.status == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    text = (await response.read()).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = [i for i in await all_items(client, limit=500) if i["category"] == "security"]
    assert [row["code"] for row in rows] == [i["code"] for i in expected]
    assert list(rows[0]) == list(ITEM_FIELDS)
    assert response.headers["X-Export-Truncated"] == "false"
    # Text a spreadsheet would run as a formula is neutralised (the PII token sees it).
    response = await client.get("/api/v1/export.csv", headers=PII)
    text = (await response.read()).decode("utf-8-sig")
    assert any(row["address_text"].startswith("'=cmd|")
               for row in csv.DictReader(io.StringIO(text)))
    header = text.splitlines()[0]
    assert "reporter_phone" in header and "reporter_display_name" in header


async def test_geojson_export(client: TestClient) -> None:
    response = await client.get("/api/v1/export.geojson", params={"ward": WARD_A[0]},
                                headers=PLAIN)
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("application/geo+json")
    body = json.loads(await response.read())
    assert body["type"] == "FeatureCollection" and body["truncated"] is False
    items = [i for i in await all_items(client, limit=500, ward=WARD_A[0])]
    located = [i for i in items if i["lat"] is not None]
    assert 0 < len(located) < len(items)
    assert [f["properties"] for f in body["features"]] == located
    for feature in body["features"]:
        props = feature["properties"]
        assert feature["geometry"] == {"type": "Point",
                                       "coordinates": [props["lon"], props["lat"]]}


async def test_export_is_capped(make_client: MakeClient, seeded: Seeded) -> None:
    client = await make_client(export_cap=5)
    response = await client.get("/api/v1/export.csv", headers=PLAIN)
    assert response.headers["X-Export-Truncated"] == "true"
    assert len((await response.read()).decode("utf-8-sig").splitlines()) == 6
    response = await client.get("/api/v1/export.geojson", headers=PLAIN)
    body = json.loads(await response.read())
    assert body["truncated"] is True
    assert [f["properties"]["code"] for f in body["features"]] == [
        c for c in seeded.codes[:5] if c in {f["properties"]["code"] for f in body["features"]}]
    status, error = await get(client, "/export.csv", limit="5")
    assert status == 400 and error["parameter"] == "limit"


# --- personal-data reads are recorded -------------------------------------------------

def _pii_reads(engine: Engine) -> list[AuditLog]:
    with transaction(engine) as session:
        return list(session.exec(select(AuditLog).where(AuditLog.action == pii_reads.ACTION)
                                 .order_by(col(AuditLog.id))).all())


async def test_pii_reads_are_recorded_with_who_when_and_what(client: TestClient,
                                                             seeded: Seeded) -> None:
    await get(client, "/reports", limit=3)
    await client.get("/api/v1/export.csv", headers=PLAIN)
    await get(client, f"/reports/{seeded.codes[0]}")
    assert _pii_reads(seeded.engine) == []  # the plain token reads nothing personal
    _, page = await get(client, "/reports", PII, limit=3, category="fire")
    _, detail = await get(client, f"/reports/{seeded.codes[1]}", PII)
    response = await client.get("/api/v1/export.csv", headers=PII, params={"ward": WARD_A[0]})
    exported = [row["code"] for row in csv.DictReader(io.StringIO(
        (await response.read()).decode("utf-8-sig")))]
    await get(client, "/openapi.json", PII)  # no report data: not recorded
    await get(client, f"/wards/{WARD_A[0]}/stats", PII)  # counts only: not recorded
    rows = _pii_reads(seeded.engine)
    assert [row.detail["codes"] for row in rows] == [
        [item["code"] for item in page["items"]], [detail["code"]], exported]
    assert [row.detail["route"] for row in rows] == [
        "/api/v1/reports", f"/api/v1/reports/{seeded.codes[1]}", "/api/v1/export.csv"]
    assert "category=fire" in rows[0].detail["query"]
    assert all(row.actor == pii_reads.reader(PII_TOKEN) for row in rows)
    assert PII_TOKEN not in json.dumps([(r.actor, r.detail) for r in rows])
    assert all(row.at == NOW and row.detail["remote"] == "127.0.0.1" for row in rows)
    with transaction(seeded.engine) as session:
        report_id = session.exec(select(Report.id).where(
            Report.code == seeded.codes[1])).one()
        assert audit.verify(session).ok
    assert rows[1].report_id == report_id  # in that report's own trail too
    _, again = await get(client, f"/reports/{seeded.codes[1]}", PII)
    assert [a["action"] for a in again["audit"]][-1] == pii_reads.ACTION


async def test_a_pii_read_that_cannot_be_recorded_is_not_served(
        client: TestClient, seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audit, "_key", None)
    for path in ("/reports", f"/reports/{seeded.codes[0]}", "/export.csv",
                 "/export.geojson"):
        response = await client.get(f"/api/v1{path}", headers=PII)
        assert response.status == 503, path
        raw = await response.read()
        assert all(secret not in raw for secret in _secrets())
    status, _ = await get(client, "/reports")  # the plain token records nothing: served
    assert status == 200
