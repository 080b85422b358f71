"""A send-rate limiter shared by every worker, in Redis: stay under the platform's limits
before the platform has to answer 429.

All rules for one send are checked and taken in one Lua script, so two workers never both
take the last slot. Buckets use GCRA (one timestamp per key); windows keep a sorted set of
the send times in the last period. Time is the job context's clock (one clock for all);
sends stamped more than a minute ahead of it (a clock stepped back) no longer count.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from redis import Redis

from sosbot.core.rates import RateRule

_SCRIPT = """
local now = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
-- Sends stamped further ahead than any worker's clock can be (the clock was stepped back,
-- or a test travels in time) would block a key until that moment: they are let go.
local ahead = now + 60
local n = #KEYS
local wait = 0
for i = 1, n do
  local kind = ARGV[2 + (i - 1) * 3 + 1]
  local limit = tonumber(ARGV[2 + (i - 1) * 3 + 2])
  local period = tonumber(ARGV[2 + (i - 1) * 3 + 3])
  if kind == 'bucket' then
    local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
    if tat > ahead + period * limit then tat = now end
    local tolerance = period * (limit - 1)
    local w = math.max(tat, now) + period * (cost - 1) - tolerance - now
    if w > wait then wait = w end
  else
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - period)
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '(' .. ahead, '+inf')
    local count = redis.call('ZCARD', KEYS[i])
    if count + cost > limit then
      local index = count + cost - limit - 1
      if index >= count then index = count - 1 end
      local entry = redis.call('ZRANGE', KEYS[i], index, index, 'WITHSCORES')
      local w = period
      if entry[2] then w = tonumber(entry[2]) + period - now end
      if w > wait then wait = w end
    end
  end
end
if wait > 0 then return tostring(wait) end
for i = 1, n do
  local kind = ARGV[2 + (i - 1) * 3 + 1]
  local period = tonumber(ARGV[2 + (i - 1) * 3 + 3])
  if kind == 'bucket' then
    local limit = tonumber(ARGV[2 + (i - 1) * 3 + 2])
    local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
    if tat > ahead + period * limit then tat = now end
    local new = math.max(tat, now) + period * cost
    redis.call('SET', KEYS[i], tostring(new), 'PX', math.ceil((new - now) * 1000) + 1000)
  else
    for c = 1, cost do
      redis.call('ZADD', KEYS[i], now, ARGV[#ARGV] .. ':' .. i .. ':' .. c)
    end
    redis.call('PEXPIRE', KEYS[i], math.ceil(period * 1000) + 1000)
  end
end
return '0'
"""


class SendRateLimiter:
    """Takes a slot under every rule of a send, or says how long to wait for one."""

    def __init__(self, redis: Redis, clock: Callable[[], datetime],
                 prefix: str = "sosbot:rate") -> None:
        self.redis = redis
        self.clock = clock  # the job context's: windows move with the same time as the rest
        self.prefix = prefix
        self._script = redis.register_script(_SCRIPT)

    def load(self) -> None:
        """Load the script into Redis ahead of the first send (a worker's warm-up)."""
        self.redis.script_load(_SCRIPT)

    def try_acquire(self, rules: Sequence[RateRule], now: float | None = None,
                    cost: int = 1) -> float:
        """0.0 when the send may go now (``cost`` slots taken under every rule); else the
        seconds to wait. An album of N photos costs N messages."""
        if not rules:
            return 0.0
        keys = [f"{self.prefix}:{rule.key}" for rule in rules]
        args: list[str | float | int] = [self.clock().timestamp() if now is None else now,
                                         max(cost, 1)]
        for rule in rules:
            args += [rule.kind, rule.limit, rule.period_s]
        args.append(uuid.uuid4().hex)  # makes each window entry unique
        return float(self._script(keys=keys, args=args))
