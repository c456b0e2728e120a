"""Fixed-window rate limits: in memory for one process, in Redis across workers."""

import threading
import time
from typing import Protocol

from redis import Redis


class RateLimiter(Protocol):
    def hit(self, key: str) -> int | None:
        """Count one attempt; None when allowed, else the seconds to wait."""
        ...


class MemoryRateLimiter:
    def __init__(self, limit: int, window_s: int) -> None:
        self.limit, self.window_s = limit, window_s
        self._counts: dict[tuple[str, int], int] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> int | None:
        now = time.time()
        window = int(now // self.window_s)
        with self._lock:
            if len(self._counts) > 10_000:  # forget old windows
                self._counts = {k: v for k, v in self._counts.items() if k[1] == window}
            count = self._counts.get((key, window), 0) + 1
            self._counts[(key, window)] = count
        if count <= self.limit:
            return None
        return max(1, int((window + 1) * self.window_s - now))


class RedisRateLimiter:
    def __init__(self, redis: Redis, limit: int, window_s: int, prefix: str = "rl") -> None:
        self.redis, self.limit, self.window_s, self.prefix = redis, limit, window_s, prefix

    def hit(self, key: str) -> int | None:
        now = time.time()
        window = int(now // self.window_s)
        name = f"{self.prefix}:{key}:{window}"
        pipe = self.redis.pipeline()
        pipe.incr(name)
        pipe.expire(name, self.window_s + 1)
        count = int(pipe.execute()[0])
        if count <= self.limit:
            return None
        return max(1, int((window + 1) * self.window_s - now))
