"""The benchmark's Redis is a server of its own, and its CPU column counts that server
alone (before, every Redis client on the machine: a test suite running beside a benchmark
counted as the system's)."""

from __future__ import annotations

import asyncio

from redis import Redis

from bench import services
from bench.sampling import ProcessSampler, _port_of, _services_cpu_s


async def test_the_redis_column_is_the_benchmarks_own_server() -> None:
    with services.redis_database() as url:
        port = _port_of(url)
        assert port is not None and port != 6379, url
        sampler = ProcessSampler([], redis_url=url)
        sampler.start()
        client = Redis.from_url(url)
        try:
            for _ in range(40):
                with client.pipeline(transaction=False) as pipeline:
                    for n in range(500):
                        pipeline.set(f"k{n}", "x" * 100)
                        pipeline.get(f"k{n}")
                    pipeline.execute()
                await asyncio.sleep(0)
        finally:
            client.close()
        await sampler.stop()
        assert sampler.cpu_used["redis"] > 0
    # A port no Redis listens on: nothing counted, whatever else runs on the machine.
    assert _services_cpu_s(redis_port=1)["redis"] == 0
