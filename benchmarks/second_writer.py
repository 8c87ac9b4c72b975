"""Benchmark: repayments per second through the API while an import runs in a second process.

Usage::

    .venv/bin/python benchmarks/second_writer.py [--rows 40000] [--clients 4] [--baseline 5]

For each engine - SQLite always, PostgreSQL too when ``SMECREDIT_BENCH_POSTGRES_URL`` or
``SMECREDIT_TEST_POSTGRES_URL`` names a server where it may create a database - it
migrates a fresh database, seeds 20 active loans and a loan officer, starts the real
server (``smecredit serve``, uvicorn on loopback) and then, in the same run:

(a) after a second of warm-up, the baseline: ``--clients`` HTTP clients post repayments
    (``postRepayment``, each with its own idempotency key) for ``--baseline`` seconds,
    nothing else writing;
(b) the same clients post repayments while ``smecredit import FILE --kind firm`` writes
    ``--rows`` firms in a second process; the rate counts the repayments answered between
    the import's first and last committed batch.

Prints both rates, their ratio, the import's own rate and the number of failed requests
(HTTP errors, GraphQL errors or any answer that is not a posted repayment), which must
be 0: a second writer waits its turn instead of failing.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse, urlunparse

import httpx

BIN = Path(sys.executable).parent
PASSWORD = "Bench#Writer-9071"
BRANCH = "HZ01"
LOANS = 20
POST = """mutation($loanId: ID!, $key: String!) {
  r: postRepayment(loanId: $loanId, idempotencyKey: $key, amount: "1.00") {
    __typename ... on BusinessError { code message } } }"""


@dataclass
class Tally:
    """Answers of one phase: when each repayment was posted, and the failures."""

    posted: list[float] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def rate(self, start: float, end: float) -> float:
        inside = sum(start <= t <= end for t in self.posted)
        return inside / max(end - start, 1e-9)


def write_firms(path: Path, rows: int) -> None:
    """``rows`` valid firm records with distinct USCCs."""
    from smecredit.domain.identity import uscc_check_char

    lines = [
        "uscc,name,industry_code,region_code,established_on,registered_capital,employees,"
        "status,branch_code"
    ]
    for n in range(rows):
        body = f"91330100{n:09d}"
        lines.append(
            f"{body}{uscc_check_char(body)},Bench firm {n},C13,330100,"
            f"2015-03-{1 + n % 28:02d},500000.00,{10 + n % 50},active,{BRANCH}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def seed(env: dict[str, str]) -> list[int]:
    """Migrate, then 20 active loans (12 instalments each) and the loan officer."""
    from tortoise import Tortoise
    from tortoise.backends.base.executor import EXECUTOR_CACHE

    from smecredit import models
    from smecredit.cli.core import apply_migrations
    from smecredit.db import tortoise_config
    from smecredit.domain.schedules import RepaymentMethod, build_schedule
    from smecredit.security.passwords import hash_password
    from smecredit.settings import load_settings

    settings = load_settings(env)
    # Tortoise caches prepared statements per connection name: not across engines
    EXECUTOR_CACHE.clear()
    await apply_migrations(settings)
    await Tortoise.init(config=tortoise_config(settings))
    try:
        from smecredit.domain.identity import uscc_check_char

        await models.User.create(
            username="bench-officer",
            display_name="Bench officer",
            password_hash=hash_password(PASSWORD),
            roles=["loan_officer"],
            branch_code=BRANCH,
        )
        ids = []
        for n in range(1, LOANS + 1):
            body = f"91440300{n:09d}"
            firm = await models.Firm.create(
                uscc=body + uscc_check_char(body),
                name=f"Borrower {n}",
                industry_code="C13",
                region_code="440300",
                branch_code=BRANCH,
            )
            amount = Decimal("500000.00")
            plan = build_schedule(
                amount, Decimal("0.12"), 12, RepaymentMethod.EQUAL_PRINCIPAL, dt.date(2026, 2, 1)
            )
            loan = await models.Loan.create(
                loan_ref=f"BW{n:06d}",
                firm=firm,
                product="SME-WC",
                principal=amount,
                annual_rate=Decimal("0.12"),
                term_months=12,
                repayment_method="equal_principal",
                guarantee_type="credit",
                status="active",
                outstanding_principal=amount,
                branch_code=BRANCH,
                disbursed_on=dt.date(2026, 1, 1),
                current_since=dt.date(2026, 1, 1),
            )
            schedule = await models.RepaymentSchedule.create(loan=loan, number=1, reason="bench")
            await models.ScheduledInstalment.bulk_create(
                [
                    models.ScheduledInstalment(
                        schedule=schedule,
                        loan_id=loan.id,
                        number=i.number,
                        due_date=i.due_date,
                        principal=i.principal,
                        interest=i.interest,
                    )
                    for i in plan
                ]
            )
            ids.append(loan.id)
        return ids
    finally:
        await Tortoise.close_connections()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _serve(env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    server = subprocess.Popen(
        [str(BIN / "smecredit"), "serve", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    async with httpx.AsyncClient() as probe:
        while True:
            try:
                if (await probe.get(f"{base}/healthz", timeout=2)).status_code == 200:
                    return server, base
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise SystemExit("the server did not start")
            await asyncio.sleep(0.3)


async def _post_until(
    client: httpx.AsyncClient, loans: list[str], stop: asyncio.Event, tally: Tally, name: str
) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        key = f"{name}-{n}-{secrets.token_hex(3)}"
        variables = {"loanId": loans[n % len(loans)], "key": key}
        try:
            response = await client.post("/graphql", json={"query": POST, "variables": variables})
            body = response.json()
            answer = ((body.get("data") or {}).get("r") or {}).get("__typename")
            if response.status_code == 200 and answer == "Repayment" and "errors" not in body:
                tally.posted.append(time.monotonic())
            else:
                tally.failed.append(response.text[:300])
        except (httpx.HTTPError, ValueError) as exc:
            tally.failed.append(repr(exc))


async def _phase(
    clients: list[httpx.AsyncClient], loans: list[str], stop: asyncio.Event, label: str
) -> tuple[Tally, list[asyncio.Task[None]]]:
    tally = Tally()
    tasks = [
        asyncio.create_task(_post_until(c, loans, stop, tally, f"{label}{i}"))
        for i, c in enumerate(clients)
    ]
    return tally, tasks


async def _import_lines(process: asyncio.subprocess.Process, stamps: list[float]) -> bytes:
    """Read the import's progress (one stderr line per committed batch), stamping each."""
    assert process.stderr is not None
    tail = b""
    while line := await process.stderr.readline():
        stamps.append(time.monotonic())
        tail = line
    return tail


