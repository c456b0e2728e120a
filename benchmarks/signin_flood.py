"""Does a flood of bad sign-ins slow the catalogue? One server, three phases, one run.

    python -m benchmarks.signin_flood [--seconds 10] [--readers 4] [--flooders 12]

A real uvicorn server on a fresh SQLite database. READERS clients read the catalogue
(`GET /api/v1/restaurants`) for SECONDS:
- quiet: nothing else;
- flood, limits as shipped: FLOODERS clients post sign-ins with unknown e-mails from this one
  address, as fast as answers come (the address limit turns most away before any hashing);
- flood from many addresses: the same, on a second server whose per-address limit is lifted,
  as a botnet spread over many addresses would look; only the bounded Argon2 executor stands
  between the flood and the catalogue.
Prints one line per phase, then the JSON summary last.
"""

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.orders import _free_port, _percentile, _prepare, _serve

LIFTED = {"CHAUD_LOGIN_ATTEMPTS_PER_MINUTE": "100000"}


async def _read_catalogue(client: aiohttp.ClientSession, deadline: float) -> list[float]:
    latencies = []
    while time.perf_counter() < deadline:
        started = time.perf_counter()
        async with client.get("/api/v1/restaurants") as response:
            await response.read()
            if response.status == 200:
                latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def _flood(client: aiohttp.ClientSession, deadline: float, codes: Counter[int]) -> None:
    while time.perf_counter() < deadline:
        form = {"username": f"nobody-{uuid.uuid4().hex[:10]}@example.org", "password": "guess"}
        async with client.post("/api/v1/auth/token", data=form) as response:
            await response.read()
            codes[response.status] += 1
            if response.status == 429:
                await asyncio.sleep(0.05)  # a real attacker waits a little, then retries


async def _phase(base_url: str, readers: int, flooders: int, seconds: float) -> dict[str, Any]:
    codes: Counter[int] = Counter()
    connector = aiohttp.TCPConnector(limit=readers + flooders)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=timeout) as client:
        deadline = time.perf_counter() + seconds
        floods = [_flood(client, deadline, codes) for _ in range(flooders)]
        results = await asyncio.gather(
            *(_read_catalogue(client, deadline) for _ in range(readers)), *floods
        )
    latencies = [value for result in results[:readers] if result for value in result]
    return {
        "catalogue_requests": len(latencies),
        "catalogue_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "catalogue_p99_ms": round(_percentile(latencies, 0.99), 1) if latencies else None,
        "sign_ins": {str(code): count for code, count in sorted(codes.items())},
    }


def _server(folder: Path, env: dict[str, str]) -> tuple[str, Any]:
    database_url = f"sqlite:///{(folder / f'flood-{uuid.uuid4().hex[:6]}.db').as_posix()}"
    _prepare(database_url)
    port = _free_port()
    process = _serve(database_url, port, {"CHAUD_DATA_DIR": str(folder), **env})
    return f"http://127.0.0.1:{port}", process


def run(seconds: float, readers: int, flooders: int) -> dict[str, Any]:
    phases: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as folder:
        shipped_url, shipped = _server(Path(folder), {"CHAUD_LOGIN_ATTEMPTS_PER_MINUTE": "10"})
        lifted_url, lifted = _server(Path(folder), LIFTED)
        try:
            for name, url, flood in (
                ("quiet", shipped_url, 0),
                ("flood_one_address", shipped_url, flooders),
                ("flood_many_addresses", lifted_url, flooders),
            ):
                phases[name] = asyncio.run(_phase(url, readers, flood, seconds))
                print(name, json.dumps(phases[name]), file=sys.stderr)
        finally:
            for process in (shipped, lifted):
                process.terminate()
                process.wait(timeout=30)
    return {
        "benchmark": "signin_flood",
        "seconds": seconds,
        "readers": readers,
        "flooders": flooders,
        **phases,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--flooders", type=int, default=12)
    args = parser.parse_args(argv)
    summary = run(args.seconds, args.readers, args.flooders)
    print(json.dumps(summary))
    return summary


if __name__ == "__main__":
    main()
