"""Schemathesis against the served /openapi.json: no 5xx, and every answer matches its schema.

The API runs on a loopback port (a real aiohttp server on a background loop) over a seeded
database, and each operation is exercised with both tokens.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from sosbot.api import create_api_app
from sosbot.loop_thread import BackgroundLoop
from tests.api.conftest import NOW, PII_TOKEN, TOKEN, Seeded

MAX_EXAMPLES = 30


@pytest.fixture
def base_url(seeded: Seeded) -> Iterator[str]:
    loop = BackgroundLoop().start()
    root = web.Application()
    root.add_subapp("/api/v1", create_api_app(engine=seeded.engine, token=TOKEN,
                                              pii_token=PII_TOKEN, clock=lambda: NOW))
    runner = web.AppRunner(root)

    async def start() -> int:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return int(runner.addresses[0][1])

    port = loop.run(start())
    try:
        yield f"http://127.0.0.1:{port}/api/v1"
    finally:
        loop.run(runner.cleanup())
        loop.stop()


def test_api_conforms_to_its_openapi_document(base_url: str, seeded: Seeded) -> None:
    served = requests.get(f"{base_url}/openapi.json", timeout=10).json()
    schema = schemathesis.openapi.from_dict(served)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 6
    checks = [not_a_server_error, response_schema_conformance]
    session = requests.Session()
    known = st.sampled_from(seeded.codes)
    calls = 0
    for operation in operations:
        strategies = [operation.as_strategy()]
        if operation.path == "/reports/{code}":
            # Random codes are all 404: also ask for the seeded ones.
            strategies.append(known.flatmap(
                lambda code, op=operation: op.as_strategy(path_parameters={"code": code})))

        @given(case=st.one_of(strategies))
        @settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        def exercise(case: schemathesis.Case) -> None:
            nonlocal calls
            for token in (TOKEN, PII_TOKEN):
                headers = {"Authorization": f"Bearer {token}"}
                response = case.call(base_url=base_url, session=session, headers=headers)
                case.validate_response(response, checks=checks, headers=headers)
                calls += 1

        exercise()
    assert calls >= len(operations) * 2
