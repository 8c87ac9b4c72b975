"""Benchmark: a ping's latency while 8 anonymous clients send large documents.

Run from the repository root::

    .venv/bin/python benchmarks/anonymous_burst.py [--seconds 6] [--clients 8]

It starts two real uvicorn servers on loopback against one fresh SQLite database - one
with the request budgets off (the platform before issue 11: every anonymous document
parsed and validated whole, on the event loop), one with them on - and against each:

(a) measures ``{ ping }`` latency with nothing else going on (idle),
(b) lets ``--clients`` anonymous clients send the 20 KB document of 4,000 fields of the
    issue in a loop for ``--seconds`` while one client pings every 20 ms,

then prints the median and p99 ping latency of each run, how many large documents each
server answered, and the ratio of the p99s (budgets off / on).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: The document of issue 11: 20 KB, 4,000 fields.
LARGE = "{ " + " ".join(["ping"] * 4000) + " }"
PING = {"query": "{ ping }"}


def budgets_on() -> Any:
    """uvicorn factory: the app as served."""
    from smecredit.app import create_app

    return create_app()


def budgets_off() -> Any:
    """uvicorn factory: the app without its request budgets (the "before")."""
    from smecredit.app import create_app

    return create_app(budgets=False)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _prepare_database(url: str) -> None:
    from tortoise import Tortoise

    from smecredit.db import tortoise_config
    from smecredit.settings import load_settings

    await Tortoise.init(config=tortoise_config(load_settings({"SMECREDIT_DATABASE_URL": url})))
    await Tortoise.generate_schemas(safe=True)
    await Tortoise.close_connections()


def _start(factory: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "--app-dir",
        str(ROOT / "benchmarks"),
        f"anonymous_burst:{factory}",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    # The servers' own logs (an error line per refused document) would drown the figures.
    return subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


async def _wait_ready(base: str) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=base) as client:
        for _ in range(200):
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"server at {base} did not start")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _pings(base: str, seconds: float) -> list[float]:
    import httpx

    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            response = await client.post("/graphql", json=PING)
            latencies.append(time.perf_counter() - start)
            assert response.json()["data"] == {"ping": "ok"}, response.text
            await asyncio.sleep(0.02)
    return latencies


async def _attacker(base: str, stop: asyncio.Event, answered: list[int]) -> None:
    import httpx

    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        while not stop.is_set():
            response = await client.post("/graphql", json={"query": LARGE})
            assert response.status_code < 500, response.text
            answered[0] += 1


async def measure(base: str, seconds: float, clients: int) -> dict[str, Any]:
    """Idle and under-burst ping latencies against the server at ``base``."""
    await _pings(base, 1.0)  # warm up
    idle = await _pings(base, seconds / 2)
    stop = asyncio.Event()
    answered = [0]
    attackers = [asyncio.create_task(_attacker(base, stop, answered)) for _ in range(clients)]
    await asyncio.sleep(0.5)  # let the burst build up
    burst = await _pings(base, seconds)
    stop.set()
    await asyncio.gather(*attackers)
    return {"idle": idle, "burst": burst, "answered": answered[0], "seconds": seconds + 0.5}


def _line(name: str, values: list[float]) -> str:
    return (
        f"{name:<26} median {statistics.median(values) * 1000:8.1f} ms   "
        f"p99 {_percentile(values, 0.99) * 1000:8.1f} ms   ({len(values)} pings)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite://{tmp}/bench.sqlite3"
        await _prepare_database(url)
        env = {
            **os.environ,
            "SMECREDIT_DATABASE_URL": url,
            "SMECREDIT_ENV": "dev",
            "PYTHONPATH": str(ROOT / "platform"),
        }
        results: dict[str, dict[str, Any]] = {}
        for label, factory in (("budgets off", "budgets_off"), ("budgets on", "budgets_on")):
            port = _free_port()
            server = _start(factory, port, env)
            try:
                base = f"http://127.0.0.1:{port}"
                await _wait_ready(base)
                results[label] = await measure(base, args.seconds, args.clients)
            finally:
                server.terminate()
                server.wait(timeout=30)

    print(
        f"{args.clients} anonymous clients sending a {len(LARGE):,}-byte document of 4,000 "
        f"fields, one client pinging every 20 ms, {args.seconds:.0f} s per run"
    )
    for label, r in results.items():
        print(_line(f"{label}: idle", r["idle"]))
        print(_line(f"{label}: during burst", r["burst"]))
        print(f"{label + ': large documents':<26} {r['answered'] / r['seconds']:8.1f} answered/s")
    off = _percentile(results["budgets off"]["burst"], 0.99)
    on = _percentile(results["budgets on"]["burst"], 0.99)
    off_median = statistics.median(results["budgets off"]["burst"])
    on_median = statistics.median(results["budgets on"]["burst"])
    print(f"ping p99 during burst, off / on: {off / on:6.1f}x")
    print(f"ping median during burst, off / on: {off_median / on_median:6.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