async def measure(engine: str, env: dict[str, str], work: Path, args: Any) -> dict[str, Any]:
    from strawberry.relay import GlobalID

    loan_ids = await seed(env)
    loans = [str(GlobalID("Loan", str(i))) for i in loan_ids]
    csv = work / f"firms-{engine}.csv"
    write_firms(csv, args.rows)
    server, base = await _serve(env, work)
    try:
        async with httpx.AsyncClient(base_url=base, timeout=120) as anon:
            signed = await anon.post(
                "/graphql",
                json={
                    "query": "mutation($u: String!, $p: String!) { signIn(username: $u,"
                    " password: $p) { ... on SignInPayload { token } } }",
                    "variables": {"u": "bench-officer", "p": PASSWORD},
                },
            )
            token = signed.json()["data"]["signIn"]["token"]
        headers = {"Authorization": f"Bearer {token}"}
        clients = [
            httpx.AsyncClient(base_url=base, headers=headers, timeout=120)
            for _ in range(args.clients)
        ]
        try:
            stop = asyncio.Event()
            warm, tasks = await _phase(clients, loans, stop, "warm")  # not counted
            await asyncio.sleep(1)
            stop.set()
            await asyncio.gather(*tasks)

            stop = asyncio.Event()
            baseline, tasks = await _phase(clients, loans, stop, "base")
            start = time.monotonic()
            await asyncio.sleep(args.baseline)
            stop.set()
            await asyncio.gather(*tasks)
            base_rate = baseline.rate(start, time.monotonic())

            stop = asyncio.Event()
            during, tasks = await _phase(clients, loans, stop, "imp")
            process = await asyncio.create_subprocess_exec(
                str(BIN / "smecredit"),
                *("import", str(csv), "--kind", "firm", "--batch-size", str(args.batch_size)),
                env=env,
                cwd=work,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            stamps: list[float] = []
            reader = asyncio.create_task(_import_lines(process, stamps))
            assert process.stdout is not None
            summary = (await process.stdout.read()).decode()
            await reader
            await process.wait()
            stop.set()
            await asyncio.gather(*tasks)
        finally:
            for c in clients:
                await c.aclose()
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    if process.returncode != 0 or f"accepted {args.rows:,}" not in summary or len(stamps) < 2:
        raise SystemExit(f"{engine}: the import did not complete: {summary}")
    window = stamps[-1] - stamps[0]
    during_rate = during.rate(stamps[0], stamps[-1])
    return {
        "engine": engine,
        "baseline": base_rate,
        "during": during_rate,
        "ratio": during_rate / base_rate if base_rate else 0.0,
        "failed": len(warm.failed) + len(baseline.failed) + len(during.failed),
        "sample": (warm.failed + baseline.failed + during.failed)[:3],
        "import_rate": args.rows / max(window, 1e-9),
        "window": window,
        "posted_during": sum(stamps[0] <= t <= stamps[-1] for t in during.posted),
    }


async def _postgres_database(url: str, name: str, *, drop: bool = False) -> str:
    import asyncpg

    admin = urlunparse(urlparse(url)._replace(path="/postgres", scheme="postgresql"))
    conn = await asyncpg.connect(admin)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


def _report(r: dict[str, Any]) -> None:
    print(
        f"{r['engine']:>10}: baseline {r['baseline']:7.1f} repayments/s | during import "
        f"{r['during']:7.1f}/s ({r['posted_during']} in {r['window']:.1f} s) | ratio "
        f"{r['ratio']:.2f} | import {r['import_rate']:,.0f} rows/s | failed requests "
        f"{r['failed']}"
    )
    for sample in r["sample"]:
        print(f"            failure: {sample}")


async def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=40_000, help="firms in the imported file")
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP clients")
    parser.add_argument("--baseline", type=float, default=5.0, help="seconds of baseline")
    parser.add_argument("--batch-size", type=int, default=1000, help="import batch size")
    args = parser.parse_args(argv)
    postgres = os.environ.get("SMECREDIT_BENCH_POSTGRES_URL") or os.environ.get(
        "SMECREDIT_TEST_POSTGRES_URL"
    )
    print(
        f"repayments through the API ({args.clients} clients, real server on loopback) "
        f"while `smecredit import` writes {args.rows:,} firms in a second process"
    )
    failed = 0
    with tempfile.TemporaryDirectory(prefix="smecredit-bench-") as tmp:
        work = Path(tmp)
        base_env = {
            **os.environ,
            "SMECREDIT_ENV": "dev",
            "SMECREDIT_KEY_FILE": str(work / "keys.json"),
        }
        base_env.pop("SMECREDIT_WARNING_SCAN_EVERY", None)
        engines = [("sqlite", f"sqlite://{work}/bench.sqlite3")]
        name = f"smecredit_bench_{os.getpid()}"
        if postgres:
            engines.append(("postgresql", await _postgres_database(postgres, name)))
        try:
            for engine, url in engines:
                result = await measure(
                    engine, {**base_env, "SMECREDIT_DATABASE_URL": url}, work, args
                )
                _report(result)
                failed += result["failed"]
        finally:
            if postgres:
                await _postgres_database(postgres, name, drop=True)
    if not postgres:
        print("  (no PostgreSQL: set SMECREDIT_BENCH_POSTGRES_URL or SMECREDIT_TEST_POSTGRES_URL)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1:])))
